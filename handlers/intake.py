"""Ask mode's private "Track this as a ticket? · Open ticket · No thanks" (services/intake_asks.py).

"Open ticket" opens the ticket form filled in from the message, as the Create-ticket shortcut does
(title from its first line, the text as description, Medium preselected); the form's submission
files a ticket linked to the message (services.filing.file_from_form, keyed by the message, so a
second click or a 🎫 on it makes no second ticket). "No thanks" deletes the question and records
nothing. Only the message's author may answer (Slack shows an ephemeral to them alone; the button's
value names them all the same).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from config.routing import area_choices
from handlers.modal import open_ticket_modal
from handlers.routing import action
from services import intake_asks
from services.deps import Deps
from tickets.rules import description_from_message, title_from_message, validate_ticket_fields
from tickets.severity import Severity
from ui import ids
from ui.blocks import AskedMessage, ModalContext


def _channel_of(body: dict[str, Any]) -> str:
    return (body.get("channel") or {}).get("id", "")


def _tell_privately(respond: Respond) -> Any:
    return lambda text: respond(text=text, response_type="ephemeral", replace_original=False)


def open_ticket_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps
) -> None:
    """ "Open ticket": may this person file this message? The form follows (`open_ticket_form`)."""
    ack()
    asked = AskedMessage.decode(action.get("value"))
    refusal = intake_asks.open_ticket_refusal(
        deps, channel_id=_channel_of(body), user_id=(body.get("user") or {}).get("id", ""), asked=asked
    )
    context["tell_user"], context["asked"] = refusal, None if refusal else asked


def open_ticket_form(
    body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond, deps: Deps
) -> None:
    """Lazy: the ticket form, filled in from the asked message, linked to it."""
    asked: AskedMessage | None = context.get("asked")
    if asked is None:
        if context.get("tell_user"):
            _tell_privately(respond)(context["tell_user"])
        return
    title, description = title_from_message(asked.text), description_from_message(asked.text)
    problems = validate_ticket_fields(title, description)
    open_ticket_modal(
        client,
        body["trigger_id"],
        ModalContext(_channel_of(body), intake_asks.ASK_SOURCE, asked.ts),
        title if not problems.get("title") else "",
        _tell_privately(respond),
        description=description,
        severity=Severity.MEDIUM,
        areas=area_choices(deps.settings),
    )


def no_thanks_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """ "No thanks": the question goes away (`dismiss`); nothing is recorded."""
    ack()
    user_id = (body.get("user") or {}).get("id", "")
    context["tell_user"] = intake_asks.answer_refusal(user_id, AskedMessage.decode(action.get("value")))


def dismiss(context: BoltContext, respond: Respond) -> None:
    """Lazy: delete the ephemeral question (its response_url), or say why not. Deleting it twice is
    harmless: Slack answers the second request and nothing changes."""
    if context.get("tell_user"):
        _tell_privately(respond)(context["tell_user"])
    else:
        respond(delete_original=True)


ROUTES = (
    action(ids.ASK_OPEN_TICKET, open_ticket_clicked, open_ticket_form),
    action(ids.ASK_NO_THANKS, no_thanks_clicked, dismiss),
)
