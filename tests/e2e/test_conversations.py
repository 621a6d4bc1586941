"""Every customer message is heard (issue 16): a plain top-level customer message in a shared
channel becomes a conversation, tracked from the first word, without a bot reply under it."""

from __future__ import annotations

from fakeslack import CUSTOMER, STAFF, TRIAGE
from fakeslack.messages import customer_message, person_message
from tests.support import BotUnderTest, drained


def _conversations(bot: BotUnderTest) -> list[tuple]:
    return [
        tuple(row)
        for row in bot.sql(
            "SELECT id, source, severity, status, title, reporter_id, thread_ts FROM tickets ORDER BY id"
        )
    ]


def test_a_plain_customer_message_starts_a_conversation(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "Our *EU* export &amp; the &lt;daily&gt; job fail\nsince 9am, see logs")
    status, _, _ = bot.event(said)
    assert status == 200
    [(number, source, severity, status_, title, reporter, thread_ts)] = _conversations(bot)
    assert (source, severity, status_, reporter, thread_ts) == ("message", None, "new", CUSTOMER, said["ts"])
    assert title == "Our *EU* export & the <daily> job fail"
    drained(bot)
    assert bot.slack.reactions[(channel, said["ts"])]["eyes"] == [bot.slack.bot_user]
    # No bot reply under the customer's message; triage has the conversation.
    assert not [p for p in bot.slack.posts(channel) if p.get("thread_ts") == said["ts"]]
    mirror = [p for p in bot.slack.posts(TRIAGE) if f"#{number}" in p["text"]]
    assert mirror and "conversation" in mirror[0]["text"]


def test_staff_messages_and_pleasantries_are_not_conversations(bot: BotUnderTest, channel: str) -> None:
    bot.event(person_message(channel, STAFF, "Heads up: we deploy at 3pm"))
    for text in ("thanks!", "ok", "got it :+1:", "+1", ":tada:", "Thank you so much 🙏"):
        bot.event(customer_message(channel, text))
    assert _conversations(bot) == []


def test_a_thread_reply_joins_the_conversation(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "The funnel insight shows no data")
    bot.event(said)
    bot.event(person_message(channel, STAFF, "Looking now", thread_ts=said["ts"]))
    [(number, *_)] = _conversations(bot)
    status, first_response_at = bot.sql("SELECT status, first_response_at FROM tickets")[0]
    assert status == "in_progress" and first_response_at is not None
    assert bot.sql("SELECT count(*) FROM ticket_messages WHERE ticket_id = :n", n=number)[0][0] == 1


def test_a_retried_message_event_is_one_conversation(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "Session recordings are blank")
    bot.event(said, event_id="EvONE")
    bot.event(said, event_id="EvONE", retry_num=1)
    bot.event(said, event_id="EvTWO")  # the same message under another event id
    assert len(_conversations(bot)) == 1
