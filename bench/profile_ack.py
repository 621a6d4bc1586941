"""Where a /ticket's time goes (issue 19): scenario 1's load (20 clients, a new TCP connection per
command or kept alive) on one `support-bot serve` process, with py-spy recording it. Not part of
`python -m bench`; needs py-spy (`pip install py-spy`).

    python -m bench.profile_ack --gil                  # what holds the GIL (CPU)
    python -m bench.profile_ack --idle                 # where every thread is, waits included
    python -m bench.profile_ack --db postgres --mode kept-alive

Prints the ack and command -> form latencies of the profiled run and the functions with the most
samples (inclusive and self); the raw py-spy file stays in --out.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import time

from bench import payloads
from bench.infra import bot_process, database
from bench.profile_conversations import add_common_options, prepare, print_frames
from bench.remote_stub import remote_slack_stub
from bench.scenarios import ACK_CLIENTS, _modal_latency, _running, _ticket_ack_load, join_channels


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ack", description=__doc__)
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL (py-spy --gil)")
    parser.add_argument("--idle", action="store_true", help="also sample idle threads (py-spy --idle)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--mode", choices=["new-connection", "kept-alive"], default="new-connection")
    parser.add_argument("--commands", type=int, default=6000)
    add_common_options(parser, top=40)
    args = parser.parse_args()
    spy, out, workdir, dbs = prepare(args)
    chans = payloads.channels(ACK_CLIENTS, "C0ACK")
    fresh = args.mode == "new-connection"
    path = out / f"ack-{args.db}-{args.mode}{'-gil' if args.gil else ''}{'-idle' if args.idle else ''}.txt"
    try:
        with remote_slack_stub() as stub, database(dbs, args.db, "prof") as url:
            payloads.add_people(stub)
            bot = bot_process(stub, url, workdir, SUPPORT_PROCESSES="1")
            with _running(bot):
                join_channels(bot, stub, chans)
                _ticket_ack_load(bot, stub, ACK_CLIENTS, ACK_CLIENTS * 20, chans, fresh)  # warm-up
                spied = subprocess.Popen(
                    [spy, "record", "-p", str(bot.pid), "-r", "200", "-f", "raw", "-o", str(path), "--nonblocking"]
                    + (["--gil"] if args.gil else [])
                    + (["--idle"] if args.idle else []),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
                time.sleep(1.0)  # py-spy attaches
                stats, sent = _ticket_ack_load(bot, stub, ACK_CLIENTS, args.commands, chans, fresh)
                time.sleep(0.5)
                spied.send_signal(signal.SIGINT)  # py-spy writes its file and exits
                spied.wait(30)
                form = _modal_latency(sent, stub.arrivals("views.open", "trigger_id"))
    finally:
        dbs.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{args.db}, {args.mode}, {ACK_CLIENTS} clients, {stats.requests} commands: ack p50 {stats.p50_ms:.1f} "
        f"p99 {stats.p99_ms:.1f} max {stats.max_ms:.1f} ms; form p50 {form['modal_p50_ms']:.1f} p99 "
        f"{form['modal_p99_ms']:.1f} ms; {stats.throughput:.0f}/s"
    )
    if not path.exists():
        raise SystemExit(f"py-spy wrote nothing to {path}")
    print_frames(path, args.top, lambda total: f"{total} samples ({path})")


if __name__ == "__main__":
    main()
