"""Same-run A/B of /ticket (issue 19): the plain Bolt app that acks and opens the form, and any number
of support-bot variants (each `NAME` or `NAME:VAR=VALUE,VAR=VALUE`, extra environment for its
`serve`; `SERVER=gunicorn` serves it with gunicorn gthread, 16 threads, instead of cheroot
(bench/bot_gunicorn.py); `CWD=DIR` runs the code of the checkout in DIR instead, e.g. `git archive <commit> | tar -x
-C DIR`), all up at once and driven in alternating rounds, each round in both connection modes.

    python -m bench.ab_ack --variant now --variant more:LOG_LEVEL=INFO --rounds 4
    python -m bench.ab_ack --variant before:CWD=/tmp/before --variant after --db postgres

Prints, per variant and mode, ack and command -> form p50/p99 and their ratios to plain Bolt's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from bench import payloads
from bench.infra import (
    DEFAULT_POSTGRES_URL,
    HOST,
    Databases,
    ServerProcess,
    bot_process,
    make_workdir,
    plain_bolt_process,
)
from bench.infra import database as new_database
from bench.remote_stub import remote_slack_stub
from bench.scenarios import (
    ACK_CLIENTS,
    ACK_MODES,
    _ack_round,
    _AckTally,
    _modal_latency,
    _running,
    _ticket_ack_load,
    join_channels,
)


def _variant(spec: str) -> tuple[str, dict[str, str]]:
    name, _, env = spec.partition(":")
    return name, dict(kv.split("=", 1) for kv in env.split(",") if kv)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab_ack", description=__doc__)
    parser.add_argument("--variant", action="append", default=[], help="NAME[:VAR=VALUE,...] (repeat)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--commands", type=int, default=600, help="per server, mode and round")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="offer this many commands/s in all (open loop); default: closed loop"
    )
    parser.add_argument("--plain-workers", type=int, default=1, help="gunicorn -w of the plain Bolt app (default 1)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    args = parser.parse_args()
    variants = [_variant(v) for v in args.variant] or [("now", {})]
    workdir = make_workdir()
    dbs = Databases(workdir, args.postgres_url)
    chans = payloads.channels(ACK_CLIENTS, "C0ACK")
    try:
        with remote_slack_stub() as stub, ExitStack() as stack:
            payloads.add_people(stub)
            plain = plain_bolt_process(stub, workdir, open_form=True, workers=args.plain_workers)
            servers: dict[str, ServerProcess] = {"plain+form": plain}
            for name, env in variants:
                url = stack.enter_context(new_database(dbs, args.db, name))
                cwd, http = env.pop("CWD", None), env.pop("SERVER", "cheroot")
                server = bot_process(stub, url, workdir, name=name, **{"SUPPORT_PROCESSES": "1", **env})
                if cwd:
                    server.cwd = Path(cwd)
                if http == "gunicorn":  # the bot's WSGI app under gunicorn gthread (bench/bot_gunicorn.py)
                    server.argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "-w", "1"]
                    server.argv += ["--threads", "16", "-b", f"{HOST}:{server.port}", "bench.bot_gunicorn:create_app()"]
                servers[name] = server
            for server in servers.values():
                stack.enter_context(_running(server))
            for name, _ in variants:
                join_channels(servers[name], stub, chans)
            for server in servers.values():
                for fresh in (True, False):
                    _ticket_ack_load(server, stub, ACK_CLIENTS, ACK_CLIENTS * 10, chans, fresh)
            time.sleep(1.0)
            tallies = {(s, m): _AckTally() for s in servers for m in ACK_MODES}
            for number in range(args.rounds):
                print(f"round {number + 1} of {args.rounds}", file=sys.stderr, flush=True)
                for mode in ACK_MODES:
                    for name, server in servers.items():
                        fresh = mode == "new connection"
                        _ack_round(server, stub, chans, args.commands, fresh, True, tallies[(name, mode)], args.rate)
            opened = stub.arrivals("views.open", "trigger_id")
    finally:
        dbs.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    load = f"offered at {args.rate:g}/s (open loop)" if args.rate else "closed loop"
    plan = f"{args.rounds} rounds x {args.commands} commands"
    print(f"{args.db}, {ACK_CLIENTS} clients, {load}, {plan}; x = to plain Bolt")
    for mode in ACK_MODES:
        base = {**tallies[("plain+form", mode)].as_run("plain+form", "-", mode, 1)}
        base.update(_modal_latency(tallies[("plain+form", mode)].sent, opened))
        for name in servers:
            run = tallies[(name, mode)].as_run(name, args.db, mode, 1)
            run.update(_modal_latency(tallies[(name, mode)].sent, opened))
            print(
                f"  {mode:14} {name:14} ack p50 {run['p50_ms']:6.1f} p99 {run['p99_ms']:6.1f} "
                f"({run['p99_ms'] / base['p99_ms']:.2f}x)  form p50 {run['modal_p50_ms']:6.1f} p99 "
                f"{run['modal_p99_ms']:6.1f} ({run['modal_p99_ms'] / base['modal_p99_ms']:.2f}x)  late "
                f"{run['modals_late']}  errors {run['errors']}  server CPU/cmd "
                f"{run['cpu_ms_per_command']['server']:.2f} ms  {run['throughput_per_s']:.0f}/s"
            )


if __name__ == "__main__":
    main()
