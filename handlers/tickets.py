"""Staff actions on ticket cards, the customer's rating, and the other ways to file a ticket
(🎫 reaction, ✅ to resolve, the "Create ticket" message shortcut, @-mentioning the bot).

Each listener parses the payload, calls one use case (services/ticket_actions.py,
services/filing.py) and answers. A click is applied before Slack hears "ok" (the `ack` listener);
what the person is told, or the modal that follows, goes in a lazy listener after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from config.routing import area_choices
from handlers.modal import answer_submission, field_state, open_modal, open_ticket_modal, selected_value
from handlers.routing import action, event, message_shortcut, view
from services import filing, ticket_actions
from services.deps import Deps
from services.filing import RESOLVE_EMOJI, TICKET_EMOJI
from services.ticket_actions import BUTTON_ACTIONS, CardClick
from slack_api.identity import payload_team
from slack_api.message_kinds import readable_text
from tickets.rules import description_from_message, title_from_message, validate_ticket_fields
from tickets.severity import Severity, parse_severity
from tickets.slack_text import plain_text
from ui import ids
from ui.blocks import ModalContext


def _ticket_number(action: dict[str, Any]) -> int | None:
    """The ticket a card's button or ⋯ menu is for: the button's value, the menu option's
    'verb:number', or the actions block's id (ids.TICKET_ACTIONS_BLOCK + number)."""
    raw = action.get("value") or ""
    if action.get("type") == "overflow":
        raw = ((action.get("selected_option") or {}).get("value") or "").partition(":")[2]
    if not raw and str(action.get("block_id", "")).startswith(ids.TICKET_ACTIONS_BLOCK):
        raw = str(action["block_id"])[len(ids.TICKET_ACTIONS_BLOCK) :]
    try:
        return int(raw)
    except ValueError:
        return None


def _channel_of(body: dict[str, Any]) -> str:
    return (body.get("channel") or {}).get("id", "")


def _click(body: dict[str, Any], action: dict[str, Any]) -> CardClick:
    """Who clicked (the payload's `user.team_id` first: another org is a customer for sure), in
    which channel, on which ticket."""
    return CardClick(body["user"]["id"], payload_team(body), _channel_of(body), _ticket_number(action))


def _ephemeral(respond: Respond) -> Callable[[str], object]:
    """Tell the person who clicked, privately, leaving the message they clicked on as it is."""
    return lambda text: respond(text=text, response_type="ephemeral", replace_original=False)


def tell_user(context: BoltContext, respond: Respond) -> None:
    """Lazy: what the ack listener left for the person (`context["tell_user"]`), privately."""
    if context.get("tell_user"):
        _ephemeral(respond)(context["tell_user"])


# -- staff actions ------------------------------------------------------------------------------
def staff_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Take / Waiting / Resolve / Reassign on a card. Applied before the HTTP answer, so the change
    is stored when Slack hears "ok"."""
    ack()
    verb = BUTTON_ACTIONS[action["action_id"]]
    context["tell_user"] = ticket_actions.act_on_ticket(deps, _click(body, action), verb, action.get("selected_user"))


def more_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """The card's ⋯ menu ("severity:N", or a triage card's "move:N"), or a conversation's Set
    severity button: the form is built now, opened by `open_severity_modal`."""
    ack()
    verb = ((action.get("selected_option") or {}).get("value") or "").partition(":")[0]
    click = _click(body, action)
    answer = ticket_actions.move_form(deps, click) if verb == "move" else ticket_actions.severity_form(deps, click)
    context["severity_modal"], context["tell_user"] = answer.view, answer.refusal


def submit_move(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """The "Move to…" form: the ticket goes to the picked product area (ticket_actions.move_to_area)."""
    values = (view.get("state") or {}).get("values") or {}
    errors = ticket_actions.move_to_area(
        deps,
        user_id=body["user"]["id"],
        team_hint=payload_team(body),
        origin=ModalContext.decode(view.get("private_metadata")),
        area=selected_value(values, ids.AREA_BLOCK),
    )
    answer_submission(ack, errors)


def summary_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """A triage summary line's ⋯ menu: the card's buttons for a ticket listed in a burst summary.
    Severity opens the severity form (`open_severity_modal`); the rest apply before Slack hears "ok"."""
    ack()
    verb = ((action.get("selected_option") or {}).get("value") or "").partition(":")[0]
    if verb == "severity":
        answer = ticket_actions.severity_form(deps, _click(body, action))
        context["severity_modal"], context["tell_user"] = answer.view, answer.refusal
    elif verb in ("take", "resolve", "noise"):
        context["tell_user"] = ticket_actions.act_on_ticket(deps, _click(body, action), verb)


def open_severity_modal(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
    if context.get("severity_modal"):
        open_modal(client, body["trigger_id"], context["severity_modal"], _ephemeral(respond))
    else:
        tell_user(context, respond)


def submit_severity(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    values = (view.get("state") or {}).get("values") or {}
    errors = ticket_actions.change_severity(
        deps,
        user_id=body["user"]["id"],
        team_hint=payload_team(body),
        origin=ModalContext.decode(view.get("private_metadata")),
        severity=parse_severity(selected_value(values, ids.SEVERITY_BLOCK)),
        reason=field_state(values, ids.SEVERITY_REASON_BLOCK).get("value") or "",
    )
    answer_submission(ack, errors)


# -- a conversation's author sets its first severity ----------------------------------------------------
def customer_severity(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Set severity on the author's private "heard" note: the picker is built now (or why not)."""
    ack()
    answer = ticket_actions.customer_severity_form(deps, _click(body, action))
    context["severity_modal"], context["tell_user"] = answer.view, answer.refusal


def submit_customer_severity(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """The picker submitted: saved, and the form turns into a thank-you (or shows why not)."""
    values = (view.get("state") or {}).get("values") or {}
    answer = ticket_actions.customer_set_severity(
        deps,
        user_id=body["user"]["id"],
        origin=ModalContext.decode(view.get("private_metadata")),
        severity=parse_severity(selected_value(values, ids.SEVERITY_BLOCK)),
    )
    if answer.view is not None:
        ack(response_action="update", view=answer.view)
    else:
        answer_submission(ack, answer.errors)


# -- the customer's rating ------------------------------------------------------------------------
def rate(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """👍 / 👎 under a resolved ticket: stored now; the comment form follows (`ask_for_comment`)."""
    ack()
    rating = "helpful" if action["action_id"] == ids.RATE_HELPFUL else "not_helpful"
    answer = ticket_actions.rate_ticket(deps, _click(body, action), rating)
    context["comment_modal"], context["tell_user"] = answer.view, answer.refusal


def ask_for_comment(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
    if context.get("comment_modal"):
        open_modal(client, body["trigger_id"], context["comment_modal"], lambda text: None)
    else:
        tell_user(context, respond)


def submit_comment(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    values = (view.get("state") or {}).get("values") or {}
    ack()
    ticket_actions.add_rating_comment(
        deps,
        user_id=body["user"]["id"],
        origin=ModalContext.decode(view.get("private_metadata")),
        comment=field_state(values, ids.RATING_COMMENT_BLOCK).get("value"),
    )


# -- more ways in ---------------------------------------------------------------------------------
def reaction_added(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """🎫 on a message files it (through the outbox, which reads the message); ✅ on a card, or on a
    conversation's message, resolves it. The bot's own reactions (its ✅ on a resolved
    conversation's messages) are not someone's request: ignored."""
    item = event.get("item") or {}
    reaction = event.get("reaction")
    if item.get("type") != "message" or reaction not in (TICKET_EMOJI, RESOLVE_EMOJI):
        return
    channel_id, ts, user_id = item.get("channel", ""), item.get("ts", ""), event.get("user", "")
    if user_id == deps.directory.host().bot_user_id:
        return  # our own ✅ on a resolved conversation's message
    event_id = body.get("event_id", "")
    if reaction == RESOLVE_EMOJI:
        ticket_actions.resolve_by_reaction(
            deps,
            channel_id=channel_id,
            ts=ts,
            user_id=user_id,
            team_hint=event.get("user_team"),
            event_id=event_id,
            reaction=RESOLVE_EMOJI,
        )
    else:
        filing.ticket_reaction(deps, channel_id=channel_id, ts=ts, reactor=user_id, event_id=event_id)


def app_mention(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    filing.file_from_mention(deps, event=event, event_id=body.get("event_id", ""))


def ack_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """The "Create ticket" message shortcut: may this message become a ticket? The form follows."""
    ack()
    refusal = filing.shortcut_refusal(deps, channel_id=_channel_of(body), message=body.get("message") or {})
    context["tell_user"], context["open_ticket_form"] = refusal, refusal is None


def create_ticket_shortcut(
    body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond, deps: Deps
) -> None:
    """Lazy: the ticket form, filled in from the message (title from its first line, Medium)."""
    if not context.get("open_ticket_form"):
        tell_user(context, respond)
        return
    message = body.get("message") or {}
    text = plain_text(readable_text(message))  # an alert bot's attachments, a file's name, as for 🎫
    title, description = title_from_message(text), description_from_message(text)
    problems = validate_ticket_fields(title, description)
    open_ticket_modal(
        client,
        body["trigger_id"],
        ModalContext(body["channel"]["id"], "shortcut", message.get("ts"), message.get("thread_ts")),
        title if not problems.get("title") else "",
        _ephemeral(respond),
        description=description,
        severity=Severity.MEDIUM,
        areas=area_choices(deps.settings),
    )


ROUTES = (
    *(action(action_id, staff_action, tell_user) for action_id in BUTTON_ACTIONS),
    action(ids.TICKET_MORE, more_menu, open_severity_modal),
    action(ids.SUMMARY_ITEM_MENU, summary_menu, open_severity_modal),
    action(ids.TICKET_SET_SEVERITY, more_menu, open_severity_modal),
    action(ids.CUSTOMER_SET_SEVERITY, customer_severity, open_severity_modal),
    action(ids.RATE_HELPFUL, rate, ask_for_comment),
    action(ids.RATE_NOT_HELPFUL, rate, ask_for_comment),
    view(ids.SEVERITY_MODAL, submit_severity),
    view(ids.MOVE_MODAL, submit_move),
    view(ids.CUSTOMER_SEVERITY_MODAL, submit_customer_severity),
    view(ids.RATING_COMMENT_MODAL, submit_comment),
    event("reaction_added", reaction_added),
    event("app_mention", app_mention),
    # A message shortcut: a global shortcut with this callback id is not ours (Bolt answers 404).
    message_shortcut(ids.CREATE_TICKET_SHORTCUT, ack_shortcut, create_ticket_shortcut),
)
