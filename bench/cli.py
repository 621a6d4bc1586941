"""`python -m bench`: run the scenarios, print the table, optionally write JSON. Exit 0 even when a
target is missed (the report says so); non-zero only when the benchmark itself broke."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.conversations import scenario_burst, scenario_conversations
from bench.infra import DEFAULT_POSTGRES_URL, REPO, Databases, make_workdir
from bench.scenarios import SCENARIOS as EARLIER
from bench.scenarios import Ctx

SCENARIOS = {**EARLIER, "conversations": scenario_conversations, "burst": scenario_burst}

# Quick runs keep to SQLite except for thread replies, which also run on PostgreSQL if it answers,
# and the conversation scenarios, which run on PostgreSQL only when it answers (their target's database).
QUICK_ALL_DATABASES = {"replies", "conversations", "burst"}


def _code_version() -> str:
    """The commit benchmarked, and whether the working tree had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        dirty = subprocess.run(status, cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small version of every scenario (1-2 minutes)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        default="both",
        help="databases to run on (default both; PostgreSQL is skipped with a note if it does not answer)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server to create throw-away bench_<pid>_<n> databases on (default %(default)s)",
    )
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated scenarios (default {','.join(SCENARIOS)})"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="serving processes for support-bot on PostgreSQL (SUPPORT_PROCESSES) in scenarios 1-3, and for the "
        "bare Bolt baseline it is compared with (default: one per CPU, %(default)s; SQLite always runs one)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (server logs) afterwards")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SCENARIOS]
    if unknown:
        print(f"bench: unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2

    workdir = make_workdir()
    dbs = Databases(workdir, args.postgres_url)
    notes: list[str] = []
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds:
        why = dbs.postgres_available()
        if why is not None:
            if args.db == "postgres":
                print(f"bench: PostgreSQL is not reachable at {args.postgres_url}: {why}", file=sys.stderr)
                return 1
            kinds.remove("postgres")
            notes.append(f"PostgreSQL skipped: not reachable at {args.postgres_url} ({why})")

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    if args.processes < 1:
        print("bench: --processes must be at least 1", file=sys.stderr)
        return 2
    ctx = Ctx(quick=args.quick, workdir=workdir, dbs=dbs, say=say, processes=args.processes)
    code = _code_version()  # before the run: the tree may change while it runs
    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    failed = False
    try:
        for name in only:
            use = kinds if (not args.quick or name in QUICK_ALL_DATABASES) else kinds[:1]
            t0 = time.perf_counter()
            results[name] = SCENARIOS[name](ctx, use)
            results[name]["duration_s"] = round(time.perf_counter() - t0, 1)
        ctx.join_background()
    except Exception:  # the benchmark broke: say where, keep the logs, exit non-zero
        traceback.print_exc()
        print(f"bench: failed; server logs are in {workdir}", file=sys.stderr)
        failed = True
    finally:
        try:
            ctx.join_background()
        except Exception:  # already failing; the first error was printed above
            failed = True
        dbs.drop_all()

    meta: dict[str, Any] = {
        "quick": args.quick,
        "code": code,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "databases": kinds,
        "processes": {kind: ctx.processes_for(kind) for kind in kinds},
        "notes": notes,
        "duration_s": round(time.perf_counter() - started, 1),
    }
    meta["targets"] = report.targets(results, args.quick)
    print(report.render(results, meta))
    print(f"\n(total {meta['duration_s']} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str) + "\n")
    if failed or args.keep:
        print(f"work directory (server logs): {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0
