"""Several `support-bot serve` processes on one PostgreSQL: one scheduler leader, fail-over when it is
killed, every reminder once, and an event delivered to both replicas applied once."""

from __future__ import annotations

import contextlib
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

from fakeslack import BOT_TOKEN, CUSTOMER, CUSTOMER_CHANNEL, STAFF, TRIAGE, SlackStub
from fakeslack.payloads import ticket_values
from tests.support import (
    POSTGRES_URL,
    Remote,
    free_port,
    nudges_to,
    onboard_values,
    postgres_available,
    posts_for,
    serve,
)

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
        assert a.sql("SELECT count(*) FROM ticket_messages")[0][0] == 10
        assert a.sql("SELECT reply_count FROM tickets")[0][0] == 10
        assert a.sql("SELECT count(*) FROM processed_events WHERE event_id LIKE 'EvDUP%'")[0][0] == 10
        a.engine.dispose()
        b.engine.dispose()
    finally:
        for process in processes:
            stop(process)


def test_the_leader_delivers_every_replicas_posts_pacing_each_channel_across_them(
    slack: SlackStub, replicas_url: str
) -> None:
    ports = [free_port(), free_port()]
    processes = [serve(slack, replicas_url, port) for port in ports]
    try:
        remotes = [Remote(slack, port, replicas_url) for port in ports]
        remotes[0].join_channel(CUSTOMER_CHANNEL)
        slack.wait_for(lambda: slack.posts(CUSTOMER_CHANNEL))
        remotes[0].slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL)
        view = slack.wait_for(lambda: slack.calls_to("views.open"))[0].args["view"]
        for n in range(6):  # alternately through each replica, as a load balancer would send them
            status, _, _ = remotes[n % 2].submit_view(
                {**view, "id": f"VPACE{n}"}, ticket_values(title=f"Problem {n}"), user=CUSTOMER
            )
            assert status == 200

        numbers = [row[0] for row in remotes[0].sql("SELECT id FROM tickets ORDER BY id")]
        assert len(numbers) == 6
        slack.wait_for(
            lambda: all(posts_for(slack, n) == {"card": 1, "ack": 1, "mirror": 1} for n in numbers), timeout=40
        )
        # Both replicas' tickets are mirrored into one triage channel: Slack's one post per second
        # per channel holds across the replicas, because one process (the leader) posts them all.
        mirrors = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
        gaps = [later.at - earlier.at for earlier, later in zip(mirrors, mirrors[1:], strict=False)]
        assert len(mirrors) == 6 and min(gaps) >= 1.0, gaps
        for remote in remotes:
            remote.engine.dispose()
    finally:
        for process in processes:
            stop(process)


def test_a_followers_row_reaches_the_delivering_leader_by_notify(slack: SlackStub, replicas_url: str) -> None:
    """The follower's commit sends the row id; the leader's workers, which look for due rows only
    once a minute here, deliver it at once."""
    from datetime import UTC, datetime

    from outbox import Outbox, Post, enqueue
    from slack_api.client import KeepAliveWebClient
    from store import migrate
    from store.db import Database, make_engine

    slack.add_channel("C0NOTIFY", "notify")
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=slack.url)

    def planner(session: object, row: object) -> Post:
        return Post("chat.postMessage", {"channel": "C0NOTIFY", "text": row.payload["text"]})  # type: ignore[attr-defined]

    leader_db, follower_db = Database(make_engine(replicas_url)), Database(make_engine(replicas_url))
    migrate.upgrade(leader_db.engine)
    leader = Outbox(leader_db, client, planner, poll_every=60.0)
    follower = Outbox(follower_db, client, planner, poll_every=60.0)
    leader.watch(leader_db)
    follower.watch(follower_db)
    leader.start()  # the follower's workers never start
    try:
        time.sleep(1.0)  # the leader's first look for due rows, and its LISTEN, are done
        for n in range(3):
            with follower_db.transaction() as session:
                now = datetime.now(UTC)
                enqueue(session, kind="note", dedupe_key=f"notify:{n}", now=now, payload={"text": f"n{n}"})
            slack.wait_for(lambda n=n: len(slack.posts("C0NOTIFY")) == n + 1, timeout=5)
        with contextlib.suppress(RuntimeError), follower_db.transaction() as session:
            enqueue(session, kind="note", dedupe_key="notify:x", now=datetime.now(UTC), payload={"text": "x"})
            raise RuntimeError("the request failed: rolled back, so nothing is sent")
        time.sleep(1.5)
        assert [p["text"] for p in slack.posts("C0NOTIFY")] == ["n0", "n1", "n2"]
        assert not follower.delivering and leader.delivering
    finally:
        leader.stop()
        leader_db.engine.dispose()
        follower_db.engine.dispose()


def test_a_pooled_connection_the_server_dropped_while_idle_is_replaced(
    replicas_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarted (or a proxy timed the connection out) while it sat in the pool: the
    idle test before use replaces it, so the next request does not fail."""
    import store.db
    from store.db import make_engine

    engine = make_engine(replicas_url)
    admin = create_engine(replicas_url, isolation_level="AUTOCOMMIT")

    def drop_the_pooled_connection() -> None:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:  # the pooled connection is idle now: end it from the server side
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    try:
        # Not yet idle long enough to be tested: the dead connection is used, and fails.
        monkeypatch.setattr(store.db, "TEST_IDLE_AFTER", 3600.0)
        drop_the_pooled_connection()
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        # Idle past the threshold: tested at checkout, found dead, replaced by a new one.
        monkeypatch.setattr(store.db, "TEST_IDLE_AFTER", 0.0)
        drop_the_pooled_connection()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        admin.dispose()


def children_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def test_support_processes_serves_one_port_from_several_processes(slack: SlackStub, replicas_url: str) -> None:
    port = free_port()
    parent = serve(slack, replicas_url, port, SUPPORT_PROCESSES="2")
    try:
        children = slack.wait_for(lambda: children_of(parent.pid) if len(children_of(parent.pid)) == 2 else None)
        # Every request opens a new connection; the kernel spreads them over both processes, and
        # only one of them leads.
        roles: set[str | None] = set()
        deadline = time.monotonic() + 30
        while roles != {"leader", "standby"} and time.monotonic() < deadline:
            roles.add(role(port))
        assert roles == {"leader", "standby"}

        remote = Remote(slack, port, replicas_url)
        remote.join_channel(CUSTOMER_CHANNEL)
        remote.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL)
        view = slack.wait_for(lambda: slack.calls_to("views.open"))[0].args["view"]
        for n in range(4):
            status, _, _ = remote.submit_view({**view, "id": f"VPROC{n}"}, ticket_values(), user=CUSTOMER)
            assert status == 200
        numbers = [row[0] for row in remote.sql("SELECT id FROM tickets ORDER BY id")]
        slack.wait_for(
            lambda: all(posts_for(slack, n) == {"card": 1, "ack": 1, "mirror": 1} for n in numbers), timeout=30
        )
        remote.engine.dispose()

        os.kill(children[0], signal.SIGKILL)  # a child dies: the parent starts another
        replaced = slack.wait_for(
            lambda: (now := children_of(parent.pid)) and len(now) == 2 and children[0] not in now and now, timeout=20
        )
        slack.wait_for(lambda: role(port) is not None, timeout=20)

        parent.send_signal(signal.SIGTERM)  # passed on: each child drains and exits, then the parent
        assert parent.wait(40) == 0
        assert not any(os.path.exists(f"/proc/{pid}") for pid in replaced)  # stopped, and reaped
    finally:
        stop(parent)
