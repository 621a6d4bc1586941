"""View submissions. They run before the HTTP answer, so the user learns if saving failed."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.exc import SQLAlchemyError

from handlers.staff import not_staff
from onboarding.customer import (
    dedicated_slack_eligible,
    parse_amount,
    parse_cloud_provider,
    parse_plan,
    validate_customer_fields,
)
from outbox import enqueue
from services.deps import Deps
from services.onboarding import CustomerRecord, set_payment_link, start_onboarding
from services.tickets import NewTicket, customer_channel, customer_team, file_ticket, note_customer_team
from slack_api.identity import payload_team
from tickets.rules import validate_ticket_fields
from tickets.severity import parse_severity
from tickets.slack_text import is_blank
from ui import ids
from ui.blocks import NOT_A_CUSTOMER_CHANNEL, TICKET_SAVE_FAILED, ModalContext
from ui.onboarding import ONBOARD_STAFF_ONLY, STEP_BUTTONS_STAFF_ONLY, build_spend_note

log = logging.getLogger(__name__)

VIEWS = (ids.TICKET_MODAL, ids.ONBOARD_MODAL, ids.PAYMENT_LINK_MODAL)
SAVE_FAILED = "That could not be saved just now. Please press the button again in a moment."


def _value(values: dict[str, Any], block: str) -> Any:
    return (values.get(block) or {}).get(block) or {}


def register(app: App, deps: Deps) -> None:
    def submit_ticket(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        severity = parse_severity((_value(values, ids.SEVERITY_BLOCK).get("selected_option") or {}).get("value"))
        title = _value(values, ids.TITLE_BLOCK).get("value") or ""
        description = _value(values, ids.DESCRIPTION_BLOCK).get("value") or ""
        if is_blank(description):  # only zero-width or format characters: no description
            description = ""
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
        who = deps.directory.identify(user_id, payload_team(body))  # unknown: filed anyway, never lost
        is_staff, team_id = who.is_staff, who.team_id or payload_team(body)
        from_message = origin.source == "shortcut" and origin.message_ts
        new = NewTicket(
            channel_id=origin.channel_id,
            reporter_id=user_id,
            reporter_is_staff=is_staff,
            severity=severity,
            title=title,
            description=description,
            source=origin.source,
            # A ticket made from a message is keyed by the message, so 🎫 + shortcut make one ticket.
            submission_key=f"msg:{origin.channel_id}:{origin.message_ts}" if from_message else f"view:{view['id']}",
            reporter_team_id=team_id,
            source_ts=origin.message_ts if from_message else None,
            source_thread_ts=origin.thread_ts if from_message else None,
        )
        try:
            with deps.db.transaction() as session:
                known, customer_team_id = customer_team(session, origin.channel_id)
                if not known:
                    ack(response_action="errors", errors={ids.TITLE_BLOCK: NOT_A_CUSTOMER_CHANNEL})
                    return
                filed = file_ticket(session, new, deps.clock(), deps.sla_policy)
                if not is_staff and team_id and customer_team_id is None:
                    note_customer_team(session, origin.channel_id, team_id)
        except SQLAlchemyError:
            log.exception("could not store a ticket for channel %s", origin.channel_id)
            ack(response_action="errors", errors={ids.TITLE_BLOCK: TICKET_SAVE_FAILED})
            return
        ack()
        deps.set_new_ticket_timers(filed)

    app.view(ids.TICKET_MODAL)(submit_ticket)
    register_onboarding(app, deps)


def _selected(values: dict[str, Any], block: str) -> str | None:
    return (_value(values, block).get("selected_option") or {}).get("value")


def register_onboarding(app: App, deps: Deps) -> None:
    def submit_onboarding(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        text = {
            block: _value(values, block).get("value")
            for block in (
                ids.ONBOARD_COMPANY_BLOCK,
                ids.ONBOARD_EVENTS_BLOCK,
                ids.ONBOARD_MAUS_BLOCK,
                ids.ONBOARD_SPEND_BLOCK,
            )
        }
        problems = validate_customer_fields(
            text[ids.ONBOARD_COMPANY_BLOCK],
            text[ids.ONBOARD_EVENTS_BLOCK],
            text[ids.ONBOARD_MAUS_BLOCK],
            text[ids.ONBOARD_SPEND_BLOCK],
        )
        cloud = parse_cloud_provider(_selected(values, ids.ONBOARD_CLOUD_BLOCK))
        plan = parse_plan(_selected(values, ids.ONBOARD_PLAN_BLOCK))
        owner = _value(values, ids.ONBOARD_OWNER_BLOCK).get("selected_user") or body["user"]["id"]
        if cloud is None:
            problems[ids.ONBOARD_CLOUD_BLOCK] = "Please pick a cloud provider."
        if plan is None:
            problems[ids.ONBOARD_PLAN_BLOCK] = "Please pick a plan."
        origin = ModalContext.decode(view.get("private_metadata"))
        user_id = body["user"]["id"]
        if origin is None:
            problems[ids.ONBOARD_COMPANY_BLOCK] = "This form has expired. Please run /onboard again."
        elif refusal := not_staff(deps, user_id, ONBOARD_STAFF_ONLY, payload_team(body)):
            problems[ids.ONBOARD_COMPANY_BLOCK] = refusal
        if problems:
            ack(response_action="errors", errors=problems)
            return
        record = CustomerRecord(
            company=text[ids.ONBOARD_COMPANY_BLOCK] or "",
            monthly_events=parse_amount(text[ids.ONBOARD_EVENTS_BLOCK]),
            maus=parse_amount(text[ids.ONBOARD_MAUS_BLOCK]),
            cloud_provider=cloud,
            plan=plan,
            monthly_spend=parse_amount(text[ids.ONBOARD_SPEND_BLOCK]) or 0,
            cs_owner_id=owner,
        )
        now = deps.clock()
        try:
            with deps.db.transaction() as session:
                if customer_channel(session, origin.channel_id) is None:
                    ack(response_action="errors", errors={ids.ONBOARD_COMPANY_BLOCK: NOT_A_CUSTOMER_CHANNEL})
                    return
                customer, created = start_onboarding(
                    session,
                    channel_id=origin.channel_id,
                    record=record,
                    started_by=user_id,
                    policy=deps.reminder_policy,
                    now=now,
                    request_key=f"view:{view['id']}",
                )
                if created and not dedicated_slack_eligible(plan, record.monthly_spend):
                    enqueue(
                        session,
                        kind="ephemeral",
                        dedupe_key=f"spend_note:{view['id']}",
                        now=now,
                        payload={
                            "channel": origin.channel_id,
                            "user": user_id,
                            "text": build_spend_note(record.monthly_spend, plan),
                        },
                    )
        except SQLAlchemyError:
            log.exception("could not start onboarding in %s", origin.channel_id)
            ack(response_action="errors", errors={ids.ONBOARD_COMPANY_BLOCK: SAVE_FAILED})
            return
        ack()
        deps.sync_customer_timers(customer)

    def submit_payment_link(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        link = _value(values, ids.PAYMENT_LINK_BLOCK).get("value") or ""
        origin = ModalContext.decode(view.get("private_metadata"))
        refusal = not_staff(deps, body["user"]["id"], STEP_BUTTONS_STAFF_ONLY, payload_team(body))
        if origin is None or refusal:
            ack(response_action="errors", errors={ids.PAYMENT_LINK_BLOCK: refusal or STEP_BUTTONS_STAFF_ONLY})
            return
        try:
            with deps.db.transaction() as session:
                set_payment_link(session, channel_id=origin.channel_id, link=link, now=deps.clock())
        except ValueError:
            ack(response_action="errors", errors={ids.PAYMENT_LINK_BLOCK: "Use a plain https:// link."})
            return
        ack()

    app.view(ids.ONBOARD_MODAL)(submit_onboarding)
    app.view(ids.PAYMENT_LINK_MODAL)(submit_payment_link)
