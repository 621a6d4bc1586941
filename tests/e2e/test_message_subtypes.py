"""Messages not written by people, and 🎫 on them. Issue 14, section 6.

Payload shapes: bolt-python's scenario fixtures (bot_message, bot_message_with_user,
message_changed, message_deleted, thread_broadcast, file_share) and Slack's event reference
(channel_join), with our channel, users and a ticket's thread put in.
"""

from __future__ import annotations

from typing import Any

import pytest

from fakeslack import BOT_USER, CUSTOMER, CUSTOMER_TEAM, HOST_TEAM, STAFF
from fakeslack.messages import customer_message, new_ts, person_message, ticket_reaction
from tests.support import BotUnderTest, drained, ticket_from_message


def _state(bot: BotUnderTest) -> tuple:
    return tuple(bot.sql("SELECT status, first_response_at IS NOT NULL, reply_count FROM tickets")[0])


def _untouched(bot: BotUnderTest) -> None:
    assert _state(bot) in (("open", False, 0), ("open", 0, 0))
    assert bot.sql("SELECT count(*) FROM ticket_messages")[0][0] == 0


def _add_raw_message(bot: BotUnderTest, channel: str, message: dict[str, Any]) -> None:
    """A message another app or a workflow posted, as conversations.history returns it."""
    with bot.slack._lock:
        bot.slack.messages.setdefault(channel, []).append({"channel": channel, "human": True, **message})


def _ephemerals(bot: BotUnderTest, user: str) -> list[str]:
    return [c.args["text"] for c in bot.slack.calls_to("chat.postEphemeral") if c.args.get("user") == user]


# -- in a ticket's thread ----------------------------------------------------------------------


def _alert_bot(channel: str, thread_ts: str) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": "Hi there! This is a reply using response_url.",
        "ts": ts,
        "bot_id": "B_DIFFERENT_ONE",
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
        "thread_ts": thread_ts,
    }


def _app_with_user(channel: str, thread_ts: str) -> dict[str, Any]:
    ts = new_ts()
    return {
        "bot_id": "B999",
        "type": "message",
        "text": "Hi there! Thanks for sharing the info!",
        "user": STAFF,  # an app posting as one of our people is still an app
        "ts": ts,
        "team": HOST_TEAM,
        "bot_profile": {"id": "B999", "deleted": False, "name": "other-app", "app_id": "A222", "team_id": HOST_TEAM},
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
        "thread_ts": thread_ts,
    }


def _workflow(channel: str, thread_ts: str) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": "New request from the intake form",
        "ts": ts,
        "username": "Support intake",
        "bot_id": "B0WORKFLOW",
        "bot_profile": {"id": "B0WORKFLOW", "name": "Workflow Builder", "app_id": "A0F7YS2SX"},
        "workflow_id": "Wf0123ABC",
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
        "thread_ts": thread_ts,
    }


def _huddle(channel: str, thread_ts: str) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "message",
        "subtype": "huddle_thread",
        "user": STAFF,
        "text": "",
        "ts": ts,
        "thread_ts": thread_ts,
        "channel": channel,
        "room": {"id": "R0HUDDLE", "name": "", "created_by": STAFF, "participants": [STAFF]},
        "no_notifications": True,
        "event_ts": ts,
        "channel_type": "channel",
    }


@pytest.mark.parametrize(
    "make", [_alert_bot, _app_with_user, _workflow, _huddle], ids=["alert_bot", "app_as_user", "workflow", "huddle"]
)
def test_app_workflow_and_huddle_posts_in_a_ticket_thread_are_not_replies(
    bot: BotUnderTest, channel: str, make: Any
) -> None:
    t = ticket_from_message(bot, channel)
    assert bot.event(make(channel, t["card_ts"]))[0] == 200
    assert bot.event(make(channel, t["source_ts"]))[0] == 200
    _untouched(bot)


def test_an_edit_is_not_a_new_reply(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    original = customer_message(channel, "original message", thread_ts=t["card_ts"])
    bot.event(original)
    ts = new_ts()
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "message": {**original, "text": "updated message", "edited": {"user": CUSTOMER, "ts": ts}},
        "previous_message": original,
        "channel": channel,
        "hidden": True,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    assert bot.event(edited)[0] == 200
    # An edit by staff of a message never seen as a reply doesn't become a first response either.
    staff_original = person_message(channel, STAFF, "typo", thread_ts=t["card_ts"])
    bot.event({**edited, "message": {**staff_original, "text": "fixed"}, "previous_message": staff_original})
    assert _state(bot) in (("open", False, 1), ("open", 0, 1))


def test_a_deleted_reply_stays_counted_and_the_first_response_stands(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    reply = person_message(channel, STAFF, "Looking now", thread_ts=t["card_ts"])
    bot.event(reply)
    before = bot.sql("SELECT status, first_response_at, reply_count FROM tickets")[0]
    ts = new_ts()
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": {k: reply[k] for k in ("type", "text", "user", "team", "ts", "thread_ts")},
        "channel": channel,
        "hidden": True,
        "deleted_ts": reply["ts"],
        "event_ts": ts,
        "ts": ts,
        "channel_type": "channel",
    }
    assert bot.event(deleted)[0] == 200
    assert bot.sql("SELECT status, first_response_at, reply_count FROM tickets")[0] == before


def test_a_thread_broadcast_counts_as_a_reply(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    reply = person_message(channel, STAFF, "Fixed, see the status page", thread_ts=t["card_ts"])
    reply.update(
        subtype="thread_broadcast",
        root={"type": "message", "text": "Ticket #1", "user": BOT_USER, "ts": t["card_ts"], "thread_ts": t["card_ts"]},
    )
    bot.event(reply)
    assert _state(bot) in (("in_progress", True, 1), ("in_progress", 1, 1))


@pytest.mark.parametrize("subtype", [None, "file_share"])
def test_a_file_with_no_text_counts_as_a_reply(bot: BotUnderTest, channel: str, subtype: str | None) -> None:
    t = ticket_from_message(bot, channel)
    file_only = customer_message(channel, "", thread_ts=t["card_ts"])
    file_only.update(
        blocks=[],
        upload=False,
        display_as_bot=False,
        files=[{"id": "F111", "name": "export.csv", "title": "export.csv", "mimetype": "text/csv", "user": CUSTOMER}],
    )
    if subtype:
        file_only["subtype"] = subtype
    bot.click("ticket_waiting", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    bot.event(file_only)
    assert _state(bot)[0] == "in_progress" and _state(bot)[2] == 1  # the customer answered: reopened
    staff_file = {**person_message(channel, STAFF, "", thread_ts=t["card_ts"]), "files": file_only["files"]}
    bot.event(staff_file)
    assert bot.sql("SELECT first_response_at IS NOT NULL, reply_count FROM tickets")[0] in ((True, 2), (1, 2))


def test_me_message_counts_as_a_reply(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.event({**person_message(channel, STAFF, "is looking", thread_ts=t["card_ts"]), "subtype": "me_message"})
    assert _state(bot) in (("in_progress", True, 1), ("in_progress", 1, 1))


@pytest.mark.parametrize("subtype", ["channel_join", "channel_leave"])
def test_join_and_leave_notices_change_nothing(bot: BotUnderTest, channel: str, subtype: str) -> None:
    t = ticket_from_message(bot, channel)
    ts = new_ts()
    notice = {
        "type": "message",
        "subtype": subtype,
        "ts": ts,
        "user": STAFF,
        "text": f"<@{STAFF}|staff> has joined the channel",
        "inviter": CUSTOMER,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
    }
    assert bot.event(notice)[0] == 200
    assert bot.event({**notice, "thread_ts": t["card_ts"]})[0] == 200
    _untouched(bot)


# -- 🎫 on messages not written by people ------------------------------------------------------


def test_ticket_reaction_on_an_alert_bots_message_files_with_the_reactor_as_reporter(
    bot: BotUnderTest, channel: str
) -> None:
    ts = new_ts(seconds_ago=30)
    _add_raw_message(
        bot,
        channel,
        {
            "type": "message",
            "subtype": "bot_message",
            "ts": ts,
            "text": "",
            "bot_id": "B0ALERTS",
            "username": "alerts",
            "attachments": [
                {"fallback": "CRITICAL: ingestion lag 45 min", "title": "Ingestion lag 45 min", "text": "eu-1"}
            ],
        },
    )
    assert bot.event(ticket_reaction(channel, ts, CUSTOMER, item_user=None))[0] == 200
    bot.settle("intake")
    rows = bot.sql("SELECT reporter_id, title, source, source_ts FROM tickets")
    assert [tuple(r) for r in rows] == [(CUSTOMER, "Ingestion lag 45 min", "reaction", ts)]


def test_ticket_reaction_on_a_workflow_post_files_with_the_reactor_as_reporter(bot: BotUnderTest, channel: str) -> None:
    ts = new_ts(seconds_ago=30)
    workflow = _workflow(channel, "")
    workflow.pop("thread_ts")
    _add_raw_message(bot, channel, {**workflow, "ts": ts, "user": "U0WFBOT"})
    bot.event(ticket_reaction(channel, ts, STAFF))
    bot.settle("intake")
    rows = bot.sql("SELECT reporter_id, title FROM tickets")
    assert [tuple(r) for r in rows] == [(STAFF, "New request from the intake form")]


def test_ticket_reaction_on_our_own_message_is_explained_privately(bot: BotUnderTest, channel: str) -> None:
    welcome = bot.slack.posts(channel)[0]  # the bot's own welcome post
    assert bot.event(ticket_reaction(channel, welcome["ts"], CUSTOMER, item_user=BOT_USER))[0] == 200
    said = bot.slack.wait_for(lambda: _ephemerals(bot, CUSTOMER))
    assert "one of my own messages" in said[0]
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0


def test_ticket_reaction_that_cannot_become_a_ticket_is_explained(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.event(ticket_reaction(channel, t["card_ts"], STAFF, item_user=BOT_USER))  # on the card
    bot.event(ticket_reaction(channel, t["source_ts"], STAFF))  # on the message again
    bot.event(ticket_reaction(channel, new_ts(), STAFF))  # on a message Slack no longer has
    bot.event(ticket_reaction("C0TRIAGE", new_ts(), STAFF))  # not a customer channel
    said = bot.slack.wait_for(lambda: len(_ephemerals(bot, STAFF)) >= 4 and _ephemerals(bot, STAFF))
    assert any(f"card of ticket #{t['number']}" in s for s in said)
    assert any(f"already ticket #{t['number']}" in s for s in said)
    assert any("couldn't find that message" in s for s in said)
    assert any("triage channel" in s for s in said)  # triage is never where tickets are filed
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1


def test_a_customers_check_mark_on_the_card_is_answered_privately(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    event = ticket_reaction(channel, t["card_ts"], "U0CUSTNEW", reaction="white_check_mark", user_team=CUSTOMER_TEAM)
    bot.event(event)
    assert "Only the support team" in bot.slack.wait_for(lambda: _ephemerals(bot, "U0CUSTNEW"))[0]
    drained(bot)
    assert bot.sql("SELECT status FROM tickets")[0][0] == "open"
