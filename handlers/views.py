"""View submissions: the ticket form, the /onboard form and the payment-link form. They run before
the HTTP answer, so the user learns (as the form's errors) if saving failed."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from handlers.modal import answer_submission, field_state, selected_value
from handlers.routing import view
from services.deps import Deps
from services.filing import file_from_form
from services.onboarding_requests import OnboardingForm, save_payment_link, start_from_form
from slack_api.identity import payload_team
from tickets.rules import validate_ticket_fields
from tickets.severity import parse_severity
from tickets.slack_text import is_blank
from ui import ids
from ui.blocks import ModalContext
from ui.messages import PICK_A_SEVERITY, TICKET_FORM_EXPIRED


def submit_ticket(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """The ticket form: checked here (the form's own rules), then filed (`file_from_form`)."""
    values = (view.get("state") or {}).get("values") or {}
    severity = parse_severity(selected_value(values, ids.SEVERITY_BLOCK))
    title = field_state(values, ids.TITLE_BLOCK).get("value") or ""
    description = field_state(values, ids.DESCRIPTION_BLOCK).get("value") or ""
    if is_blank(description):  # only zero-width or format characters: no description
        description = ""
    problems = {
        {"title": ids.TITLE_BLOCK, "description": ids.DESCRIPTION_BLOCK}[field]: message
        for field, message in validate_ticket_fields(title, description).items()
    }
    if severity is None:
        problems[ids.SEVERITY_BLOCK] = PICK_A_SEVERITY
    origin = ModalContext.decode(view.get("private_metadata"))
    if origin is None:
        problems[ids.TITLE_BLOCK] = TICKET_FORM_EXPIRED
    if problems:
        answer_submission(ack, problems)
        return
    refusal = file_from_form(
        deps,
        user_id=body["user"]["id"],
        team_hint=payload_team(body),
        view_id=view["id"],
        origin=origin,
        severity=severity,
        title=title,
        description=description,
        area=selected_value(values, ids.AREA_BLOCK),
    )
    answer_submission(ack, {ids.TITLE_BLOCK: refusal} if refusal else {})


def submit_onboarding(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    values = (view.get("state") or {}).get("values") or {}
    form = OnboardingForm(
        company=field_state(values, ids.ONBOARD_COMPANY_BLOCK).get("value"),
        monthly_events=field_state(values, ids.ONBOARD_EVENTS_BLOCK).get("value"),
        maus=field_state(values, ids.ONBOARD_MAUS_BLOCK).get("value"),
        monthly_spend=field_state(values, ids.ONBOARD_SPEND_BLOCK).get("value"),
        cloud_provider=selected_value(values, ids.ONBOARD_CLOUD_BLOCK),
        plan=selected_value(values, ids.ONBOARD_PLAN_BLOCK),
        cs_owner_id=field_state(values, ids.ONBOARD_OWNER_BLOCK).get("selected_user"),
    )
    errors = start_from_form(
        deps,
        user_id=body["user"]["id"],
        team_hint=payload_team(body),
        view_id=view["id"],
        origin=ModalContext.decode(view.get("private_metadata")),
        form=form,
    )
    answer_submission(ack, errors)


def submit_payment_link(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    values = (view.get("state") or {}).get("values") or {}
    errors = save_payment_link(
        deps,
        user_id=body["user"]["id"],
        team_hint=payload_team(body),
        origin=ModalContext.decode(view.get("private_metadata")),
        link=field_state(values, ids.PAYMENT_LINK_BLOCK).get("value") or "",
    )
    answer_submission(ack, errors)


ROUTES = (
    view(ids.TICKET_MODAL, submit_ticket),
    view(ids.ONBOARD_MODAL, submit_onboarding),
    view(ids.PAYMENT_LINK_MODAL, submit_payment_link),
)
