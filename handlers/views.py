"""View submissions. They run before the HTTP answer, so the user learns if saving failed."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.services import NewTicket, customer_channel, file_ticket
from handlers import ids
from handlers.blocks import NOT_A_CUSTOMER_CHANNEL, TICKET_SAVE_FAILED, ModalContext
from tickets.rules import validate_ticket_fields
from tickets.severity import parse_severity

log = logging.getLogger(__name__)

VIEWS = (ids.TICKET_MODAL,)


def _value(values: dict[str, Any], block: str) -> Any:
    return (values.get(block) or {}).get(block) or {}


def register(app: App, deps: Deps) -> None:
    def submit_ticket(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        severity = parse_severity((_value(values, ids.SEVERITY_BLOCK).get("selected_option") or {}).get("value"))
        title = _value(values, ids.TITLE_BLOCK).get("value") or ""
        description = _value(values, ids.DESCRIPTION_BLOCK).get("value") or ""
        problems = {
            {"title": ids.TITLE_BLOCK, "description": ids.DESCRIPTION_BLOCK}[field]: message
            for field, message in validate_ticket_fields(title, description).items()
        }
        if severity is None:
            problems[ids.SEVERITY_BLOCK] = "Please pick a severity."
        origin = ModalContext.decode(view.get("private_metadata"))
        if origin is None:
            problems[ids.TITLE_BLOCK] = "This form has expired. Please close it and file the ticket again."
        if problems:
            ack(response_action="errors", errors=problems)
            return

        user_id = body["user"]["id"]
        new = NewTicket(
            channel_id=origin.channel_id,
            reporter_id=user_id,
            reporter_is_staff=deps.directory.is_staff(user_id),
            severity=severity,
            title=title,
            description=description,
            source=origin.source,
            submission_key=f"view:{view['id']}",
        )
        try:
            with deps.db.transaction() as session:
                if customer_channel(session, origin.channel_id) is None:
                    ack(response_action="errors", errors={ids.TITLE_BLOCK: NOT_A_CUSTOMER_CHANNEL})
                    return
                file_ticket(session, new, deps.clock())
        except SQLAlchemyError:
            log.exception("could not store a ticket for channel %s", origin.channel_id)
            ack(response_action="errors", errors={ids.TITLE_BLOCK: TICKET_SAVE_FAILED})
            return
        ack()
        deps.outbox.wake()

    app.view(ids.TICKET_MODAL)(submit_ticket)
