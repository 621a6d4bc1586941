"""Ticket work end to end: staff actions on both cards, permissions, ratings, more ways in, audit."""

from __future__ import annotations

import json

import pytest

from fakeslack import CUSTOMER, CUSTOMER_TEAM, STAFF, STAFF_2, TRIAGE
from tests.support import BotUnderTest, drained, filed, updates_to

OTHER_CHANNEL = "C0GLOBEX"


def row(bot: BotUnderTest, number: int) -> tuple:
    return tuple(bot.sql("SELECT status, assignee_id, severity FROM tickets WHERE id = :n", n=number)[0])


def test_take_it_on_the_triage_card_updates_both_cards(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    status, _, _ = bot.click(
        "ticket_take", user=STAFF, channel=TRIAGE, message_ts=t["triage_ts"], value=str(t["number"])
    )
    assert status == 200
    assert row(bot, t["number"]) == ("in_progress", STAFF, "high")
    card = bot.slack.wait_for(lambda: updates_to(bot, t["card_ts"]))[-1]
    mirror = bot.slack.wait_for(lambda: updates_to(bot, t["triage_ts"]))[-1]
    for update in (card, mirror):
        blob = json.dumps(update["blocks"])
        assert "In progress" in blob and f"<@{STAFF}>" in blob and "first response due in" in blob
    events = bot.sql(
        "SELECT field, old_value, new_value, actor_id FROM ticket_events WHERE ticket_id = :n "
        "AND field != 'created' ORDER BY id",
        n=t["number"],
    )
    assert [tuple(e) for e in events] == [("assignee", None, STAFF, STAFF), ("status", "open", "in_progress", STAFF)]


@pytest.mark.parametrize("action", ["ticket_take", "ticket_waiting", "ticket_resolve"])
def test_customers_cannot_use_staff_actions(bot: BotUnderTest, channel: str, action: str) -> None:
    t = filed(bot)
    status, _, _ = bot.click(
        action, user=CUSTOMER, channel=channel, message_ts=t["card_ts"], value=str(t["number"]), team=CUSTOMER_TEAM
    )
    assert status == 200
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "Only the support team" in answer["text"]
    drained(bot)
    assert row(bot, t["number"]) == ("open", None, "high")
    assert bot.slack.calls_to("chat.update") == []


def test_an_action_carrying_another_channels_ticket_is_refused(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    bot.join_channel(OTHER_CHANNEL, name="globex")
    status, _, _ = bot.click("ticket_resolve", user=STAFF, channel=OTHER_CHANNEL, value=str(t["number"]))
    assert status == 200
    assert "does not belong" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert row(bot, t["number"])[0] == "open"


def test_waiting_then_customer_reply_moves_back_to_in_progress(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    bot.click("ticket_waiting", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    assert row(bot, t["number"])[0] == "waiting_on_customer"
    bot.thread_reply(channel, t["card_ts"], CUSTOMER, "Here are the logs")
    assert row(bot, t["number"])[0] == "in_progress"
    note = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if "back in progress" in p["text"]])[0]
    assert note["thread_ts"] == t["triage_ts"] and f"<@{CUSTOMER}>" in note["text"]


def test_reassign_and_change_severity_with_a_reason(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    payload_extra = {"type": "users_select"}
    status, _, _ = bot.click(
        "ticket_reassign",
        user=STAFF,
        channel=TRIAGE,
        message_ts=t["triage_ts"],
        value="",
        action_extra={**payload_extra, "selected_user": STAFF_2, "block_id": f"ticket_actions:{t['number']}"},
    )
    assert status == 200
    assert row(bot, t["number"])[1] == STAFF_2

    bot.click(
        "ticket_more",
        user=STAFF,
        channel=TRIAGE,
        message_ts=t["triage_ts"],
        action_extra={"type": "overflow", "selected_option": {"value": f"severity:{t['number']}"}},
    )
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    view = bot.opened_view()
    assert view["callback_id"] == "ticket_severity_modal"
    values = {
        "severity": {"severity": {"type": "radio_buttons", "selected_option": {"value": "critical"}}},
        "reason": {"reason": {"type": "plain_text_input", "value": "  "}},
    }
    status, body, _ = bot.submit_view(view, values, user=STAFF)
    assert json.loads(body)["response_action"] == "errors" and row(bot, t["number"])[2] == "high"
    values["reason"]["reason"]["value"] = "Their checkout is down"
    status, body, _ = bot.submit_view(view, values, user=STAFF)
    assert status == 200 and body in (b"", b"{}")
    assert row(bot, t["number"])[2] == "critical"
    reason = bot.sql("SELECT reason FROM ticket_events WHERE field = 'severity'")[0][0]
    assert reason == "Their checkout is down"


def test_resolve_asks_for_a_rating_shown_on_the_triage_card(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    bot.click("ticket_resolve", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    assert row(bot, t["number"])[0] == "resolved"
    ask = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if "Did we help" in p["text"]])[0]
    assert ask["thread_ts"] == t["card_ts"]

    # Staff can't rate; the customer can, with one click, then an optional comment.
    bot.click("ticket_rate_helpful", user=STAFF, channel=channel, value=str(t["number"]))
    assert "for the customer" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    bot.click("ticket_rate_not_helpful", user=CUSTOMER, channel=channel, value=str(t["number"]), team=CUSTOMER_TEAM)
    assert bot.sql("SELECT rating, rated_by FROM tickets")[0] == ("not_helpful", CUSTOMER)
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    view = bot.opened_view()
    bot.submit_view(
        view,
        {"comment": {"comment": {"type": "plain_text_input", "value": "Took <!here> too long"}}},
        user=CUSTOMER,
        team=CUSTOMER_TEAM,
    )
    assert bot.sql("SELECT rating_comment FROM tickets")[0][0] == "Took <!here> too long"
    mirror = bot.slack.wait_for(
        lambda: [u for u in updates_to(bot, t["triage_ts"]) if "Took" in json.dumps(u["blocks"])]
    )[-1]
    blob = json.dumps(mirror["blocks"])
    assert "Not helpful" in blob and "<!here>" not in blob and "Resolved" in blob


def test_staff_check_reaction_on_the_card_resolves(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    item = {"type": "message", "channel": channel, "ts": t["card_ts"]}
    bot.event({"type": "reaction_added", "user": CUSTOMER, "reaction": "white_check_mark", "item": item})
    assert row(bot, t["number"])[0] == "open"
    bot.event({"type": "reaction_added", "user": STAFF, "reaction": "white_check_mark", "item": item})
    assert row(bot, t["number"])[0] == "resolved"


def test_ticket_reaction_files_a_ticket_once(bot: BotUnderTest, channel: str) -> None:
    bot.slack.add_message(channel, "1700001000.000100", CUSTOMER, "Exports fail since this morning\nError 500 on CSV")
    item = {"type": "message", "channel": channel, "ts": "1700001000.000100"}
    for event_id in ("EvR1", "EvR2"):  # a second 🎫 (another person) is not a second ticket
        status, _, _ = bot.event(
            {"type": "reaction_added", "user": STAFF, "reaction": "ticket", "item": item}, event_id=event_id
        )
        assert status == 200
    # The message is read after the answer (by the outbox), then the ticket is filed.
    bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets"))
    rows = bot.sql("SELECT title, severity, source, reporter_id, source_ts FROM tickets")
    assert [tuple(r) for r in rows] == [
        ("Exports fail since this morning", "medium", "reaction", CUSTOMER, "1700001000.000100")
    ]
    card = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if "Ticket #1" in p["text"]])[0]
    assert "p1700001000000100" in json.dumps(card["blocks"])  # links the original message

    # The shortcut on the same message says so instead of opening a second form.
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message={"ts": "1700001000.000100", "text": "x"})
    assert "already ticket #1" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert bot.slack.calls_to("views.open") == []


def test_message_shortcut_opens_a_prefilled_form(bot: BotUnderTest, channel: str) -> None:
    message = {"ts": "1700002000.000200", "text": "Flags stopped evaluating\nfor EU users", "user": CUSTOMER}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "Flags stopped evaluating"
    values = {
        "severity": {"severity": {"selected_option": {"value": "high"}}},
        "title": {"title": {"value": "Flags stopped evaluating"}},
        "description": {"description": {"value": message["text"]}},
    }
    status, body, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    assert status == 200
    assert [tuple(r) for r in bot.sql("SELECT source, source_ts, severity FROM tickets")] == [
        ("shortcut", "1700002000.000200", "high")
    ]


def test_mentioning_the_bot_files_a_ticket(bot: BotUnderTest, channel: str) -> None:
    event = {
        "type": "app_mention",
        "user": CUSTOMER,
        "channel": channel,
        "ts": "1700003000.000300",
        "text": "<@U0BOT> session replays are blank",
    }
    bot.event(event, event_id="EvM1")
    bot.event(event, event_id="EvM1", retry_num=1)
    assert [tuple(r) for r in bot.sql("SELECT title, source, severity FROM tickets")] == [
        ("session replays are blank", "mention", "medium")
    ]


def test_audit_trail_in_the_exports(bot: BotUnderTest, channel: str, database_url: str) -> None:
    from tests.support import run_cli

    t = filed(bot)
    bot.click("ticket_take", user=STAFF, channel=TRIAGE, value=str(t["number"]))
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(t["number"]))
    result = run_cli("export", "tickets", "--format", "json", env={"DATABASE_URL": database_url})
    [ticket] = json.loads(result.stdout)
    changes = [(e["field"], e["from"], e["to"]) for e in ticket["events"]]
    assert changes == [
        ("created", None, "open"),
        ("assignee", None, STAFF),
        ("status", "open", "in_progress"),
        ("status", "in_progress", "resolved"),
    ]
    assert all(e["at"].endswith("Z") and e["actor_id"] for e in ticket["events"])
    result = run_cli("export", "ticket-events", "--format", "csv", env={"DATABASE_URL": database_url})
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "ticket_number,at,actor_id,field,from,to,reason" and len(lines) == 5


@pytest.mark.parametrize("assignee", [CUSTOMER, "bot"])
def test_a_ticket_cannot_be_reassigned_to_a_customer_or_the_bot(bot: BotUnderTest, channel: str, assignee: str) -> None:
    """Slack's user picker lists the customers of a shared channel and the bot too (seen in the demo)."""
    t = filed(bot)
    chosen = bot.slack.bot_user if assignee == "bot" else assignee
    status, _, _ = bot.click(
        "ticket_reassign",
        user=STAFF,
        channel=TRIAGE,
        message_ts=t["triage_ts"],
        value="",
        action_extra={"type": "users_select", "selected_user": chosen, "block_id": f"ticket_actions:{t['number']}"},
    )
    assert status == 200
    assert row(bot, t["number"])[1] is None
    told = bot.slack.wait_for(lambda: [r for r in bot.slack.responses if "only be assigned" in json.dumps(r)])
    assert told
