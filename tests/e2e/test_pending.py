"""Tickets waiting on the customer (issue 18): after SUPPORT_PENDING_REMIND without a customer reply
they are reminded in the ticket's thread, after SUPPORT_PENDING_CLOSE the ticket is resolved by the
bot with a note saying why and how to reopen it. Once each, cancelled by a reply, across restarts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakeslack import BOT_USER, CUSTOMER, CUSTOMER_CHANNEL, STAFF, TRIAGE, SlackStub
from fakeslack.messages import customer_message
from tests.e2e.test_cli_startup import one_line
from tests.support import BotUnderTest, drained, filed, run_cli, running_bot

SHORT = {"SUPPORT_PENDING_REMIND": "2s", "SUPPORT_PENDING_CLOSE": "4s"}
REMINDER = "do you still need help"
CLOSED = "we've closed ticket"


def thread_posts(slack: SlackStub, card_ts: str, words: str) -> list[dict]:
    """The bot's posts in the ticket's customer thread that contain `words`."""
    return [p for p in slack.posts(CUSTOMER_CHANNEL) if p.get("thread_ts") == card_ts and words in p["text"]]


def utc(value: datetime | str) -> datetime:
    """A datetime read back with raw SQL (naive UTC, or a string on SQLite), aware."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def status(bot: BotUnderTest, number: int) -> str:
    return bot.sql("SELECT status FROM tickets WHERE id = :n", n=number)[0][0]


def pending_jobs(bot: BotUnderTest) -> list[str]:
    bot.runtime.deps.timer_sync.drain()
    return sorted(j.job_id for j in bot.runtime.scheduler.jobs() if j.job_id.startswith("pending_"))


def set_waiting(bot: BotUnderTest, t: dict) -> None:
    """Staff press *Waiting on customer* on the triage card."""
    code, _, _ = bot.click(
        "ticket_waiting", user=STAFF, channel=TRIAGE, message_ts=t["triage_ts"], value=str(t["number"])
    )
    assert code == 200
    assert status(bot, t["number"]) == "waiting_on_customer"


def waiting_ticket(bot: BotUnderTest) -> dict:
    """A ticket filed in the customer channel and set waiting on the customer; its two alarms are set."""
    bot.join_channel(CUSTOMER_CHANNEL)
    t = filed(bot)
    set_waiting(bot, t)
    n = t["number"]
    assert pending_jobs(bot) == [f"pending_close:{n}", f"pending_remind:{n}"]
    return t


def test_a_silent_customer_is_reminded_once_then_the_ticket_is_closed_and_a_reply_reopens_it(
    slack: SlackStub, database_url: str
) -> None:
    with running_bot(slack, database_url, **SHORT) as bot:
        t = waiting_ticket(bot)
        n = t["number"]

        reminder = slack.wait_for(lambda: thread_posts(slack, t["card_ts"], REMINDER), timeout=10)[0]
        assert f"#{n}" in reminder["text"] and f"<@{CUSTOMER}>" in reminder["text"]
        assert "close it in 2 seconds" in reminder["text"]  # SUPPORT_PENDING_CLOSE - SUPPORT_PENDING_REMIND
        assert status(bot, n) == "waiting_on_customer"
        assert pending_jobs(bot) == [f"pending_close:{n}"]  # the reminder is done; the close still to come

        note = slack.wait_for(lambda: thread_posts(slack, t["card_ts"], CLOSED), timeout=10)[0]
        assert "haven't heard back in 4 seconds" in note["text"] and "reply here and it reopens" in note["text"]
        assert status(bot, n) == "resolved"
        drained(bot)
        events = bot.sql(
            "SELECT field, old_value, new_value, actor_id, reason FROM ticket_events "
            "WHERE ticket_id = :n AND field = 'status' ORDER BY id",
            n=n,
        )
        assert tuple(events[-1]) == (
            "status",
            "waiting_on_customer",
            "resolved",
            BOT_USER,
            "no reply from the customer",
        )
        assert pending_jobs(bot) == []
        assert len(thread_posts(slack, t["card_ts"], REMINDER)) == 1
        assert len(thread_posts(slack, t["card_ts"], CLOSED)) == 1
        assert thread_posts(slack, t["card_ts"], "Did we help?") == []  # no rating request: nobody helped

        # Any reply reopens it, as for a ticket staff resolved.
        bot.event(customer_message(CUSTOMER_CHANNEL, "Sorry, was away. Still broken!", thread_ts=t["card_ts"]))
        assert status(bot, n) == "in_progress"
        slack.wait_for(lambda: [p for p in slack.posts(TRIAGE) if "back in progress" in p["text"]], timeout=10)
        drained(bot)
        assert pending_jobs(bot) == []


def test_a_customer_reply_before_the_reminder_cancels_both(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, **SHORT) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot)
        set_waiting(bot, t)
        bot.event(customer_message(CUSTOMER_CHANNEL, "Here are the logs you asked for", thread_ts=t["card_ts"]))
        assert status(bot, t["number"]) == "in_progress"
        assert pending_jobs(bot) == []
        assert bot.sql("SELECT pending_since, pending_close_at FROM tickets WHERE id = :n", n=t["number"]) == [
            (None, None)
        ]
        time.sleep(4.5)  # past both delays
        drained(bot)
        assert thread_posts(slack, t["card_ts"], REMINDER) == []
        assert thread_posts(slack, t["card_ts"], CLOSED) == []
        assert status(bot, t["number"]) == "in_progress"


def test_waiting_again_after_a_reply_starts_over(slack: SlackStub, database_url: str) -> None:
    env = {"SUPPORT_PENDING_REMIND": "1s", "SUPPORT_PENDING_CLOSE": "1h"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot)
        set_waiting(bot, t)
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], REMINDER), timeout=10)
        bot.event(customer_message(CUSTOMER_CHANNEL, "Tried it, no luck", thread_ts=t["card_ts"]))
        assert status(bot, t["number"]) == "in_progress"
        set_waiting(bot, t)  # a second wait: its own reminder
        slack.wait_for(lambda: len(thread_posts(slack, t["card_ts"], REMINDER)) == 2, timeout=10)
        drained(bot)
        assert len(thread_posts(slack, t["card_ts"], REMINDER)) == 2
        assert status(bot, t["number"]) == "waiting_on_customer"


def test_a_staff_follow_up_while_waiting_starts_the_wait_over(slack: SlackStub, database_url: str) -> None:
    env = {"SUPPORT_PENDING_REMIND": "2s", "SUPPORT_PENDING_CLOSE": "1h"}
    with running_bot(slack, database_url, **env) as bot:
        t = waiting_ticket(bot)
        n = t["number"]
        first_remind = utc(bot.sql("SELECT pending_remind_at FROM tickets WHERE id = :n", n=n)[0][0])
        time.sleep(1.2)
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "Did the new snippet help?")
        assert status(bot, n) == "waiting_on_customer"
        since, remind_at = bot.sql("SELECT pending_since, pending_remind_at FROM tickets WHERE id = :n", n=n)[0]
        assert utc(remind_at) - utc(since) == timedelta(seconds=2) and utc(remind_at) > first_remind
        assert pending_jobs(bot) == [f"pending_close:{n}", f"pending_remind:{n}"]
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], REMINDER), timeout=10)
        drained(bot)
        # Reminded once, at the restarted wait's time (not the first wait's, 1.2 s earlier).
        reminded_at = bot.sql("SELECT pending_reminded_at FROM tickets WHERE id = :n", n=n)[0][0]
        assert utc(reminded_at) >= utc(remind_at)
        assert len(thread_posts(slack, t["card_ts"], REMINDER)) == 1


def test_the_alarms_survive_a_restart_and_act_once_even_if_fired_twice(slack: SlackStub, database_url: str) -> None:
    env = {"SUPPORT_PENDING_REMIND": "2s", "SUPPORT_PENDING_CLOSE": "8s"}  # room for two start-ups between
    with running_bot(slack, database_url, **env) as bot:
        t = waiting_ticket(bot)
        n = t["number"]
        close_at = utc(bot.sql("SELECT pending_close_at FROM tickets WHERE id = :n", n=n)[0][0])
    assert thread_posts(slack, t["card_ts"], REMINDER) == []  # stopped before the reminder was due
    time.sleep(2.5)  # the reminder falls due while the bot is down
    with running_bot(slack, database_url, **env) as bot:
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], REMINDER), timeout=10)
        # The alarm firing again (a second replica, a retried job) changes nothing.
        assert bot.runtime.dispatcher.pending_timer(n) is None
        drained(bot)
        assert status(bot, n) == "waiting_on_customer"
        assert pending_jobs(bot) == [f"pending_close:{n}"]
    assert thread_posts(slack, t["card_ts"], CLOSED) == []  # stopped before the close was due
    time.sleep(max(0.0, (close_at - datetime.now(UTC)).total_seconds()) + 0.5)  # it falls due while down
    with running_bot(slack, database_url, **env) as bot:
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], CLOSED), timeout=10)
        assert bot.runtime.dispatcher.pending_timer(n) is None
        drained(bot)
        assert status(bot, n) == "resolved"
        assert pending_jobs(bot) == []
    assert len(thread_posts(slack, t["card_ts"], REMINDER)) == 1
    assert len(thread_posts(slack, t["card_ts"], CLOSED)) == 1


def test_a_reminder_owed_just_before_the_close_is_not_sent_after_it(slack: SlackStub, database_url: str) -> None:
    """Down past both delays: the close note says it all; no reminder after the ticket is closed."""
    with running_bot(slack, database_url, **SHORT) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot)
        set_waiting(bot, t)
    time.sleep(4.5)
    with running_bot(slack, database_url, **SHORT) as bot:
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], CLOSED), timeout=10)
        drained(bot)
        assert status(bot, t["number"]) == "resolved"
    assert thread_posts(slack, t["card_ts"], REMINDER) == []
    assert len(thread_posts(slack, t["card_ts"], CLOSED)) == 1


def test_a_close_delay_not_longer_than_the_reminder_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SUPPORT_PENDING_REMIND": "7d"}
    env["SUPPORT_PENDING_CLOSE"] = "5d"
    line = one_line(run_cli("migrate", env=env, cwd=tmp_path), "SUPPORT_PENDING_CLOSE")
    assert "SUPPORT_PENDING_REMIND" in line


def test_a_ticket_waiting_in_a_channel_archived_meanwhile_is_reminded_before_it_is_closed(
    slack: SlackStub, database_url: str
) -> None:
    """The customer's channel is archived while a ticket waits on them (nothing can be posted,
    nobody can reply) and unarchived after SUPPORT_PENDING_CLOSE: the customer still gets the
    reminder, and a chance to answer it, before the ticket is closed for want of a reply."""
    with running_bot(slack, database_url, **SHORT) as bot:
        t = waiting_ticket(bot)
        slack.archive(CUSTOMER_CHANNEL)
        bot.event({"type": "channel_archive", "channel": CUSTOMER_CHANNEL, "user": STAFF, "event_ts": "2.1"})
        time.sleep(4.5)  # past the close while archived: nothing happens then
        assert status(bot, t["number"]) == "waiting_on_customer"
        slack.unarchive(CUSTOMER_CHANNEL)
        bot.event({"type": "channel_unarchive", "channel": CUSTOMER_CHANNEL, "user": STAFF, "event_ts": "2.2"})
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], REMINDER), timeout=10)
        assert status(bot, t["number"]) == "waiting_on_customer"
        # ...then the whole wait again: closed SUPPORT_PENDING_CLOSE after the unarchive, once.
        slack.wait_for(lambda: thread_posts(slack, t["card_ts"], CLOSED), timeout=10)
        drained(bot)
        assert status(bot, t["number"]) == "resolved"
        assert len(thread_posts(slack, t["card_ts"], REMINDER)) == 1
