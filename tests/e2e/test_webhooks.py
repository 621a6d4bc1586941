"""Webhooks (docs/webhooks.md): every ticket event POSTed, signed, to a receiver on 127.0.0.1,
through the outbox: retried after a 5xx, given up after a 4xx, de-duplicable by id."""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, STAFF, TRIAGE, SlackStub
from fakeslack.messages import customer_message, person_message
from fakeslack.receiver import Received, Receiver
from fakeslack.signing import bot_env
from tests.support import BotUnderTest, drained, filed, free_port, run_cli, running_bot

SECRET = "test-webhook-secret"


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """docs/webhooks.md's example, as a receiver would run it."""
    timestamp = headers.get("x-support-timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("x-support-signature", ""), f"v1={expected}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(ok_status=200) as running:
        yield running


@pytest.fixture
def hooked(slack: SlackStub, database_url: str, receiver: Receiver) -> Iterator[BotUnderTest]:
    with running_bot(slack, database_url, SUPPORT_WEBHOOK_URL=receiver.url, SUPPORT_WEBHOOK_SECRET=SECRET) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        yield bot


def of_type(requests: list[Received], kind: str) -> list[dict]:
    return [r.json() for r in requests if r.status < 300 and r.json()["type"] == kind]


def test_every_ticket_event_is_posted_signed(hooked: BotUnderTest, receiver: Receiver) -> None:
    bot = hooked
    t = filed(bot, severity="high", title="Exports fail")
    number = str(t["number"])
    bot.click("ticket_take", user=STAFF, channel=TRIAGE, message_ts=t["triage_ts"], value=number)
    bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "Looking now")
    bot.click("ticket_resolve", user=STAFF, channel=CUSTOMER_CHANNEL, message_ts=t["card_ts"], value=number)
    bot.click("ticket_rate_helpful", user=CUSTOMER, channel=CUSTOMER_CHANNEL, value=number, team=CUSTOMER_TEAM)

    wanted = ("ticket.created", "ticket.assignee", "ticket.status", "ticket.message", "ticket.resolved", "ticket.rated")
    receiver.wait_for(lambda got: all(of_type(got, kind) for kind in wanted), timeout=15)
    drained(bot)
    got = receiver.received()

    for request in got:  # each one signed, as docs/webhooks.md says to check it
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-support-signature"].startswith("v1=")
        assert verify(SECRET, request.headers, request.body)
        assert not verify("another-secret", request.headers, request.body)
        assert not verify(SECRET, request.headers, request.body + b" ")  # a changed body fails
    ids = [r.json()["id"] for r in got]
    assert len(ids) == len(set(ids))  # nothing delivered twice

    created = of_type(got, "ticket.created")[0]
    assert created["ticket"]["number"] == t["number"]
    assert created["ticket"]["channel"] == CUSTOMER_CHANNEL and created["ticket"]["severity"] == "high"
    assert created["ticket"]["title"] == "Exports fail" and created["data"]["actor"] == CUSTOMER
    assignee = of_type(got, "ticket.assignee")[0]
    assert assignee["data"]["new"] == STAFF and assignee["ticket"]["assignee"] == STAFF
    message = of_type(got, "ticket.message")[0]
    assert message["data"]["user"] == STAFF and message["data"]["from_staff"] is True
    resolved = of_type(got, "ticket.resolved")[0]
    assert resolved["data"]["new"] == "resolved" and resolved["ticket"]["status"] == "resolved"
    assert of_type(got, "ticket.rated")[0]["data"]["rating"] == "helpful"
    # The id is the audit event's: a receiver can look it up, or de-duplicate by it.
    event_ids = {f"event-{i}" for (i,) in bot.sql("SELECT id FROM ticket_events WHERE ticket_id = :n", n=t["number"])}
    assert {assignee["id"], resolved["id"], of_type(got, "ticket.rated")[0]["id"]} <= event_ids


def test_severity_changes_are_posted(hooked: BotUnderTest, receiver: Receiver) -> None:
    bot = hooked
    t = filed(bot, severity="low")
    bot.click(
        "ticket_more",
        user=STAFF,
        channel=TRIAGE,
        action_extra={"type": "overflow", "selected_option": {"value": f"severity:{t['number']}"}},
    )
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    values = {
        "severity": {"severity": {"selected_option": {"value": "critical"}}},
        "reason": {"reason": {"value": "Checkout is down"}},
    }
    bot.submit_view(bot.opened_view(), values, user=STAFF)
    change = receiver.wait_for(lambda got: of_type(got, "ticket.severity"))[0]
    assert change["data"]["old"] == "low" and change["data"]["new"] == "critical"
    assert change["data"]["reason"] == "Checkout is down" and change["ticket"]["severity"] == "critical"


def test_a_500_is_retried_until_delivered_once(hooked: BotUnderTest, receiver: Receiver) -> None:
    receiver.fail_next(2, status=500)
    t = filed(hooked)
    accepted = receiver.wait_for(lambda got: of_type(got, "ticket.created"), timeout=15)
    drained(hooked)
    tries = [r for r in receiver.received() if r.json()["type"] == "ticket.created"]
    assert [r.status for r in tries] == [500, 500, 200]
    assert len({r.json()["id"] for r in tries}) == 1 and accepted[0]["ticket"]["number"] == t["number"]
    assert all(verify(SECRET, r.headers, r.body) for r in tries)  # each try signed afresh
    state = hooked.sql("SELECT state, attempts FROM outbox WHERE kind = 'webhook'")
    assert state == [("sent", 3)]


def test_a_4xx_is_not_retried(hooked: BotUnderTest, receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    receiver.fail_next(1, status=400)
    filed(hooked)
    receiver.wait_for(lambda got: got)
    drained(hooked)
    time.sleep(1.5)  # longer than the first backoff: a retry would have come by now
    assert [r.status for r in receiver.received()] == [400]
    assert hooked.sql("SELECT state, last_error FROM outbox WHERE kind = 'webhook'") == [("failed", "HTTP 400")]
    [line] = [r.getMessage() for r in caplog.records if "refused for good" in r.getMessage()]
    assert line.endswith("(webhook) refused for good by 127.0.0.1: HTTP 400")
    assert SECRET not in caplog.text and "/hook" not in caplog.text
    [note] = [p for p in hooked.slack.posts(TRIAGE) if "webhook receiver refused" in p["text"]]
    assert "HTTP 400 from 127.0.0.1" in note["text"] and "SUPPORT_WEBHOOK_URL" in note["text"]
    assert note.get("thread_ts") is None  # about the integration, not one ticket: top level in triage


def test_a_receiver_refusing_every_event_is_one_note_a_day(hooked: BotUnderTest, receiver: Receiver) -> None:
    receiver.fail_next(3, status=403)
    filed(hooked)
    filed(hooked, title="Another one")
    receiver.wait_for(lambda got: len([r for r in got if r.status == 403]) == 2)
    drained(hooked)
    assert hooked.sql("SELECT count(*) FROM outbox WHERE kind = 'webhook' AND state = 'failed'") == [(2,)]
    notes = [p for p in hooked.slack.posts(TRIAGE) if "webhook receiver refused" in p["text"]]
    assert len(notes) == 1 and "HTTP 403" in notes[0]["text"]


def test_a_receiver_that_is_down_gets_the_event_when_it_is_back(slack: SlackStub, database_url: str) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused, and nobody else takes the port
    port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    with running_bot(slack, database_url, SUPPORT_WEBHOOK_URL=url, SUPPORT_WEBHOOK_SECRET=SECRET) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        filed(bot)
        slack.wait_for(lambda: bot.sql("SELECT attempts FROM outbox WHERE kind = 'webhook' AND attempts >= 2"))
        assert bot.sql("SELECT state FROM outbox WHERE kind = 'webhook'") == [("pending",)]
        closed.close()
        with Receiver(ok_status=204, port=port) as receiver:
            created = receiver.wait_for(lambda got: of_type(got, "ticket.created"), timeout=15)
            drained(bot)
            assert len(receiver.received()) == 1 and verify(
                SECRET, receiver.received()[0].headers, receiver.received()[0].body
            )
        assert created[0]["type"] == "ticket.created"
        assert bot.sql("SELECT state FROM outbox WHERE kind = 'webhook'") == [("sent",)]


def test_no_webhook_rows_without_the_setting(bot: BotUnderTest, channel: str) -> None:
    filed(bot)
    drained(bot)
    assert bot.sql("SELECT count(*) FROM outbox WHERE kind = 'webhook'") == [(0,)]


def test_a_webhook_url_without_its_secret_stops_serve_with_one_line(slack: SlackStub, tmp_path: Path) -> None:
    env = bot_env(slack, f"sqlite:///{tmp_path / 'x.db'}", SUPPORT_WEBHOOK_URL="https://example.com/hook")
    result = run_cli("serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("support-bot: SUPPORT_WEBHOOK_SECRET"), result.stderr


def test_a_conversation_and_its_replies_are_posted(hooked: BotUnderTest, receiver: Receiver) -> None:
    said = customer_message(CUSTOMER_CHANNEL, "The funnel insight shows no data")
    hooked.event(said)
    hooked.event(person_message(CUSTOMER_CHANNEL, STAFF, "Looking now", thread_ts=said["ts"]))
    receiver.wait_for(lambda got: of_type(got, "ticket.created") and of_type(got, "ticket.message"))
    drained(hooked)
    created = of_type(receiver.received(), "ticket.created")[0]
    assert created["ticket"]["source"] == "message" and created["ticket"]["status"] == "new"
    assert created["ticket"]["severity"] is None and created["data"]["actor"] == CUSTOMER
    [reply] = of_type(receiver.received(), "ticket.message")
    assert reply["data"]["ts"] != said["ts"] and reply["data"]["from_staff"] is True
    assert of_type(receiver.received(), "ticket.status")[0]["data"]["new"] == "in_progress"
    assert all(verify(SECRET, r.headers, r.body) for r in receiver.received())


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_fails_the_event_with_a_note(
    hooked: BotUnderTest, receiver: Receiver, status: int
) -> None:
    """A receiver that moved (http to https, another path) answers a redirect. Following it would
    turn the POST into a GET without the event (301, 302) and count that as delivered: the event
    would be lost. The redirect is a refusal, told to triage, like any other 3xx or 4xx."""
    with Receiver(ok_status=200) as elsewhere:
        receiver.redirect_next(1, elsewhere.url, status=status)
        filed(hooked)
        receiver.wait_for(lambda got: got)
        drained(hooked)
        assert elsewhere.received() == []
        assert hooked.sql("SELECT state, last_error FROM outbox WHERE kind = 'webhook'") == [
            ("failed", f"HTTP {status}")
        ]
        [note] = [p for p in hooked.slack.posts(TRIAGE) if "webhook receiver refused" in p["text"]]
        assert f"HTTP {status} from 127.0.0.1" in note["text"]
