"""The tests' one support module: a support-bot driven the way Slack drives it (signed HTTP requests
to /slack/events, `BotUnderTest`), and the steps several tests share (file a ticket, start an
onboarding, run the CLI, serve in a subprocess). Slack itself (the stub, payloads, signing) is
`fakeslack`. Fixtures are in conftest.py; tests import helpers from here, never from each other.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.app import Runtime
from bot.server import HttpServer, serve_on_loopback
from config.settings import load_settings
from fakeslack import payloads
from fakeslack.messages import new_ts, ticket_reaction
from fakeslack.payloads import ticket_values
from fakeslack.sender import SlackSender
from fakeslack.signing import bot_env
from fakeslack.stub import SlackStub
from fakeslack.workspace import CUSTOMER, CUSTOMER_CHANNEL, STAFF, TRIAGE

REPO = Path(__file__).resolve().parent.parent
"""The checkout: the code the subprocesses the tests start run (PYTHONPATH)."""
CLI = [sys.executable, "-m", "bot.cli"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def texts_in(node: Any) -> Iterator[str]:
    """Every string under a `text` key (plain or mrkdwn), anywhere in a Block Kit payload."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts_in(item)


def postgres_available(url: str = POSTGRES_URL) -> str | None:
    """None if PostgreSQL answers at `url`, else why not."""
    from sqlalchemy import create_engine

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip with the reason"
        return f"PostgreSQL not reachable at {url}: {type(exc).__name__}"


def reset_database(url: str) -> None:
    """Drop everything support-bot owns, so a test starts from an empty schema."""
    from sqlalchemy import inspect

    from store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        tables = inspect(conn).get_table_names()
        if conn.dialect.name == "postgresql":
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


class BotUnderTest(SlackSender):
    """A support-bot runtime served over real HTTP on 127.0.0.1, plus Slack-shaped request helpers
    (`fakeslack.sender.SlackSender`: events, slash commands, clicks, view submissions, shortcuts)."""

    def __init__(self, runtime: Runtime, server: HttpServer, slack: SlackStub) -> None:
        super().__init__(f"http://127.0.0.1:{server.port}", slack)
        self.runtime = runtime
        self.server = server

    # -- composite steps --------------------------------------------------------------------
    def join_channel(
        self, channel: str, name: str = "acme-support", ext_shared: bool = True, inviter: str | None = None
    ) -> None:
        """The bot is added to a channel, as Slack reports it; returns once the bot has registered it
        (the outbox reads the channel with conversations.info first)."""
        self.slack.add_channel(channel, name, ext_shared)
        status, _, _ = self.event(payloads.bot_joined_channel(channel, inviter=inviter))
        assert status == 200
        self.slack.wait_for(
            lambda: self.sql("SELECT 1 FROM customer_channels WHERE channel_id = :c AND active", c=channel)
        )

    def thread_reply(
        self, channel: str, thread_ts: str, user: str, text: str = "On it", **kwargs: Any
    ) -> tuple[int, bytes, dict[str, str]]:
        reply = payloads.thread_message(channel, thread_ts, user, text, ts=new_ts(), event_ts=payloads.now_ts())
        return self.event(reply, **kwargs)

    def opened_view(self, index: int = -1) -> dict[str, Any]:
        """The view of a views.open call, with the id Slack gave it."""
        call = self.slack.calls_to("views.open")[index]
        return {**call.args["view"], "id": f"VOPEN{index if index >= 0 else len(self.slack.calls_to('views.open'))}"}

    def settle(self, kind: str = "intake", timeout: float = 10.0) -> None:
        """Wait until no outbox row of `kind` is pending: a 🎫 is read and filed after the answer."""
        self.slack.wait_for(
            lambda: (
                not self.sql("SELECT id FROM outbox WHERE kind = :kind AND state = 'pending'", kind=kind)
                and self.sql("SELECT 1")
            ),
            timeout=timeout,
        )

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.runtime.db.engine.connect() as conn:
            return list(conn.execute(text(query), params))


@contextmanager
def running_bot(slack: SlackStub, database_url: str, **env: str) -> Iterator[BotUnderTest]:
    runtime, server = serve_on_loopback(load_settings(bot_env(slack, database_url, **env)))
    try:
        yield BotUnderTest(runtime, server, slack)
    finally:
        server.stop()
        runtime.stop()


# -- waiting until the bot is idle -----------------------------------------------------------------
def _wait_until_idle(pool: Executor, workers: int, deadline: float) -> None:
    """Return once every worker of the thread pool `pool` is free and nothing is queued in it.

    `workers` tasks that wait for each other can only all run once every task queued before them
    has been taken (the queue is FIFO) and every worker has finished what it held.
    """
    timeout = max(0.1, deadline - time.monotonic())
    everyone = threading.Barrier(workers, timeout=timeout)
    waits = [pool.submit(everyone.wait) for _ in range(workers)]
    try:
        for wait in waits:
            wait.result(timeout=timeout)
    except (threading.BrokenBarrierError, TimeoutError) as error:
        raise AssertionError(f"a background worker was still busy after {timeout:.1f} s") from error


def _pools(bot: BotUnderTest) -> list[tuple[Executor, int]]:
    """The thread pools that finish a request after its answer: Bolt's lazy listeners, the
    after-ack calls and the timer sync (services.deps.Background)."""
    deps = bot.runtime.deps
    pools = [bot.runtime.bolt.listener_runner.lazy_listener_runner.executor]
    pools += [getattr(background, "_executor", None) for background in (deps.after_ack, deps.timer_sync)]
    # ThreadPoolExecutor keeps its size private; it is the one number this check needs.
    return [(pool, pool._max_workers) for pool in pools if isinstance(pool, ThreadPoolExecutor)]


def _as_utc(value: datetime | str) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _still_to_do(bot: BotUnderTest, horizon: float) -> list[str]:
    """What the bot still has to do within `horizon` seconds: due outbox rows and scheduled jobs."""
    soon = datetime.now(UTC) + timedelta(seconds=horizon)
    rows = bot.sql("SELECT kind, next_attempt_at FROM outbox WHERE state = 'pending'")
    jobs = bot.runtime.scheduler.jobs() if bot.runtime.scheduler.running else []
    return [f"outbox row {kind}" for kind, at in rows if _as_utc(at) <= soon] + [
        f"job {job.job_id}" for job in jobs if job.next_run_time is not None and job.next_run_time <= soon
    ]


def drained(bot: BotUnderTest, *, timeout: float = 10.0, horizon: float = 2.0) -> None:
    """Wait until the bot has done everything that follows from what it was sent so far: no work
    left in the pools that finish a request after its answer, no outbox row pending that falls due
    within `horizon` seconds (pacing defers rows by about a second), no scheduled job due by then.
    Checked twice in a row, since finishing one piece of work may start another.

    Use it instead of sleeping before asserting that something did NOT happen. Rows and jobs due
    later than `horizon` (a retry after a 429, an SLA alarm) are not waited for.
    Raises AssertionError, naming what is still to do, if the bot is not idle within `timeout` s.
    """
    deadline = time.monotonic() + timeout
    calm, busy = 0, ["nothing checked yet"]
    while calm < 2:
        if time.monotonic() > deadline:
            raise AssertionError(f"the bot was still busy after {timeout} s: {', '.join(busy)}")
        for pool, workers in _pools(bot):
            _wait_until_idle(pool, workers, deadline)
        bot.runtime.deps.timer_sync.drain()  # its public promise, should its pool change shape
        busy = _still_to_do(bot, horizon)
        calm = 0 if busy else calm + 1
        if busy:
            time.sleep(0.05)


# -- steps several tests share -----------------------------------------------------------------------
def file_ticket(
    bot: BotUnderTest,
    *,
    user: str = CUSTOMER,
    channel: str = CUSTOMER_CHANNEL,
    severity: str = "high",
    title: str = "Dashboards are not loading",
) -> dict:
    """`user` runs /ticket in `channel` and submits the form; returns the view that was submitted."""
    opened = len(bot.slack.calls_to("views.open"))
    status, body, _ = bot.slash("/ticket", user=user, channel=channel, text=title)
    assert status == 200
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    view = bot.opened_view()
    status, body, _ = bot.submit_view(view, ticket_values(severity=severity, title=title), user=user)
    assert status == 200 and body in (b"", b"{}"), body
    return view


def filed(bot: BotUnderTest, **kwargs: Any) -> dict[str, Any]:
    """File a ticket and wait for its card and triage mirror; returns ts values and the ticket id."""
    file_ticket(bot, **kwargs)
    number = bot.sql("SELECT max(id) FROM tickets")[0][0]
    bot.slack.wait_for(lambda: bot.sql("SELECT thread_ts, triage_ts FROM tickets WHERE id = :n", n=number)[0][1])
    card_ts, triage_ts = bot.sql("SELECT thread_ts, triage_ts FROM tickets WHERE id = :n", n=number)[0]
    return {"number": number, "card_ts": card_ts, "triage_ts": triage_ts}


def submit_move(bot: BotUnderTest, number: int, area: str, *, channel: str, user: str = STAFF) -> None:
    """`user` submits the "Move to…" form of ticket `number` (opened from its card in `channel`)
    with `area` picked; the form closes."""
    form = {
        "id": f"V0MOVE{number}{user}",
        "type": "modal",
        "blocks": [],
        "callback_id": "ticket_move_modal",
        "private_metadata": json.dumps({"c": channel, "s": "move", "m": str(number)}),
    }
    values = {"area": {"area": {"type": "static_select", "selected_option": {"value": area}}}}
    status, body, _ = bot.submit_view(form, values, user=user)
    assert status == 200 and body in (b"", b"{}"), body


def updates_to(bot: BotUnderTest, ts: str) -> list[dict[str, Any]]:
    """The arguments of every chat.update of the message `ts`, oldest first."""
    return [c.args for c in bot.slack.calls_to("chat.update") if c.args["ts"] == ts]


def ticket_from_message(
    bot: BotUnderTest,
    channel: str,
    *,
    author: str = CUSTOMER,
    reactor: str = CUSTOMER,
    text: str = "Exports fail since this morning",
    thread_ts: str | None = None,
    ts: str | None = None,
) -> dict[str, Any]:
    """A customer's message M, 🎫'd: returns M's ts, the ticket number and its card's ts."""
    ts = ts or new_ts(seconds_ago=60)
    bot.slack.add_message(channel, ts, author, text, thread_ts=thread_ts)
    status, _, _ = bot.event(ticket_reaction(channel, ts, reactor, item_user=author))
    assert status == 200
    number = bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets WHERE source_ts = :ts", ts=ts))[0][0]
    card_ts = bot.slack.wait_for(lambda: bot.sql("SELECT thread_ts FROM tickets WHERE id = :n", n=number)[0][0])
    return {"source_ts": ts, "number": number, "card_ts": card_ts}


def add_customer(bot: BotUnderTest, channel: str) -> None:
    """An onboarding under way in `channel` (as /onboard stores it)."""
    from store.models import Customer

    now = datetime.now(UTC)
    with bot.runtime.db.transaction() as session:
        session.add(
            Customer(
                channel_id=channel,
                company="Acme",
                cloud_provider="us",
                plan="cloud",
                monthly_spend=5000,
                cs_owner_id=STAFF,
                started_by=STAFF,
                started_at=now,
                updated_at=now,
            )
        )


def onboard_values(
    company: str = "Acme Inc", spend: str = "2,500", plan: str = "scale", owner: str = STAFF, events: str = "1,000,000"
) -> dict[str, Any]:
    """`state.values` of the /onboard form filled in."""

    def text(block: str, value: str) -> dict[str, Any]:
        return {block: {block: {"type": "plain_text_input", "value": value}}}

    return {
        **text("company", company),
        **text("monthly_events", events),
        **text("maus", ""),
        **text("monthly_spend", spend),
        "cloud_provider": {"cloud_provider": {"type": "static_select", "selected_option": {"value": "aws"}}},
        "plan": {"plan": {"type": "static_select", "selected_option": {"value": plan}}},
        "cs_owner": {"cs_owner": {"type": "users_select", "selected_user": owner}},
    }


def checklist_message(bot: BotUnderTest, channel: str = CUSTOMER_CHANNEL) -> dict[str, Any]:
    """The onboarding checklist posted in `channel` (waits for it)."""
    return bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if "of 5" in json.dumps(p)])[-1]


def start_onboarding(bot: BotUnderTest, channel: str = CUSTOMER_CHANNEL, **values: Any) -> dict[str, Any]:
    """Staff runs /onboard and submits the modal; returns the checklist message once posted."""
    opened = len(bot.slack.calls_to("views.open"))
    status, _, _ = bot.slash("/onboard", user=STAFF, channel=channel)
    assert status == 200
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    view = bot.opened_view()
    assert view["callback_id"] == "onboard_modal"
    status, body, _ = bot.submit_view(view, onboard_values(**values), user=STAFF)
    assert status == 200 and body in (b"", b"{}"), body
    return checklist_message(bot, channel)


def nudges_to(slack: SlackStub, user: str) -> list[dict[str, Any]]:
    """The onboarding nudges (reminders to book the set-up call) sent to `user`."""
    return [p for p in slack.posts(user) if "dashboard-setup call" in p["text"]]


def posts_for(slack: SlackStub, number: int) -> dict[str, int]:
    """How many cards, acknowledgements and triage mirrors Slack holds for ticket `number`."""
    everything = slack.posts()
    cards = [p for p in everything if p["channel"] != TRIAGE and p["text"].startswith(f"Ticket #{number} (")]
    card_ts = {c["ts"] for c in cards}
    acks = [p for p in everything if p.get("thread_ts") in card_ts and "is with the team" in p["text"]]
    mirrors = [p for p in everything if p["channel"] == TRIAGE and f"ticket #{number}:" in p["text"]]
    return {"card": len(cards), "ack": len(acks), "mirror": len(mirrors)}


# -- processes ---------------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environ() -> dict[str, str]:
    """This process's environment without any support-bot setting (SLACK_*, SUPPORT_*, DATABASE_URL)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORT_", "DATABASE_URL"))}


@functools.cache
def subprocess_cwd() -> Path:
    """The working directory of the support-bot subprocesses the tests start: an empty temporary
    directory, so that a `.env` in the checkout (the bot reads the one in its working directory)
    never reaches them. The code they run is the checkout's (`subprocess_environ`)."""
    return Path(tempfile.mkdtemp(prefix="support-bot-tests-"))


def subprocess_environ(env: dict[str, str]) -> dict[str, str]:
    """`clean_environ()` with the checkout first on PYTHONPATH, then `env`."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**clean_environ(), "PYTHONPATH": path, **env}


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`support-bot *args` in a subprocess with only the settings in `env`, in `cwd` (default: an
    empty directory); output captured as text."""
    return subprocess.run(
        [*CLI, *args],
        env=subprocess_environ(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or subprocess_cwd(),
    )


def serve(slack: SlackStub, database_url: str, port: int, **env: str) -> subprocess.Popen[str]:
    """`support-bot serve` on `port` in a subprocess, pointed at the stub; returns once /healthz answers."""
    process = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=subprocess_environ({**bot_env(slack, database_url), **env}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=subprocess_cwd(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("serve did not come up")


class Remote(BotUnderTest):
    """The request helpers of BotUnderTest, aimed at a server running in another process."""

    def __init__(self, slack: SlackStub, port: int, database_url: str) -> None:
        from store.db import make_engine

        SlackSender.__init__(self, f"http://127.0.0.1:{port}", slack)
        self.engine = make_engine(database_url)

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(query), params))
