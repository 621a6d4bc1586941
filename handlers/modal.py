"""Modals: opening one (views.open within the trigger's 3 seconds, or a clear word to the user), and
answering a submission."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from tickets.severity import Severity
from ui.blocks import MODAL_OPEN_FAILED, ModalContext, build_ticket_modal

log = logging.getLogger(__name__)


def field_state(values: dict[str, Any], block: str) -> dict[str, Any]:
    """A modal input's state in `view.state.values` (its block id and action id are the same);
    {} if the block is missing."""
    return (values.get(block) or {}).get(block) or {}


def selected_value(values: dict[str, Any], block: str) -> str | None:
    """The chosen option's value of a select or radio input; None if nothing is chosen (Slack
    sends `"selected_option": null` then)."""
    return (field_state(values, block).get("selected_option") or {}).get("value")


def open_ticket_modal(
    client: WebClient,
    trigger_id: str,
    context: ModalContext,
    title: str,
    tell_user: Callable[[str], object],
    description: str = "",
    severity: Severity | None = None,
    areas: Sequence[tuple[str, str]] = (),
) -> None:
    """The ticket form, for /ticket, the File-a-ticket button and the Create-ticket shortcut;
    `areas`: the Area picker's (name, description) pairs (config.routing.area_choices), () for none."""
    view = build_ticket_modal(context, title, description, severity, areas)
    open_modal(client, trigger_id, view, tell_user)


def open_modal(client: WebClient, trigger_id: str, view: dict[str, Any], tell_user: Callable[[str], object]) -> None:
    """views.open at once (the trigger lives 3 s); if Slack fails, tell the user instead of going quiet."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, SlackClientError, OSError) as exc:
        code = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("views.open failed for %s: %s", view.get("callback_id"), code)
        try:
            tell_user(MODAL_OPEN_FAILED)
        except Exception:  # the response_url may be down as well; the warning above is all we have
            log.warning("could not tell the user that the modal failed to open")


def answer_submission(ack: Ack, errors: dict[str, str]) -> None:
    """Answer a view submission: its errors by block id (the form stays open), or none (it closes)."""
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()
