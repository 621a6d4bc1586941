"""Several `support-bot serve` processes on one PostgreSQL: one scheduler leader, fail-over when it is
killed, every reminder once, and an event delivered to both replicas applied once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import CUSTOMER, CUSTOMER_CHANNEL, POSTGRES_URL, STAFF, postgres_available
from tests.slack_stub import SlackStub
from tests.test_cli import free_port
from tests.test_onboarding_flow import nudges_to, onboard_values
from tests.test_resilience import Remote, serve

pytestmark = pytest.mark.skipif(
    postgres_available() is not None, reason=postgres_available() or "PostgreSQL is needed for several replicas"
)


@pytest.fixture
def replicas_url() -> Iterator[str]:
    """A database of its own (the suite's TEST_DATABASE_URL is reset by other tests)."""
    name = f"support_bot_replicas_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def role(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.loads(response.read())["scheduler"]
    except OSError:
        return None


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_one_leader_fires_each_reminder_once_and_a_follower_takes_over(slack: SlackStub, replicas_url: str) -> None:
    env = {
        "SUPPORT_LEADER_TIMEOUT": "3s",
        "SUPPORT_DASHBOARD_NUDGE_AFTER": "3s",
        "SUPPORT_DASHBOARD_NUDGE_EVERY": "5s",
        "SUPPORT_DASHBOARD_NUDGE_MAX": "2",
    }
    ports = [free_port(), free_port()]
    processes = [serve(slack, replicas_url, ports[0], **env)]
    processes.append(serve(slack, replicas_url, ports[1], **env))  # the schema is migrated; it just joins
    try:
        roles = [role(p) for p in ports]
        assert sorted(roles) == ["leader", "standby"], roles
        leader = roles.index("leader")
        follower = 1 - leader

        # Onboarding is started through the follower: its job lands in the shared store.
        remote = Remote(slack, ports[follower], replicas_url)
        remote.join_channel(CUSTOMER_CHANNEL)
        slack.wait_for(lambda: slack.posts(CUSTOMER_CHANNEL))
        remote.slash("/onboard", user=STAFF, channel=CUSTOMER_CHANNEL)
        view = slack.wait_for(lambda: slack.calls_to("views.open"))[0].args["view"]
        status, _, _ = remote.submit_view({**view, "id": "VREPL"}, onboard_values(), user=STAFF)
        assert status == 200

        slack.wait_for(lambda: nudges_to(slack, STAFF), timeout=20)
        time.sleep(1)
        assert len(nudges_to(slack, STAFF)) == 1

        processes[leader].send_signal(signal.SIGKILL)  # the leader dies mid-flight
        processes[leader].wait(10)
        killed_at = time.monotonic()
        slack.wait_for(lambda: role(ports[follower]) == "leader", timeout=15)
        assert time.monotonic() - killed_at <= 3 + 2  # SUPPORT_LEADER_TIMEOUT, plus a poll

        slack.wait_for(lambda: len(nudges_to(slack, STAFF)) == 2, timeout=20)
        time.sleep(6)
        nudges = nudges_to(slack, STAFF)
        assert len(nudges) == 2  # the maximum, each sent once
        numbers = [n["blocks"][-1]["elements"][0]["text"].split(".")[0] for n in nudges]
        assert numbers == ["Reminder 1 of 2", "Reminder 2 of 2"]
        remote.engine.dispose()
    finally:
        for process in processes:
            stop(process)


def test_the_same_event_delivered_to_both_replicas_is_applied_once(slack: SlackStub, replicas_url: str) -> None:
    ports = [free_port(), free_port()]
    processes = [serve(slack, replicas_url, port) for port in ports]
    try:
        a, b = (Remote(slack, port, replicas_url) for port in ports)
        a.join_channel(CUSTOMER_CHANNEL)
        a.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL)
        view = slack.wait_for(lambda: slack.calls_to("views.open"))[0].args["view"]
        from tests.harness import ticket_values

        a.submit_view({**view, "id": "VDUP"}, ticket_values(), user=CUSTOMER)
        slack.wait_for(lambda: a.sql("SELECT thread_ts FROM tickets")[0][0])
        thread_ts = a.sql("SELECT thread_ts FROM tickets")[0][0]

        statuses: list[tuple[int, bytes]] = []

        def deliver(remote: Remote, n: int, retry: int | None) -> None:
            event = {
                "type": "message",
                "channel": CUSTOMER_CHANNEL,
                "user": STAFF if n % 2 else CUSTOMER,
                "text": f"reply {n}",
                "ts": f"{int(time.time())}.{n:06d}",
                "thread_ts": thread_ts,
            }
            status, body, _ = remote.event(event, event_id=f"EvDUP{n}", retry_num=retry)
            statuses.append((status, body))

        threads = [
            threading.Thread(target=deliver, args=(remote, n, retry))
            for n in range(10)
            for remote, retry in ((a, None), (b, 1))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [s for s in statuses if s[0] != 200] == []
        print("DBG", a.sql("SELECT ts, user_id FROM ticket_messages"), a.sql("SELECT event_id FROM processed_events"))
        assert a.sql("SELECT count(*) FROM ticket_messages")[0][0] == 10
        assert a.sql("SELECT reply_count FROM tickets")[0][0] == 10
        assert a.sql("SELECT count(*) FROM processed_events WHERE event_id LIKE 'EvDUP%'")[0][0] == 10
        a.engine.dispose()
        b.engine.dispose()
    finally:
        for process in processes:
            stop(process)


def test_a_pooled_connection_the_server_dropped_while_idle_is_replaced(
    replicas_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarted (or a proxy timed the connection out) while it sat in the pool: the
    idle test before use replaces it, so the next request does not fail."""
    import bot.db
    from bot.db import make_engine

    engine = make_engine(replicas_url)
    admin = create_engine(replicas_url, isolation_level="AUTOCOMMIT")

    def drop_the_pooled_connection() -> None:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:  # the pooled connection is idle now: end it from the server side
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    try:
        # Not yet idle long enough to be tested: the dead connection is used, and fails.
        monkeypatch.setattr(bot.db, "TEST_IDLE_AFTER", 3600.0)
        drop_the_pooled_connection()
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        # Idle past the threshold: tested at checkout, found dead, replaced by a new one.
        monkeypatch.setattr(bot.db, "TEST_IDLE_AFTER", 0.0)
        drop_the_pooled_connection()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        admin.dispose()
