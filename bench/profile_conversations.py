"""Where a conversation's time goes: scenario 6's load on support-bot (PostgreSQL, --processes
serving processes), with py-spy recording each serving process and PostgreSQL's wait events
sampled from pg_stat_activity. Not part of `python -m bench`; needs py-spy (`pip install py-spy`).

    python -m bench.profile_conversations --gil        # what holds the GIL (CPU), per process
    python -m bench.profile_conversations              # where threads are (waits included)

Prints, per process, the functions with the most samples (inclusive) and the most common
PostgreSQL states of the bench database's backends; the raw py-spy files stay in --out.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from bench import payloads
from bench.conversations import Ledger, _idle_outbox, message_worker
from bench.infra import DEFAULT_POSTGRES_URL, Databases, bot_process, database, make_workdir, proc_family
from bench.load import run_load
from bench.remote_stub import remote_slack_stub
from bench.scenarios import _engine, _running, join_channels

_FRAME = re.compile(r"(.*?) \((.*?):\d+\)")


def top_frames(path: Path, count: int) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """py-spy's raw output: the samples, and (share of samples, function (file)) of the `count` most
    common frames, inclusive (the function or anything it called) and self (the innermost frame)."""
    inclusive: collections.Counter[str] = collections.Counter()
    innermost: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        names = []
        for frame in stack.split(";")[1:]:
            found = _FRAME.match(frame)
            if found:
                names.append(f"{found.group(1)} ({found.group(2).split('site-packages/')[-1]})")
        for name in set(names):
            inclusive[name] += int(n)
        if names:
            innermost[names[-1]] += int(n)

    def shares(counter: collections.Counter[str]) -> list[tuple[float, str]]:
        return [(100.0 * n / max(1, total), name) for name, n in counter.most_common(count)]

    return total, shares(inclusive), shares(innermost)


def add_common_options(parser: argparse.ArgumentParser, top: int) -> None:
    """--postgres-url, --out and --top, shared with bench/profile_ack.py."""
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--out", default="bench-profile", help="directory for py-spy's raw files")
    parser.add_argument("--top", type=int, default=top)


def prepare(args: argparse.Namespace) -> tuple[str, Path, Path, Databases]:
    """py-spy's path (exits if it is missing), the output directory, a work directory, the databases."""
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed (pip install py-spy)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = make_workdir()
    return spy, out, workdir, Databases(workdir, args.postgres_url)


def print_frames(path: Path, top: int, heading: Callable[[int], str]) -> None:
    """The `top` frames of py-spy's raw file, inclusive and self, under `heading(samples)`."""
    total, inclusive, innermost = top_frames(path, top)
    print(f"{heading(total)}; inclusive:")
    for share, name in inclusive:
        print(f"  {share:5.1f}%  {name}")
    print("  self:")
    for share, name in innermost[: max(10, top // 2)]:
        print(f"  {share:5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_conversations", description=__doc__)
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL (py-spy --gil)")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    add_common_options(parser, top=30)
    args = parser.parse_args()
    spy, out, workdir, dbs = prepare(args)
    chans = payloads.channels(args.channels, "C0CONV")
    with remote_slack_stub() as stub, database(dbs, "postgres", "prof") as url, _engine(url) as engine:
        bot = bot_process(stub, url, workdir, SUPPORT_PROCESSES=str(args.processes))
        with _running(bot):
            join_channels(bot, stub, chans)
            _idle_outbox(engine, 60 + len(chans))
            ledger = Ledger("EvP")
            run_load(bot.port, args.clients, message_worker(ledger, chans, args.rate, args.clients, 1), 3.0)
            family = proc_family(bot.pid)
            serving = family[1:] if len(family) > 1 else family  # the parent only supervises its children
            files = {pid: out / f"{pid}{'-gil' if args.gil else ''}.txt" for pid in serving}
            spies = [
                subprocess.Popen(
                    [spy, "record", "-p", str(pid), "-d", str(int(args.seconds)), "-r", "100", "-f", "raw"]
                    + ["-o", str(path), "--nonblocking"]
                    + (["--gil"] if args.gil else []),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
                for pid, path in files.items()
            ]
            waits: collections.Counter[tuple[str, str]] = collections.Counter()
            stop = threading.Event()
            dbname = url.rsplit("/", 1)[-1]

            def sample() -> None:
                conninfo = dbs._pg_conninfo()
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    while not stop.is_set():
                        for event, state in conn.execute(
                            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), state "
                            "FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                            (dbname,),
                        ):
                            waits[(event, state)] += 1
                        time.sleep(0.05)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            stats = run_load(
                bot.port, args.clients, message_worker(ledger, chans, args.rate, args.clients, 2), args.seconds
            )
            stop.set()
            sampler.join()
            for spied in spies:
                spied.wait()
    samples = max(1, int((time.perf_counter() - started) / 0.05))
    print(f"{stats.throughput:.0f} requests/s answered (offered {args.rate:.0f}/s), p99 {stats.p99_ms:.0f} ms")
    print("PostgreSQL backends of the bench database, average number in each state:")
    for (event, state), n in waits.most_common(10):
        print(f"  {n / samples:5.2f}  {state:20} {event}")
    for pid, path in files.items():

        def heading(total: int, pid: int = pid) -> str:
            held = f"; a thread held the GIL in {100 * total / (100 * args.seconds):.0f}% of 100/s" if args.gil else ""
            return f"process {pid}: {total} samples{held}"

        print_frames(path, args.top, heading)


if __name__ == "__main__":
    main()
