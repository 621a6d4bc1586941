"""Use cases for onboarding asked for in Slack: the /onboard form submitted, the payment-link form
submitted, and someone joining a channel under onboarding (is the customer's side past the A-team
size?). Each write runs in one unit of work; the customer's alarms are re-pointed after the commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from onboarding.customer import (
    dedicated_slack_eligible,
    parse_amount,
    parse_cloud_provider,
    parse_plan,
    validate_customer_fields,
)
from outbox import PostKind, enqueue
from services.onboarding import CustomerRecord, set_payment_link, start_onboarding, warn_channel_size
from services.staff import not_staff
from services.tickets import customer_channel
from services.unit_of_work import unit_of_work
from store.models import Customer
from ui import ids
from ui.blocks import NOT_A_CUSTOMER_CHANNEL, ModalContext
from ui.messages import (
    CS_OWNER_NOT_STAFF,
    ONBOARD_FORM_EXPIRED,
    PICK_A_CLOUD,
    PICK_A_PLAN,
    PLAIN_HTTPS_LINK,
    SAVE_FAILED,
)
from ui.onboarding import ONBOARD_STAFF_ONLY, STEP_BUTTONS_STAFF_ONLY, build_spend_note

if TYPE_CHECKING:
    from services.deps import Deps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnboardingForm:
    """The /onboard form as typed: free text (None if left empty) and the chosen options' values."""

    company: str | None
    monthly_events: str | None
    maus: str | None
    monthly_spend: str | None
    cloud_provider: str | None
    plan: str | None
    cs_owner_id: str | None  # None: whoever submitted it


def _not_an_owner(deps: Deps, owner_id: str) -> str | None:
    """Why `owner_id` cannot be a CS owner (a customer, or the bot: Slack's user picker lists
    both), or None."""
    if owner_id == deps.directory.host().bot_user_id:
        return CS_OWNER_NOT_STAFF
    return not_staff(deps, owner_id, CS_OWNER_NOT_STAFF)


def start_from_form(
    deps: Deps, *, user_id: str, team_hint: str | None, view_id: str, origin: ModalContext | None, form: OnboardingForm
) -> dict[str, str]:
    """The /onboard form (view `view_id`, opened in `origin`'s channel) submitted by `user_id`:
    staff only. Starts onboarding (once per view; a channel already onboarding has its checklist
    posted again) and, below the dedicated-Slack threshold, tells the submitter privately. The CS
    owner must be staff (not a customer, not the bot).
    Returns the form's errors by block id (empty: saved)."""
    problems = validate_customer_fields(form.company, form.monthly_events, form.maus, form.monthly_spend)
    cloud, plan = parse_cloud_provider(form.cloud_provider), parse_plan(form.plan)
    if cloud is None:
        problems[ids.ONBOARD_CLOUD_BLOCK] = PICK_A_CLOUD
    if plan is None:
        problems[ids.ONBOARD_PLAN_BLOCK] = PICK_A_PLAN
    if origin is None:
        problems[ids.ONBOARD_COMPANY_BLOCK] = ONBOARD_FORM_EXPIRED
    elif refusal := not_staff(deps, user_id, ONBOARD_STAFF_ONLY, team_hint):
        problems[ids.ONBOARD_COMPANY_BLOCK] = refusal
    elif form.cs_owner_id and (refusal := _not_an_owner(deps, form.cs_owner_id)):
        problems[ids.ONBOARD_OWNER_BLOCK] = refusal
    if problems:
        return problems
    record = CustomerRecord(
        company=form.company or "",
        monthly_events=parse_amount(form.monthly_events),
        maus=parse_amount(form.maus),
        cloud_provider=cloud,
        plan=plan,
        monthly_spend=parse_amount(form.monthly_spend) or 0,
        cs_owner_id=form.cs_owner_id or user_id,
    )
    try:
        with unit_of_work(deps) as uow:
            if customer_channel(uow.session, origin.channel_id) is None:
                return {ids.ONBOARD_COMPANY_BLOCK: NOT_A_CUSTOMER_CHANNEL}
            _, created = start_onboarding(
                uow.session,
                channel_id=origin.channel_id,
                record=record,
                started_by=user_id,
                policy=deps.reminder_policy,
                now=uow.now,
                request_key=f"view:{view_id}",
            )
            if created and not dedicated_slack_eligible(plan, record.monthly_spend):
                note = build_spend_note(record.monthly_spend, plan)
                payload = {"channel": origin.channel_id, "user": user_id, "text": note}
                key = f"spend_note:{view_id}"
                enqueue(uow.session, kind=PostKind.EPHEMERAL, dedupe_key=key, now=uow.now, payload=payload)
            uow.resync_customer(origin.channel_id)
    except SQLAlchemyError:
        log.exception("could not start onboarding in %s", origin.channel_id)
        return {ids.ONBOARD_COMPANY_BLOCK: SAVE_FAILED}
    return {}


def save_payment_link(
    deps: Deps, *, user_id: str, team_hint: str | None, origin: ModalContext | None, link: str
) -> dict[str, str]:
    """The payment-link form submitted by `user_id` (staff only) for `origin`'s channel: `link` is
    attached to step 7 of its checklist. Returns the form's errors by block id (empty: saved)."""
    refusal = not_staff(deps, user_id, STEP_BUTTONS_STAFF_ONLY, team_hint)
    if origin is None or refusal:
        return {ids.PAYMENT_LINK_BLOCK: refusal or STEP_BUTTONS_STAFF_ONLY}
    try:
        with unit_of_work(deps) as uow:
            set_payment_link(uow.session, channel_id=origin.channel_id, link=link, now=uow.now)
    except ValueError:  # not a plain http(s) link: nothing stored
        return {ids.PAYMENT_LINK_BLOCK: PLAIN_HTTPS_LINK}
    return {}


def check_channel_size(deps: Deps, client: WebClient, *, channel_id: str, event_id: str) -> None:
    """Someone joined `channel_id`: if it is onboarding and its customer side (members who are not
    staff, nor the bot; listed with `client`) is past the A-team size, the CS owner is told, once.
    Best effort: if Slack can't list the members, the next member joining counts again."""
    with deps.db.session() as session:
        customer = session.get(Customer, channel_id)
        if customer is None or customer.size_warned:
            return
    bot_user = deps.directory.host().bot_user_id
    members: list[str] = []
    try:
        for page in client.conversations_members(channel=channel_id, limit=200):
            members.extend(page.get("members") or [])
    except (SlackApiError, SlackClientError, OSError) as exc:
        # A 500 here would only be retried: the next member joining counts again.
        log.warning("could not count the members of %s: %s", channel_id, type(exc).__name__)
        return
    count = sum(1 for m in members if m != bot_user and not deps.directory.is_staff(m))
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        warn_channel_size(
            uow.session, channel_id=channel_id, count=count, max_members=deps.settings.max_customer_members, now=uow.now
        )
