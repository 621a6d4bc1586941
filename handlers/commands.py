"""Slash commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.channels import staff_channels, why_not_here
from handlers.modal import open_modal, open_ticket_modal
from handlers.staff import not_staff
from services.deps import Deps
from services.onboarding import repost_checklist
from store.models import Customer
from tickets.slack_text import plain_text
from ui.blocks import ModalContext, escape_text
from ui.onboarding import ONBOARD_STAFF_ONLY, build_onboard_modal

COMMANDS = ("/ticket", "/onboard")

FollowUp = Callable[[dict[str, Any], WebClient, Respond], None]


def ack_in_customer_channels(deps: Deps, then: FollowUp) -> Callable[..., None]:
    """An ack for a command that only works in customer channels: elsewhere it answers with an
    ephemeral explanation; in one, it acks and leaves `then` to a background thread, so the answer
    to Slack never waits on a Slack call (Bolt's lazy listeners would copy the whole request)."""

    def ack_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        channel_id = command.get("channel_id", "")
        if channel_id in staff_channels(deps) or not deps.channels.is_customer_channel(channel_id):
            ack(text=why_not_here(deps, channel_id), response_type="ephemeral")
            return
        ack()
        deps.after_ack.submit(then, command, context.client, context.respond)

    return ack_command


def register(app: App, deps: Deps) -> None:
    def open_ticket_form(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        open_ticket_modal(
            client,
            command["trigger_id"],
            ModalContext(command["channel_id"], "command"),
            plain_text(command.get("text") or ""),  # entity-encoded like message text, even with should_escape off
            lambda text: respond(text=text),
        )

    app.command("/ticket")(ack_in_customer_channels(deps, open_ticket_form))
    register_onboard(app, deps)


def register_onboard(app: App, deps: Deps) -> None:
    def start_onboarding(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        user_id, channel_id = command["user_id"], command["channel_id"]
        refusal = not_staff(deps, user_id, ONBOARD_STAFF_ONLY)
        if refusal:
            respond(text=refusal)
            return
        with deps.db.transaction() as session:
            customer = session.get(Customer, channel_id)
            if customer is not None:
                repost_checklist(session, channel_id, deps.clock(), command["trigger_id"])
                company = customer.company
        if customer is not None:
            respond(
                text=f"Onboarding for {escape_text(company)} is already under way: "
                "I have posted its current checklist again."
            )
            return
        open_modal(
            client, command["trigger_id"], build_onboard_modal(channel_id, user_id), lambda text: respond(text=text)
        )

    app.command("/onboard")(ack_in_customer_channels(deps, start_onboarding))
