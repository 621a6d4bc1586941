"""Buttons and other block actions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.channels import why_not_here
from handlers.modal import open_modal, open_ticket_modal
from handlers.staff import not_staff
from onboarding.checklist import StepState
from onboarding.steps import DASHBOARD_CALL, INGESTION_READY
from services.deps import Deps
from services.onboarding import load_checklist, mark_onboarding_step
from services.tickets import customer_channel
from slack_api.identity import payload_team
from ui import ids
from ui.blocks import ModalContext
from ui.onboarding import STEP_BUTTONS_STAFF_ONLY, build_payment_link_modal

ACTIONS = (
    ids.FILE_TICKET_BUTTON,
    ids.STEP_MARK_DONE_BUTTON,
    ids.STEP_DECLINE_BUTTON,
    ids.STEP_UNDO_BUTTON,
    ids.PAYMENT_LINK_BUTTON,
    ids.PAYMENT_LINK_VISIT_BUTTON,
    ids.DASHBOARD_CALL_BOOKED_BUTTON,
)


def register(app: App, deps: Deps) -> None:
    def file_ticket_button(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        channel_id = (body.get("channel") or {}).get("id", "")
        with deps.db.session() as session:
            known = customer_channel(session, channel_id) is not None
        if not known:
            respond(text=why_not_here(deps, channel_id), response_type="ephemeral", replace_original=False)
            return
        open_ticket_modal(
            client,
            body["trigger_id"],
            ModalContext(channel_id, "button"),
            "",
            lambda text: respond(text=text, response_type="ephemeral", replace_original=False),
        )

    app.action(ids.FILE_TICKET_BUTTON)(ack=ack_only, lazy=[file_ticket_button])
    register_onboarding(app, deps)


STEP_STATES = {
    ids.STEP_MARK_DONE_BUTTON: StepState.DONE,
    ids.STEP_DECLINE_BUTTON: StepState.DECLINED,
    ids.STEP_UNDO_BUTTON: StepState.PENDING,
}


def _step_number(action: dict[str, Any]) -> int | None:
    try:
        return int(action.get("value", ""))
    except ValueError:
        return None


def register_onboarding(app: App, deps: Deps) -> None:
    def mark_step(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        """Runs before the HTTP answer: the step is stored when Slack hears "ok"."""
        ack()
        user_id = body["user"]["id"]
        refusal = not_staff(deps, user_id, STEP_BUTTONS_STAFF_ONLY, payload_team(body))
        if refusal:
            context["tell_user"] = refusal
            return
        number = _step_number(action)
        channel_id = (body.get("channel") or {}).get("id", "")
        if action["action_id"] == ids.DASHBOARD_CALL_BOOKED_BUTTON:
            number, channel_id = DASHBOARD_CALL, action.get("value", "")
        state = STEP_STATES.get(action["action_id"], StepState.DONE)
        if number is None:
            context["tell_user"] = "That button is out of date. Run /onboard to get the current checklist."
            return
        try:
            with deps.db.transaction() as session:
                customer, changed = mark_onboarding_step(
                    session,
                    channel_id=channel_id,
                    number=number,
                    state=state,
                    by=user_id,
                    policy=deps.reminder_policy,
                    now=deps.clock(),
                )
        except ValueError as exc:
            context["tell_user"] = f"That step cannot be changed that way ({exc})."
            return
        if customer is None:
            context["tell_user"] = "There is no onboarding in that channel any more."
            return
        if changed:
            deps.sync_customer_timers(customer)
        if action["action_id"] == ids.DASHBOARD_CALL_BOOKED_BUTTON:
            context["tell_user"] = f"Marked the dashboard-setup call as booked for <#{channel_id}>. No more reminders."

    def tell_user(context: BoltContext, respond: Respond) -> None:
        if context.get("tell_user"):
            respond(text=context["tell_user"], response_type="ephemeral", replace_original=False)

    def payment_link_button(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        channel_id = (body.get("channel") or {}).get("id", "")
        refusal = not_staff(deps, body["user"]["id"], STEP_BUTTONS_STAFF_ONLY, payload_team(body))
        if refusal:
            respond(text=refusal, response_type="ephemeral", replace_original=False)
            return
        with deps.db.session() as session:
            link = load_checklist(session, channel_id)[INGESTION_READY].link
        open_modal(
            client,
            body["trigger_id"],
            build_payment_link_modal(channel_id, link),
            lambda text: respond(text=text, response_type="ephemeral", replace_original=False),
        )

    for action_id in (*STEP_STATES, ids.DASHBOARD_CALL_BOOKED_BUTTON):
        app.action(action_id)(ack=mark_step, lazy=[tell_user])
    app.action(ids.PAYMENT_LINK_BUTTON)(ack=ack_only, lazy=[payment_link_button])
    app.action(ids.PAYMENT_LINK_VISIT_BUTTON)(ack_only)  # a url button: Slack opens the link, we only ack


def ack_only(ack: Ack) -> None:
    ack()
