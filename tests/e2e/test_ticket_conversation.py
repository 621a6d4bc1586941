"""A ticket's conversation is wherever people answer: its card's thread, and the thread of the
message it was filed from (🎫, shortcut, mention). Issue 14, section 2."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, STAFF, STAFF_2, TRIAGE, SlackStub
from fakeslack.messages import customer_message, new_ts, person_message
from tests.support import BotUnderTest, running_bot, ticket_from_message


def _overdue_notes(slack: SlackStub) -> list[dict]:
    return [p for p in slack.posts(TRIAGE) if "overdue" in p["text"]]


def _ticket(bot: BotUnderTest, number: int) -> tuple:
    return tuple(bot.sql("SELECT status, first_response_at, reply_count FROM tickets WHERE id = :n", n=number)[0])


def _at(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC).replace(tzinfo=None)


def _naive(value: object) -> object:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_a_staff_reply_in_the_source_messages_thread_is_the_first_response(slack: SlackStub, database_url: str) -> None:
    """The issue's input: 🎫 on M, a staff reply with thread_ts = M's ts; on-call is not paged."""
    with running_bot(slack, database_url, SUPPORT_SLA_MEDIUM="4s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = ticket_from_message(bot, CUSTOMER_CHANNEL)
        reply = person_message(CUSTOMER_CHANNEL, STAFF, "Looking at the export job now", thread_ts=t["source_ts"])
        status, _, _ = bot.event(reply)
        assert status == 200
        state, first_response_at, replies = _ticket(bot, t["number"])
        assert (state, replies) == ("in_progress", 1)
        assert _naive(first_response_at) == _at(reply["ts"])
        bot.runtime.deps.timer_sync.drain()
        assert not [j for j in bot.runtime.scheduler.jobs() if j.job_id.startswith(("sla_warn:", "sla_breach:"))]
        time.sleep(4.5)  # past the 4 s Medium target: the breach job must not have fired
        assert _overdue_notes(slack) == []
        assert bot.sql("SELECT sla_breached_at FROM tickets")[0][0] is None


def test_replies_in_either_thread_count_once_each(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.event(person_message(channel, STAFF, "On it", thread_ts=t["card_ts"]))
    customer_reply = customer_message(channel, "Thanks, it is still failing", thread_ts=t["source_ts"])
    bot.event(customer_reply, event_id="EvSRC1")
    bot.event(customer_reply, event_id="EvSRC1", retry_num=1)  # Slack's retry: applied once
    bot.event({**customer_reply}, event_id="EvSRC2")  # the same message under another id: recorded once
    rows = bot.sql("SELECT ts, from_staff FROM ticket_messages ORDER BY posted_at, id")
    assert [(ts, bool(staff)) for ts, staff in rows][-1] == (customer_reply["ts"], False)
    assert bot.sql("SELECT reply_count FROM tickets")[0][0] == 2


def test_a_customer_reply_in_the_source_thread_reopens_a_waiting_ticket(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.click("ticket_waiting", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    assert _ticket(bot, t["number"])[0] == "waiting_on_customer"
    bot.event(customer_message(channel, "Here are the logs", thread_ts=t["source_ts"]))
    assert _ticket(bot, t["number"])[0] == "in_progress"
    note = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if "back in progress" in p["text"]])
    assert f"<@{CUSTOMER}>" in note[0]["text"]


def test_a_staff_reply_in_the_source_thread_keeps_the_critical_update_cadence(
    slack: SlackStub, database_url: str
) -> None:
    env = {"SUPPORT_SLA_CRITICAL": "1h", "SUPPORT_CRITICAL_UPDATE_EVERY": "1h"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = ticket_from_message(bot, CUSTOMER_CHANNEL)
        bot.click(
            "ticket_more",
            user=STAFF,
            channel=TRIAGE,
            action_extra={"type": "overflow", "selected_option": {"value": f"severity:{t['number']}"}},
        )
        slack.wait_for(lambda: slack.calls_to("views.open"))
        values = {
            "severity": {"severity": {"selected_option": {"value": "critical"}}},
            "reason": {"reason": {"value": "Every export is failing"}},
        }
        bot.submit_view(bot.opened_view(), values, user=STAFF)
        before = bot.sql("SELECT next_update_due_at FROM tickets")[0][0]
        reply = person_message(CUSTOMER_CHANNEL, STAFF, "Update: fix is deploying", thread_ts=t["source_ts"])
        bot.event(reply)
        last_staff, after = bot.sql("SELECT last_staff_message_at, next_update_due_at FROM tickets")[0]
        assert _naive(last_staff) == _at(reply["ts"])
        assert _naive(after) > _naive(before)  # the next update is due an hour after this reply


def test_a_ticket_filed_on_a_reply_counts_replies_in_that_thread(bot: BotUnderTest, channel: str) -> None:
    """🎫 on M, itself a reply in thread P: people answer in P's thread, so replies there count."""
    parent = new_ts(seconds_ago=120)
    bot.slack.add_message(channel, parent, CUSTOMER, "Weekly export thread")
    t = ticket_from_message(bot, channel, thread_ts=parent, text="This week's export is empty")
    assert bot.sql("SELECT source_ts, source_thread_ts FROM tickets")[0] == (t["source_ts"], parent)
    reply = person_message(channel, STAFF, "Re-running it now", thread_ts=parent)
    bot.event(reply)
    state, first_response_at, _ = _ticket(bot, t["number"])
    assert state == "in_progress" and _naive(first_response_at) == _at(reply["ts"])


def test_a_mention_in_a_tickets_source_thread_is_a_reply_not_a_new_ticket(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    mention = customer_message(channel, "<@U0BOT> still broken", thread_ts=t["source_ts"])
    bot.event({**mention, "type": "app_mention"})
    bot.event(mention)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1
    assert bot.sql("SELECT reply_count FROM tickets")[0][0] == 1


def test_replies_in_an_unrelated_thread_are_not_the_tickets(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    other = new_ts(seconds_ago=30)
    bot.event(person_message(channel, STAFF, "Unrelated chat", thread_ts=other))
    assert _ticket(bot, t["number"]) == ("open", None, 0)


def test_a_ticket_made_with_the_shortcut_on_a_reply_counts_replies_in_that_thread(
    bot: BotUnderTest, channel: str
) -> None:
    parent = new_ts(seconds_ago=120)
    message = {
        "type": "message",
        "ts": new_ts(seconds_ago=60),
        "thread_ts": parent,
        "text": "Flags are stale",
        "user": CUSTOMER,
    }
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    values = {
        "severity": {"severity": {"selected_option": {"value": "high"}}},
        "title": {"title": {"value": "Flags are stale"}},
        "description": {"description": {"value": "Flags are stale"}},
    }
    status, _, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    assert status == 200
    assert bot.sql("SELECT source_ts, source_thread_ts FROM tickets")[0] == (message["ts"], parent)
    reply = person_message(channel, STAFF_2, "Cache flushed", thread_ts=parent)
    bot.event(reply)
    assert bot.sql("SELECT status, reply_count FROM tickets")[0] == ("in_progress", 1)
