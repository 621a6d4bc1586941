"""Slash commands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.services import customer_channel
from handlers.blocks import NOT_A_CUSTOMER_CHANNEL, ModalContext
from handlers.modal import open_ticket_modal

COMMANDS = ("/ticket",)


def register(app: App, deps: Deps) -> None:
    def ack_ticket(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        with deps.db.session() as session:
            known = customer_channel(session, command.get("channel_id", "")) is not None
        if not known:
            ack(text=NOT_A_CUSTOMER_CHANNEL, response_type="ephemeral")
            return
        context["open_ticket_modal"] = True
        ack()

    def open_modal(command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
        if context.get("open_ticket_modal"):
            open_ticket_modal(
                client,
                command["trigger_id"],
                ModalContext(command["channel_id"], "command"),
                command.get("text") or "",
                lambda text: respond(text=text),
            )

    app.command("/ticket")(ack=ack_ticket, lazy=[open_modal])
