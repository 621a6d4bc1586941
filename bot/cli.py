"""The `support-bot` command: run the bot (serve, socket), and look after its database (migrate, export...).

Settings come from the environment and from `.env` in the working directory (the environment wins)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DatabaseError, OperationalError

from config.settings import ConfigError, Mode, Settings, load_settings, port_override

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.app import Runtime
    from store.db import Database

log = logging.getLogger("support-bot")


class StartupError(Exception):
    """Start-up cannot go on; the message is the one line the operator sees."""


def _first_line(error: BaseException | None) -> str:
    return (str(error).strip().splitlines() or ["unknown error"])[0]


def _fail(message: str) -> int:
    for line in message.splitlines() or [message]:  # a routing file may have several problems: a line each
        print(f"support-bot: {line}", file=sys.stderr)
    return 2


def _database_problem(exc: DatabaseError) -> StartupError:
    """The one line for a database that cannot be reached or is not a database at all."""
    if isinstance(exc, OperationalError):
        return StartupError(f"DATABASE_URL: cannot connect to the database ({_first_line(exc.orig)})")
    return StartupError(f"DATABASE_URL: cannot use the database ({_first_line(exc.orig)})")


def load_dotenv_file(path: Path) -> None:
    """Read the settings in `path` (a `.env` file: NAME=value lines, values may hold spaces, #
    comments) into os.environ with python-dotenv; a variable already in the environment wins.
    A missing file is fine. Raises StartupError when the file exists but cannot be read."""
    from dotenv import load_dotenv

    if not path.exists():
        return
    if not path.is_file():
        raise StartupError(f".env: {path} is not a file")
    try:
        load_dotenv(path, override=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StartupError(f".env: cannot read {path} ({getattr(exc, 'strerror', None) or exc})") from None


def _check_bot_token(settings: Settings) -> str | None:
    """auth.test at start-up: a token Slack refuses stops start-up (StartupError); a Slack that
    cannot be reached is a warning (the outbox keeps posts until it answers). Returns whom Slack
    knows the token as ("Host Inc (T0HOST) as U0BOT"), for the caller to log once start-up is
    through (so that a later start-up failure is still the only line), or None if unverified."""
    from slack_api.token_check import TokenVerdict, check_bot_token

    check = check_bot_token(settings.slack_api_base_url, settings.slack_bot_token or "")
    if check.verdict == TokenVerdict.REJECTED:
        raise StartupError(
            f"SLACK_BOT_TOKEN: Slack refused it ({check.detail}); copy the Bot User OAuth Token "
            "(xoxb-…) from the app's OAuth & Permissions page"
        )
    if check.verdict == TokenVerdict.UNVERIFIED:
        log.warning(
            "SLACK_BOT_TOKEN not checked: %s; starting anyway, posts wait in the outbox until Slack answers",
            check.detail,
        )
        return None
    return check.detail


def _engine(url: str) -> Engine:
    """store.db.make_engine(url), with a URL SQLAlchemy cannot use (a malformed one, a driver that is
    not installed) turned into the one line naming DATABASE_URL."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from store.db import make_engine

    try:
        return make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise StartupError(f"DATABASE_URL: SQLAlchemy cannot use this URL ({_first_line(exc)})") from None


def _check_app_token(settings: Settings) -> None:
    """Socket Mode's own start-up check: can SLACK_APP_TOKEN open a connection? Unlike the bot
    token's check, an unreachable Slack stops start-up too: Socket Mode has no other way in."""
    from slack_api.token_check import TokenVerdict, check_app_token

    check = check_app_token(settings.slack_api_base_url, settings.slack_app_token or "")
    if check.verdict == TokenVerdict.REJECTED:
        raise StartupError(
            f"SLACK_APP_TOKEN: Slack refused to open a Socket Mode connection ({check.detail}); use an "
            "app-level token (xapp-…) with connections:write, and turn Socket Mode on in the app's settings"
        )
    if check.verdict == TokenVerdict.UNVERIFIED:
        raise StartupError(
            f"SLACK_API_BASE_URL: cannot open a Socket Mode connection ({check.detail}); Socket Mode needs Slack "
            "at start-up"
        )


def _log_identity(identity: str | None) -> None:
    if identity is not None:
        log.info("SLACK_BOT_TOKEN: Slack knows this bot: %s", identity)


def _prepare_database(settings: Settings) -> None:
    from store import migrate

    engine = _engine(settings.database_url)
    try:
        if not migrate.is_up_to_date(engine):
            if not settings.auto_migrate:
                raise StartupError(
                    "the database schema is out of date; run `support-bot migrate` "
                    "(automatic upgrades are off: SUPPORT_AUTO_MIGRATE=false)"
                )
            log.info("upgrading the database schema")
            migrate.upgrade(engine)
    except DatabaseError as exc:
        raise _database_problem(exc) from None
    finally:
        engine.dispose()


def _start_runtime(runtime: Runtime) -> None:
    from scheduling.leader import AnotherProcessRunning

    try:
        runtime.start()
    except AnotherProcessRunning as exc:
        runtime.stop()
        raise StartupError(
            f"DATABASE_URL: another support-bot process is serving this SQLite database ({exc}); "
            "SQLite is for one process — use PostgreSQL to run several"
        ) from None


def _freeze_startup_objects() -> None:
    """What start-up built (modules, the app, the engine...) lives as long as the process: keep it
    out of the garbage collector's full collections, which then scan only what requests create.
    Under load a full collection over it took 40–150 ms per process, a pause every request in
    flight waited out (the tail of the submission benchmark)."""
    gc.collect()
    gc.freeze()


def _stop_on_signal() -> threading.Event:
    """SIGTERM / SIGINT set the returned event. Installed before anything starts, so a signal that
    arrives during start-up still leads to a clean stop."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _wait(stop: threading.Event) -> None:
    while not stop.wait(3600):
        pass


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.app import build_runtime
    from bot.logs import configure_logging
    from bot.server import HttpServer

    stop = _stop_on_signal()
    settings = load_settings(os.environ, Mode.HTTP)
    port = port_override(args.port, settings.port)
    configure_logging(settings.log_level, (settings.slack_bot_token or "", settings.slack_signing_secret or ""))
    if settings.processes > 1:  # the children migrate (under an advisory lock); the parent stays small
        _log_identity(_check_bot_token(settings))  # once, here: the children are told not to
        return _supervise(args.host, port, settings.processes, stop)
    _prepare_database(settings)
    runtime = build_runtime(settings)
    server = HttpServer(runtime, args.host, port, reuse_port=args.reuse_port)
    try:
        server.bind()  # before the runtime starts: a taken port is then the only line printed
    except OSError as exc:
        runtime.db.engine.dispose()
        return _fail(f"PORT: cannot listen on {args.host}:{port} ({exc.strerror or exc})")
    try:
        identity = None if args.skip_token_check else _check_bot_token(settings)
    except StartupError:
        server.stop()  # bound, not serving: let go of the port and the worker threads
        runtime.db.engine.dispose()
        raise
    try:
        _start_runtime(runtime)
    except StartupError:
        server.stop()
        raise
    _freeze_startup_objects()
    server.start()
    _log_identity(identity)
    log.info("support-bot listening on http://%s:%d/slack/events", args.host, server.port)
    _wait(stop)
    log.info("shutting down: finishing in-flight requests")
    server.stop()
    runtime.stop()
    log.info("stopped")
    return 0


def _supervise(host: str, port: int, processes: int, stop: threading.Event) -> int:
    from bot.supervisor import StartupFailed, Supervisor

    log.info("support-bot: %d serving processes on http://%s:%d/slack/events", processes, host, port)
    try:
        code = Supervisor(host, port, processes, stop).run()
    except StartupFailed as exc:
        return _fail(f"serve: {exc} (its message is above)")
    log.info("stopped")
    return code


def cmd_socket(args: argparse.Namespace) -> int:
    from urllib.error import URLError

    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    from bot.app import build_runtime
    from bot.logs import configure_logging

    stop = _stop_on_signal()
    settings = load_settings(os.environ, Mode.SOCKET)
    configure_logging(settings.log_level, (settings.slack_bot_token or "", settings.slack_app_token or ""))
    _prepare_database(settings)
    _check_app_token(settings)
    identity = _check_bot_token(settings)
    runtime = build_runtime(settings, socket_mode=True)
    _start_runtime(runtime)
    _freeze_startup_objects()
    handler = SocketModeHandler(runtime.bolt, settings.slack_app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        runtime.stop()
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        raise StartupError(
            f"SLACK_APP_TOKEN: Slack refused to open a Socket Mode connection ({error or exc.response.status_code}); "
            "use an app-level token with connections:write and turn Socket Mode on"
        ) from None
    except (URLError, OSError) as exc:
        runtime.stop()
        raise StartupError(
            f"SLACK_API_BASE_URL: cannot reach Slack to open the Socket Mode connection "
            f"({getattr(exc, 'reason', None) or exc}); Socket Mode needs Slack at start-up"
        ) from None
    log.info("support-bot connected over Socket Mode")
    _log_identity(identity)
    _wait(stop)
    handler.close()
    runtime.stop()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from store import migrate

    settings = load_settings(os.environ, Mode.DATABASE)
    engine = _engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        print(f"database schema at revision {migrate.current_revision(engine)}")
    except DatabaseError as exc:
        return _fail(str(_database_problem(exc)))
    finally:
        engine.dispose()
    return 0


@contextmanager
def _database() -> Iterator[Database]:
    """The database of DATABASE_URL, its schema brought up to date, for a one-off command."""
    from store.db import Database

    settings = load_settings(os.environ, Mode.DATABASE)
    _prepare_database(settings)
    db = Database(_engine(settings.database_url))
    try:
        yield db
    finally:
        db.engine.dispose()


def cmd_export(args: argparse.Namespace) -> int:
    from services import export

    with _database() as db, db.session() as session:
        if args.what == "tickets":
            rows = list(export.ticket_rows(session, with_events=args.format == "json"))
            fields = export.TICKET_FIELDS
        elif args.what == "ticket-events":
            rows, fields = list(export.ticket_event_rows(session)), export.EVENT_FIELDS
        else:
            rows, fields = list(export.onboarding_rows(session)), export.ONBOARDING_FIELDS
    if args.format == "json":
        export.write_json(rows, sys.stdout)
    else:
        flat = list(export.flatten_onboarding(rows)) if args.what == "onboarding" else rows
        export.write_csv(flat, fields, sys.stdout)
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    from scheduling.scheduler import stored_jobs
    from services import export

    with _database() as db, db.session() as session:
        rows = export.reminder_rows(session, stored_jobs(db.engine))
    if args.format == "json":
        export.write_json(rows, sys.stdout)
    else:
        line = "{:<28} {:<18} {:<12} {:<32} {}"
        print(line.format("NEXT RUN (UTC)", "KIND", "CHANNEL", "ID", "CUSTOMER").rstrip())
        for row in rows:
            print(
                line.format(
                    row["next_run_time"] or "-", row["kind"], row["channel"] or "-", row["id"], row["customer"] or ""
                ).rstrip()
            )
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from services.digest import enqueue_digest

    channel = load_settings(os.environ, Mode.DATABASE).digest_channel
    if channel is None:
        return _fail("SUPPORT_DIGEST_CHANNEL: is not set (the channel ID the digest goes to)")
    now = datetime.now(UTC)
    with _database() as db, db.transaction() as session:
        enqueue_digest(session, channel=channel, now=now, key=f"manual:{now.isoformat()}")
    print(f"digest for the 7 days to {now:%Y-%m-%d %H:%M} UTC queued; the running bot posts it")
    return 0


def cmd_bench(bench_args: list[str]) -> int:
    """`python -m bench` under another name: run in the source checkout beside this package (the
    suite is not part of an installed wheel), with this interpreter; returns its exit status."""
    import subprocess

    checkout = Path(__file__).resolve().parent.parent
    if not (checkout / "bench" / "cli.py").is_file():
        return _fail("bench: the benchmark suite runs from a source checkout of support-bot (python -m bench)")
    with subprocess.Popen([sys.executable, "-m", "bench", *bench_args], cwd=checkout) as bench:
        while True:
            try:
                return bench.wait()
            except KeyboardInterrupt:
                continue  # Ctrl-C reached the suite too: it stops its servers and drops its databases first


def cmd_demo(args: argparse.Namespace) -> int:
    """The demo (demo/cli.py): the bot against a Slack stand-in, shown in a browser page."""
    stop = _stop_on_signal()  # before the imports: Ctrl-C while they load is a clean stop too
    from demo.cli import DemoStartError, run

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args, stop)
    except DemoStartError as exc:
        return _fail(str(exc))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="support-bot",
        description=__doc__,
        epilog="`support-bot COMMAND --help` shows a command's options. Every setting: docs/settings.md",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=16),
    )
    sub = parser.add_subparsers(dest="command", required=True, title="commands")

    serve = sub.add_parser("serve", help="serve Slack over HTTP (production)")
    serve.add_argument("--port", type=str, default=None, help="listen on this port (default: $PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="interface to bind (default 0.0.0.0)")  # noqa: S104
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="share the port with other support-bot processes (SO_REUSEPORT; SUPPORT_PROCESSES does this for you)",
    )
    # The serving processes of SUPPORT_PROCESSES: their parent checked the token once for all.
    serve.add_argument("--skip-token-check", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    socket = sub.add_parser("socket", help="connect over Socket Mode (no public URL needed)")
    socket.set_defaults(func=cmd_socket)

    migrate = sub.add_parser("migrate", help="upgrade the database schema")
    migrate.set_defaults(func=cmd_migrate)

    export = sub.add_parser("export", help="print tickets, events or onboarding as JSON/CSV")
    export.add_argument("what", choices=["tickets", "ticket-events", "onboarding"])
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.set_defaults(func=cmd_export)

    digest = sub.add_parser("digest", help="queue this week's digest now")
    digest.set_defaults(func=cmd_digest)

    reminders = sub.add_parser("reminders", help="list scheduled reminders and their job ids")
    reminders.add_argument("--format", choices=["json", "text"], default="text")
    reminders.set_defaults(func=cmd_reminders)

    demo = sub.add_parser("demo", help="see it work in a browser: the bot against a built-in Slack stand-in")
    demo.add_argument("--port", type=int, default=8080, help="the page's port on 127.0.0.1 (default 8080)")
    demo.add_argument("--open", action="store_true", help="open the page in a browser")
    demo.add_argument("--fast", action="store_true", help="SLA, nudge and digest timers in seconds")
    demo.add_argument("--dir", default=None, help="keep the demo's SQLite database here (default: a temporary one)")
    demo.set_defaults(func=cmd_demo)

    bench = sub.add_parser("bench", help="run the benchmark suite (python -m bench)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="options for python -m bench")
    bench.set_defaults(func=lambda args: cmd_bench(args.bench_args))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"] and argv[1:]:
        return cmd_bench(argv[1:])  # all of it is the suite's own options (argparse would take some)
    args = build_parser().parse_args(argv)
    try:
        load_dotenv_file(Path.cwd() / ".env")
        return int(args.func(args))
    except ConfigError as exc:
        return _fail(str(exc))
    except StartupError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
