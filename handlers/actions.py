"""Buttons and other block actions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.services import customer_channel
from handlers import ids
from handlers.blocks import NOT_A_CUSTOMER_CHANNEL, ModalContext
from handlers.modal import open_ticket_modal

ACTIONS = (ids.FILE_TICKET_BUTTON,)


def register(app: App, deps: Deps) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def file_ticket_button(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        channel_id = (body.get("channel") or {}).get("id", "")
        with deps.db.session() as session:
            known = customer_channel(session, channel_id) is not None
        if not known:
            respond(text=NOT_A_CUSTOMER_CHANNEL, response_type="ephemeral", replace_original=False)
            return
        open_ticket_modal(
            client,
            body["trigger_id"],
            ModalContext(channel_id, "button"),
            "",
            lambda text: respond(text=text, response_type="ephemeral", replace_original=False),
        )

    app.action(ids.FILE_TICKET_BUTTON)(ack=ack_only, lazy=[file_ticket_button])
