"""A ticket filed from a message in the middle of a thread (🎫, the Create-ticket shortcut) records
the thread's earlier messages too (issue 16): as the ticket's history, staff or customer as Slack
says, apps left out, without moving the ticket (its first response is still to come)."""

from __future__ import annotations

import time

from fakeslack import CUSTOMER, STAFF, STAFF_2
from fakeslack.messages import new_ts
from fakeslack.payloads import ticket_values
from services.backfill import complete_backfill
from tests.support import BotUnderTest, drained, ticket_from_message


def _thread(bot: BotUnderTest, channel: str, *people: str) -> list[str]:
    """A customer's top-level message and a reply by each of `people` ("app": an alert bot), in
    order, a second apart; returns their ts, the parent's first."""
    start = time.time() - 600
    parent = f"{int(start)}.000100"
    bot.slack.add_message(channel, parent, CUSTOMER, "Exports fail")
    stamps = [parent]
    for n, person in enumerate(people, start=1):
        ts = f"{int(start) + n}.000{100 + n}"
        bot.slack.add_message(channel, ts, "U0ALERTS" if person == "app" else person, f"reply {n}", thread_ts=parent)
        if person == "app":
            with bot.slack._lock:  # an alert bot's post: Slack gives it a bot_id
                bot.slack.messages[channel][-1].update(bot_id="B0ALERTS", subtype="bot_message")
        stamps.append(ts)
    return stamps


def _history(bot: BotUnderTest, number: int) -> list[tuple]:
    query = "SELECT ts, user_id, from_staff FROM ticket_messages WHERE ticket_id = :n ORDER BY ts"
    return [tuple(r) for r in bot.sql(query, n=number)]


def _unmoved(bot: BotUnderTest, number: int) -> tuple:
    return tuple(bot.sql("SELECT status, first_response_at, reply_count FROM tickets WHERE id = :n", n=number)[0])


def test_a_ticket_from_a_thread_reply_records_the_earlier_messages(bot: BotUnderTest, channel: str) -> None:
    parent, by_staff, by_app, filed_ts, later = _thread(bot, channel, STAFF, "app", CUSTOMER, CUSTOMER)
    ticket = ticket_from_message(bot, channel, ts=filed_ts, thread_ts=parent, text="reply 3")
    number = ticket["number"]
    bot.settle("backfill")
    assert _history(bot, number) == [(parent, CUSTOMER, False), (by_staff, STAFF, True)]
    assert _unmoved(bot, number) == ("open", None, 0)  # history: no first response, no reopening
    [read] = [c.args for c in bot.slack.calls_to("conversations.replies") if c.args.get("ts") == parent]
    assert read["channel"] == channel
    # Delivered again (a retried row): nothing twice.
    answer = {"ok": True, "messages": [{"ts": parent, "user": CUSTOMER}, {"ts": by_staff, "user": STAFF}]}
    payload = {"ticket": number, "channel": channel, "thread_ts": parent, "ts": filed_ts}
    complete_backfill(bot.runtime.deps, payload, answer)
    assert len(_history(bot, number)) == 2
    # A staff reply after filing is still the first response.
    bot.thread_reply(channel, parent, STAFF, "Looking now")
    assert _unmoved(bot, number)[0] == "in_progress"
    assert later not in [h[0] for h in _history(bot, number)]


def test_the_shortcut_on_a_thread_reply_records_the_earlier_messages(bot: BotUnderTest, channel: str) -> None:
    parent, by_staff, filed_ts = _thread(bot, channel, STAFF, CUSTOMER)
    message = {"ts": filed_ts, "thread_ts": parent, "text": "reply 2", "user": CUSTOMER, "type": "message"}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    assert bot.submit_view(bot.opened_view(), ticket_values(severity="medium"), user=STAFF)[0] == 200
    number = bot.sql("SELECT id FROM tickets")[0][0]
    bot.slack.wait_for(lambda: len(_history(bot, number)) == 2)
    assert _history(bot, number) == [(parent, CUSTOMER, False), (by_staff, STAFF, True)]
    assert _unmoved(bot, number) == ("open", None, 0)


def test_a_ticket_from_a_top_level_message_reads_no_thread(bot: BotUnderTest, channel: str) -> None:
    ticket = ticket_from_message(bot, channel, ts=new_ts(seconds_ago=30))
    drained(bot)
    assert bot.sql("SELECT id FROM outbox WHERE kind = 'backfill'") == []
    assert _history(bot, ticket["number"]) == []


def test_an_author_slack_cannot_name_is_settled_later_and_dates_no_first_response(
    bot: BotUnderTest, channel: str
) -> None:
    parent, by_staff, filed_ts = _thread(bot, channel, STAFF_2, CUSTOMER)
    bot.slack.fail_user(STAFF_2, "server_error", times=3)
    number = ticket_from_message(bot, channel, ts=filed_ts, thread_ts=parent, text="reply 2")["number"]
    bot.slack.wait_for(lambda: (by_staff, STAFF_2, None) in _history(bot, number))  # not guessed
    bot.slack.wait_for(lambda: (by_staff, STAFF_2, True) in _history(bot, number), timeout=20)  # settled later
    assert _unmoved(bot, number) == ("open", None, 0)


def test_a_mention_in_a_thread_records_the_earlier_messages(bot: BotUnderTest, channel: str) -> None:
    parent, by_staff, filed_ts = _thread(bot, channel, STAFF, CUSTOMER)
    mention = {
        "type": "app_mention",
        "user": CUSTOMER,
        "text": f"<@{bot.slack.bot_user}> this still fails",
        "ts": filed_ts,
        "thread_ts": parent,
        "channel": channel,
        "event_ts": filed_ts,
    }
    assert bot.event(mention)[0] == 200
    number = bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets WHERE source = 'mention'"))[0][0]
    bot.slack.wait_for(lambda: len(_history(bot, number)) == 2)
    assert _history(bot, number) == [(parent, CUSTOMER, False), (by_staff, STAFF, True)]
