"""Slash commands: /ticket opens the ticket form, /onboard starts (or resumes) a customer's onboarding,
and staff's `/ticket intake [all|ask|explicit]` shows or sets the channel's intake mode.

Both work only in customer channels. Elsewhere the ack itself answers with an ephemeral
explanation; in one, the command is acked at once and its work (a views.open) runs on a background
thread (`deps.after_ack`), so the answer to Slack never waits on a Slack call (Bolt's lazy
listeners would copy the whole request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from config.routing import area_choices
from handlers.modal import open_modal, open_ticket_modal
from handlers.routing import command
from services.channels import tickets_refused_here
from services.deps import Deps
from services.intake_settings import intake_command
from services.onboarding import resume_onboarding
from services.staff import not_staff
from tickets.slack_text import plain_text
from ui.blocks import ModalContext
from ui.messages import INTAKE_COMMAND
from ui.onboarding import ONBOARD_STAFF_ONLY, build_onboard_modal, build_onboarding_under_way

FollowUp = Callable[[dict[str, Any], WebClient, Respond, Deps], None]


def _ack_in_customer_channel(
    ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps, then: FollowUp
) -> None:
    refusal = tickets_refused_here(deps, command.get("channel_id", ""), remembered=True)
    if refusal:
        ack(text=refusal, response_type="ephemeral")
        return
    ack()
    deps.after_ack.submit(then, command, context.client, context.respond, deps)


def open_ticket_form(command: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """After the ack of /ticket: the ticket form, its title from the command's text. `/ticket
    intake` and `/ticket intake all|ask|explicit` are staff's control of the channel's intake mode
    (`intake_control`); from a customer they are a ticket's title like any other words."""
    text = plain_text(command.get("text") or "")  # entity-encoded like message text, even with should_escape off
    is_control, word = intake_control(text)
    if is_control:
        answer = intake_command(deps, user_id=command["user_id"], channel_id=command["channel_id"], word=word)
        if answer is not None:
            respond(text=answer)
            return
    open_ticket_modal(
        client,
        command["trigger_id"],
        ModalContext(command["channel_id"], "command"),
        text,
        lambda text: respond(text=text),
        areas=area_choices(deps.settings),
    )


def intake_control(text: str) -> tuple[bool, str | None]:
    """Whether `/ticket`'s text is `intake` or `intake <one word>` (anything else is a ticket's
    title), and that word (None: show the current mode)."""
    words = text.split()
    if not words or words[0].lower() != INTAKE_COMMAND or len(words) > 2:
        return False, None
    return True, words[1] if len(words) == 2 else None


def start_onboarding(command: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """After the ack of /onboard (staff only): the onboarding form, or, if the channel is onboarding
    already, its checklist posted again."""
    user_id, channel_id = command["user_id"], command["channel_id"]
    refusal = not_staff(deps, user_id, ONBOARD_STAFF_ONLY)
    if refusal:
        respond(text=refusal)
        return
    company = resume_onboarding(deps, channel_id=channel_id, request_key=command["trigger_id"])
    if company is not None:
        respond(text=build_onboarding_under_way(company))
        return
    open_modal(client, command["trigger_id"], build_onboard_modal(channel_id, user_id), lambda text: respond(text=text))


def ticket_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _ack_in_customer_channel(ack, command, context, deps, open_ticket_form)


def onboard_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _ack_in_customer_channel(ack, command, context, deps, start_onboarding)


ROUTES = (
    command("/ticket", ticket_command),
    command("/onboard", onboard_command),
)
