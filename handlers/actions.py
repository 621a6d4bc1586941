"""Buttons: File a ticket (in a customer channel), and the onboarding checklist's step buttons,
payment-link buttons and the CS owner's "call booked" button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from config.routing import area_choices
from handlers.modal import open_modal, open_ticket_modal
from handlers.routing import ack_only, action
from onboarding.checklist import StepState
from onboarding.steps import DASHBOARD_CALL
from services.channels import tickets_refused_here
from services.deps import Deps
from services.onboarding import change_step, payment_link_of
from services.staff import not_staff
from slack_api.identity import payload_team
from ui import ids
from ui.blocks import ModalContext
from ui.onboarding import (
    NO_ONBOARDING_HERE,
    STEP_BUTTON_OUT_OF_DATE,
    STEP_BUTTONS_STAFF_ONLY,
    build_dashboard_call_booked,
    build_payment_link_modal,
    build_step_refused,
)

STEP_STATES = {
    ids.STEP_MARK_DONE_BUTTON: StepState.DONE,
    ids.STEP_DECLINE_BUTTON: StepState.DECLINED,
    ids.STEP_UNDO_BUTTON: StepState.PENDING,
}


def _channel_id(body: dict[str, Any]) -> str:
    return (body.get("channel") or {}).get("id", "")


def _step_number(action: dict[str, Any]) -> int | None:
    try:
        return int(action.get("value", ""))
    except ValueError:
        return None


def _tell_privately(respond: Respond) -> Callable[[str], object]:
    return lambda text: respond(text=text, response_type="ephemeral", replace_original=False)


def file_ticket_button(body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """The welcome's File-a-ticket button: the ticket form, if tickets are filed in this channel."""
    channel_id = _channel_id(body)
    refusal = tickets_refused_here(deps, channel_id)
    if refusal:
        _tell_privately(respond)(refusal)
        return
    context = ModalContext(channel_id, "button")
    areas = area_choices(deps.settings)
    open_ticket_modal(client, body["trigger_id"], context, "", _tell_privately(respond), areas=areas)


def mark_step(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """A step button (done, declined, undo) or the CS owner's "call booked" (step 8 done, the channel
    in its value). Runs before the HTTP answer: the step is stored when Slack hears "ok"."""
    ack()
    user_id = body["user"]["id"]
    refusal = not_staff(deps, user_id, STEP_BUTTONS_STAFF_ONLY, payload_team(body))
    if refusal:
        context["tell_user"] = refusal
        return
    booked = action["action_id"] == ids.DASHBOARD_CALL_BOOKED_BUTTON
    if booked:
        number, channel_id = DASHBOARD_CALL, action.get("value", "")
    else:
        number, channel_id = _step_number(action), _channel_id(body)
    if number is None:
        context["tell_user"] = STEP_BUTTON_OUT_OF_DATE
        return
    state = STEP_STATES.get(action["action_id"], StepState.DONE)
    change = change_step(deps, channel_id=channel_id, number=number, state=state, by=user_id)
    if change.refused is not None:
        context["tell_user"] = build_step_refused(change.refused)
    elif not change.onboarding:
        context["tell_user"] = NO_ONBOARDING_HERE
    elif booked:
        context["tell_user"] = build_dashboard_call_booked(channel_id)


def tell_user(context: BoltContext, respond: Respond) -> None:
    if context.get("tell_user"):
        _tell_privately(respond)(context["tell_user"])


def payment_link_button(body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """Step 7's button (staff only): the form to attach (or change) the payment link."""
    refusal = not_staff(deps, body["user"]["id"], STEP_BUTTONS_STAFF_ONLY, payload_team(body))
    if refusal:
        _tell_privately(respond)(refusal)
        return
    channel_id = _channel_id(body)
    view = build_payment_link_modal(channel_id, payment_link_of(deps, channel_id))
    open_modal(client, body["trigger_id"], view, _tell_privately(respond))


ROUTES = (
    action(ids.FILE_TICKET_BUTTON, ack_only, file_ticket_button),
    *(action(action_id, mark_step, tell_user) for action_id in (*STEP_STATES, ids.DASHBOARD_CALL_BOOKED_BUTTON)),
    action(ids.PAYMENT_LINK_BUTTON, ack_only, payment_link_button),
    action(ids.PAYMENT_LINK_VISIT_BUTTON, ack_only),  # a url button: Slack opens the link, we only ack
)
