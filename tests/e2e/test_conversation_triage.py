"""A conversation on the triage side, and what its customer sees (issue 16, "A conversation"): its
triage card (Take, Set severity, Not a ticket, Resolve), the author's private "heard" note with
its Set severity button, and the bot's reactions on the customer's messages (👀, ✅)."""

from __future__ import annotations

import json
from typing import Any

from fakeslack import BOT_USER, CUSTOMER, CUSTOMER_TEAM, STAFF, TRIAGE
from fakeslack.messages import customer_message, new_ts, ticket_reaction
from fakeslack.payloads import block_actions
from tests.support import BotUnderTest, drained, file_ticket, texts_in, updates_to
from ui.messages import PICK_A_SEVERITY


def _converse(bot: BotUnderTest, channel: str, text: str = "The funnel insight shows no data") -> dict[str, Any]:
    """The customer writes a top-level message; returns its ts, the conversation's number and the
    ts of its triage card (once posted)."""
    said = customer_message(channel, text)
    status, _, _ = bot.event(said)
    assert status == 200
    number = bot.sql("SELECT id FROM tickets WHERE thread_ts = :ts", ts=said["ts"])[0][0]
    triage_ts = bot.slack.wait_for(lambda: bot.sql("SELECT triage_ts FROM tickets WHERE id = :n", n=number)[0][0])
    return {"ts": said["ts"], "number": number, "triage_ts": triage_ts}


def _row(bot: BotUnderTest, number: int) -> tuple:
    return tuple(bot.sql("SELECT status, severity, assignee_id FROM tickets WHERE id = :n", n=number)[0])


def _action_ids(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def _mirror(bot: BotUnderTest, c: dict[str, Any]) -> dict[str, Any]:
    """The triage card as it is now: its latest update, or the post."""
    updates = updates_to(bot, c["triage_ts"])
    return updates[-1] if updates else next(p for p in bot.slack.posts(TRIAGE) if p["ts"] == c["triage_ts"])


def _eyes_and_check(bot: BotUnderTest, channel: str, ts: str) -> tuple[list[str], list[str]]:
    reactions = bot.slack.reactions.get((channel, ts), {})
    return reactions.get("eyes", []), reactions.get("white_check_mark", [])


def _events(bot: BotUnderTest, number: int) -> list[tuple]:
    query = (
        "SELECT field, old_value, new_value, actor_id, reason FROM ticket_events "
        "WHERE ticket_id = :n AND field != 'created' ORDER BY id"
    )
    return [tuple(e) for e in bot.sql(query, n=number)]


def _click_on_ephemeral(bot: BotUnderTest, action_id: str, *, channel: str, value: str, key: str) -> None:
    """The customer clicks a button of an ephemeral message: Slack sends no `message`, and says so
    in the container."""
    payload = block_actions(
        action_id,
        user=CUSTOMER,
        channel=channel,
        team=CUSTOMER_TEAM,
        value=value,
        response_url=bot.slack.response_url(key),
        trigger_id=f"trigger-{key}",
    )
    payload.pop("message")
    payload["container"] = {"type": "message", "message_ts": new_ts(), "channel_id": channel, "is_ephemeral": True}
    status, _, _ = bot.interactive(payload)
    assert status == 200


def _severity_values(severity: str, reason: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "severity": {"severity": {"type": "radio_buttons", "selected_option": {"value": severity}}}
    }
    if reason is not None:
        values["reason"] = {"reason": {"type": "plain_text_input", "value": reason}}
    return values


# -- the triage card ----------------------------------------------------------------------------------
def test_the_triage_card_calls_it_a_conversation_links_the_message_and_offers_its_buttons(
    bot: BotUnderTest, channel: str
) -> None:
    c = _converse(bot, channel)
    card = _mirror(bot, c)
    blob = json.dumps(card["blocks"])
    assert f"conversation #{c['number']}" in card["text"]
    assert f"/archives/{channel}/p{c['ts'].replace('.', '')}|Open the customer's message>" in blob
    assert _action_ids(card) == [
        "ticket_take",
        "ticket_set_severity",
        "ticket_waiting",
        "ticket_resolve",
        "ticket_not_a_ticket",
        "ticket_reassign",
    ]
    not_a_ticket = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "ticket_not_a_ticket"
    )
    assert not_a_ticket["value"] == str(c["number"]) and "confirm" in not_a_ticket


def test_take_on_a_conversation_updates_only_the_triage_card(bot: BotUnderTest, channel: str) -> None:
    """A conversation has no card in the customer channel: nothing tries to update the customer's
    own message (Slack would refuse), so the triage card shows no "refused" warning."""
    c = _converse(bot, channel)
    bot.click("ticket_take", user=STAFF, channel=TRIAGE, message_ts=c["triage_ts"], value=str(c["number"]))
    assert _row(bot, c["number"]) == ("in_progress", None, STAFF)
    bot.slack.wait_for(lambda: updates_to(bot, c["triage_ts"]))
    drained(bot)
    assert [u for u in bot.slack.calls_to("chat.update") if u.args["channel"] == channel] == []
    assert ":warning:" not in json.dumps(_mirror(bot, c)["blocks"])
    assert not bot.sql("SELECT id FROM outbox WHERE kind IN ('card_update', 'post_refused')")


def test_not_a_ticket_closes_it_as_noise_removes_the_eyes_and_leaves_no_buttons(
    bot: BotUnderTest, channel: str
) -> None:
    c = _converse(bot, channel)
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"])[0] == [BOT_USER])
    status, _, _ = bot.click(
        "ticket_not_a_ticket", user=STAFF, channel=TRIAGE, message_ts=c["triage_ts"], value=str(c["number"])
    )
    assert status == 200
    assert _row(bot, c["number"])[0] == "noise"
    assert _events(bot, c["number"]) == [("status", "new", "noise", STAFF, "not a ticket")]
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"]) == ([], []))
    bot.slack.wait_for(lambda: updates_to(bot, c["triage_ts"]))
    drained(bot)
    card = _mirror(bot, c)
    assert _action_ids(card) == []
    blob = json.dumps(card["blocks"])
    assert "Not a ticket" in blob and "comes back if the customer replies" in blob
    assert "First response" not in blob and "due in" not in blob  # no clock runs on it (seen in the demo)
    assert [job.job_id for job in bot.runtime.scheduler.jobs() if job.job_id.endswith(f":{c['number']}")] == []


def test_only_staff_can_say_not_a_ticket_and_only_of_a_conversation(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    bot.click(
        "ticket_not_a_ticket",
        user=CUSTOMER,
        team=CUSTOMER_TEAM,
        channel=channel,
        message_ts=c["ts"],
        value=str(c["number"]),
    )
    assert "Only the support team" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert _row(bot, c["number"])[0] == "new"

    file_ticket(bot, channel=channel, title="Exports are slow")
    ticket = bot.sql("SELECT id FROM tickets WHERE title = 'Exports are slow'")[0][0]
    bot.click("ticket_not_a_ticket", user=STAFF, channel=TRIAGE, value=str(ticket))
    assert "Only a conversation" in bot.slack.wait_for(lambda: bot.slack.responses[1:])[0]["text"]
    assert _row(bot, ticket)[0] == "open"


def test_a_customer_reply_brings_noise_back_with_the_eyes(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    bot.click("ticket_not_a_ticket", user=STAFF, channel=TRIAGE, value=str(c["number"]))
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"]) == ([], []) and bot.sql("SELECT 1"))
    drained(bot)
    bot.thread_reply(channel, c["ts"], CUSTOMER, "No really, the funnel is still empty")
    assert _row(bot, c["number"])[0] == "new"
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"])[0] == [BOT_USER])
    note = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if "open again" in p["text"]])[0]
    assert note["thread_ts"] == c["triage_ts"]
    bot.slack.wait_for(lambda: "ticket_not_a_ticket" in _action_ids(_mirror(bot, c)))


# -- severity --------------------------------------------------------------------------------------------
def test_staff_set_the_first_severity_without_a_reason(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    due_before = bot.sql("SELECT sla_due_at FROM tickets WHERE id = :n", n=c["number"])[0][0]
    bot.click("ticket_set_severity", user=STAFF, channel=TRIAGE, message_ts=c["triage_ts"], value=str(c["number"]))
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    view = bot.opened_view()
    assert view["callback_id"] == "ticket_severity_modal" and view["submit"]["text"] == "Set severity"
    reason_block = next(b for b in view["blocks"] if b["block_id"] == "reason")
    assert reason_block["optional"] is True
    status, body, _ = bot.submit_view(view, _severity_values("critical", ""), user=STAFF)
    assert status == 200 and body in (b"", b"{}"), body
    assert _row(bot, c["number"])[1] == "critical"
    assert _events(bot, c["number"]) == [("severity", None, "critical", STAFF, "first severity")]
    due_after = bot.sql("SELECT sla_due_at FROM tickets WHERE id = :n", n=c["number"])[0][0]
    assert due_after < due_before  # Critical's target is shorter than an untriaged conversation's
    bot.slack.wait_for(lambda: "Critical" in _mirror(bot, c)["text"])
    ids = _action_ids(_mirror(bot, c))
    assert "ticket_set_severity" not in ids and "ticket_more" in ids and "ticket_not_a_ticket" in ids


def test_the_author_alone_is_told_it_is_tracked_with_a_severity_button(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    [note] = bot.slack.wait_for(lambda: bot.slack.ephemerals)
    assert (note["channel"], note["user"]) == (channel, CUSTOMER)
    assert f"#{c['number']}" in note["text"]
    [button] = [b["accessory"] for b in note["blocks"] if b.get("accessory")]
    assert (button["action_id"], button["value"]) == ("conversation_set_severity", str(c["number"]))
    drained(bot)
    # No public word from the bot in the customer channel (its welcome aside).
    assert [p for p in bot.slack.posts(channel) if "Hi!" not in p["text"]] == []
    # A later message that joins the conversation gets 👀, not a second note.
    joined = customer_message(channel, "Also the trends insight is empty")
    bot.event(joined)
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, joined["ts"])[0] == [BOT_USER])
    drained(bot)
    assert len(bot.slack.ephemerals) == 1


def test_the_customer_sets_a_severity_with_the_button(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    due_before = bot.sql("SELECT sla_due_at FROM tickets WHERE id = :n", n=c["number"])[0][0]
    _click_on_ephemeral(bot, "conversation_set_severity", channel=channel, value=str(c["number"]), key="eph1")
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    view = bot.opened_view()
    assert view["callback_id"] == "conversation_severity_modal"
    [picker] = [b for b in view["blocks"] if b["type"] == "input"]
    options = picker["element"]["options"]
    assert [o["value"] for o in options] == ["critical", "high", "medium", "low"]
    assert all(o["description"]["text"] for o in options)  # each with its impact, as /ticket shows it

    status, body, _ = bot.submit_view(view, _severity_values("high"), user=CUSTOMER, team=CUSTOMER_TEAM)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "update"
    assert "High" in " ".join(texts_in(answer["view"]["blocks"]))
    assert _row(bot, c["number"])[1] == "high"
    assert _events(bot, c["number"]) == [("severity", None, "high", CUSTOMER, "set by the customer")]
    due_after = bot.sql("SELECT sla_due_at FROM tickets WHERE id = :n", n=c["number"])[0][0]
    assert due_after < due_before
    bot.slack.wait_for(lambda: "High" in _mirror(bot, c)["text"])
    assert "ticket_set_severity" not in _action_ids(_mirror(bot, c))

    # Once it has a severity, the customer's button says so; staff change it, with a reason.
    _click_on_ephemeral(bot, "conversation_set_severity", channel=channel, value=str(c["number"]), key="eph2")
    refusal = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "already marked High" in refusal["text"] and refusal["response_type"] == "ephemeral"
    assert len(bot.slack.calls_to("views.open")) == 1


def test_a_customer_picker_left_open_while_staff_set_the_severity_is_refused(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    _click_on_ephemeral(bot, "conversation_set_severity", channel=channel, value=str(c["number"]), key="eph3")
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    customer_view = bot.opened_view()
    bot.click("ticket_set_severity", user=STAFF, channel=TRIAGE, value=str(c["number"]))
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    bot.submit_view(bot.opened_view(), _severity_values("low"), user=STAFF)
    assert _row(bot, c["number"])[1] == "low"

    status, body, _ = bot.submit_view(customer_view, _severity_values("critical"), user=CUSTOMER, team=CUSTOMER_TEAM)
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "already marked Low" in answer["errors"]["severity"]
    assert _row(bot, c["number"])[1] == "low"


def test_only_the_author_may_use_the_customer_severity_picker(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    other = "U0CUST2"
    bot.slack.add_user(other, CUSTOMER_TEAM)
    payload = block_actions(
        "conversation_set_severity",
        user=other,
        channel=channel,
        team=CUSTOMER_TEAM,
        value=str(c["number"]),
        response_url=bot.slack.response_url("eph4"),
        trigger_id="trigger-eph4",
    )
    bot.interactive(payload)
    assert "Only the person who wrote" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert bot.slack.calls_to("views.open") == []


def test_a_heard_note_slack_refuses_fails_quietly(bot: BotUnderTest, channel: str) -> None:
    bot.slack.members[channel] = [STAFF]  # the author has left the channel since writing
    said = customer_message(channel, "Feature flags do not load")
    bot.event(said)
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, said["ts"])[0] == [BOT_USER])
    drained(bot)
    assert bot.slack.ephemerals == []
    failed = bot.sql("SELECT last_error FROM outbox WHERE kind = 'ephemeral' AND state = 'failed'")
    assert [e for (e,) in failed] == ["user_not_in_channel"]
    assert bot.sql("SELECT id FROM outbox WHERE kind = 'post_refused'") == []


def test_a_filed_ticket_gets_no_heard_note(bot: BotUnderTest, channel: str) -> None:
    file_ticket(bot, channel=channel)
    bot.slack.wait_for(lambda: bot.sql("SELECT triage_ts FROM tickets")[0][0])
    drained(bot)
    assert bot.slack.ephemerals == []  # the /ticket form asked for a severity itself


# -- reactions -------------------------------------------------------------------------------------------
def test_resolve_swaps_the_eyes_for_a_check_and_a_reply_swaps_them_back(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"]) == ([BOT_USER], []))
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, message_ts=c["triage_ts"], value=str(c["number"]))
    assert _row(bot, c["number"])[0] == "resolved"
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"]) == ([], [BOT_USER]))

    bot.thread_reply(channel, c["ts"], CUSTOMER, "It is broken again")
    assert _row(bot, c["number"])[0] == "in_progress"
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, c["ts"]) == ([BOT_USER], []))


def test_a_check_by_staff_on_any_of_its_messages_resolves_the_conversation(bot: BotUnderTest, channel: str) -> None:
    c = _converse(bot, channel)
    joined = customer_message(channel, "Same for the paths insight")
    bot.event(joined)
    bot.slack.wait_for(lambda: _eyes_and_check(bot, channel, joined["ts"])[0] == [BOT_USER])
    bot.event(ticket_reaction(channel, joined["ts"], STAFF, reaction="white_check_mark"))
    assert _row(bot, c["number"])[0] == "resolved"
    for ts in (c["ts"], joined["ts"]):
        bot.slack.wait_for(lambda ts=ts: _eyes_and_check(bot, channel, ts) == ([], [BOT_USER]))


def test_the_bots_own_check_mark_is_not_a_request(bot: BotUnderTest, channel: str) -> None:
    """The bot's ✅ comes back as a reaction_added event; arriving late (after the customer reopened
    the conversation), it must neither resolve it again nor be answered."""
    c = _converse(bot, channel)
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(c["number"]))
    bot.thread_reply(channel, c["ts"], CUSTOMER, "Still broken")
    assert _row(bot, c["number"])[0] == "in_progress"
    drained(bot)
    told_before = len(bot.slack.ephemerals)
    status, _, _ = bot.event(ticket_reaction(channel, c["ts"], BOT_USER, reaction="white_check_mark"))
    assert status == 200
    drained(bot)
    assert _row(bot, c["number"])[0] == "in_progress"
    assert len(bot.slack.ephemerals) == told_before
    assert [e for e in _events(bot, c["number"]) if e[3] == BOT_USER] == []


def test_reactions_on_a_deleted_message_fail_quietly(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "Our session replays are blank")
    bot.slack.delete_message(channel, said["ts"])  # deleted before the bot could react
    bot.event(said)
    number = bot.sql("SELECT id FROM tickets")[0][0]
    bot.slack.wait_for(lambda: bot.sql("SELECT triage_ts FROM tickets")[0][0])
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(number))
    drained(bot)
    failed = bot.sql("SELECT last_error FROM outbox WHERE kind = 'reaction' AND state = 'failed'")
    assert failed and {e for (e,) in failed} == {"message_not_found"}
    assert bot.sql("SELECT id FROM outbox WHERE kind = 'post_refused'") == []
    triage = bot.slack.posts(TRIAGE)
    assert [p for p in triage if "refused" in p["text"]] == []
    assert all(":warning:" not in json.dumps(p["blocks"]) for p in triage)
    assert all(":warning:" not in json.dumps(u.args["blocks"]) for u in bot.slack.calls_to("chat.update"))


def test_a_severity_picker_submitted_with_nothing_chosen_is_a_field_error(bot: BotUnderTest, channel: str) -> None:
    """Slack sends `"selected_option": null` for a radio left empty (the demo's page found this
    was a 500 from the staff and the customer pickers)."""
    c = _converse(bot, channel)
    bot.click("ticket_set_severity", user=STAFF, channel=TRIAGE, message_ts=c["triage_ts"], value=str(c["number"]))
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    nothing = {"severity": {"severity": {"type": "radio_buttons", "selected_option": None}}}
    status, body, _ = bot.submit_view(bot.opened_view(), nothing, user=STAFF)
    assert status == 200
    assert json.loads(body) == {"response_action": "errors", "errors": {"severity": PICK_A_SEVERITY}}

    _click_on_ephemeral(bot, "conversation_set_severity", channel=channel, value=str(c["number"]), key="eph1")
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    status, body, _ = bot.submit_view(bot.opened_view(), nothing, user=CUSTOMER, team=CUSTOMER_TEAM)
    assert status == 200
    assert json.loads(body) == {"response_action": "errors", "errors": {"severity": PICK_A_SEVERITY}}
    assert _row(bot, c["number"])[1] is None
