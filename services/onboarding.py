"""Onboarding over the database: start, mark steps, nudge. The rules live in onboarding/.

The steps take a session (the caller owns the transaction) and `now`; what Slack must be told goes
to the outbox in the same transaction, and the timers a customer needs are derived from its row
(`customer_timers`), so the scheduler can always be brought back in line with the database. The use
cases the listeners call (`resume_onboarding`, `change_step`, `payment_link_of`) take `deps` and own
their unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.checklist import Checklist, StepRecord, StepState, attach_link, mark_step
from onboarding.customer import CloudProvider, Plan, should_warn_channel_size
from onboarding.reminders import ReminderPolicy, next_nudge_at, scaling_milestones
from onboarding.steps import DASHBOARD_CALL, INGESTION_READY, STEP_NUMBERS
from outbox import PostKind, checklist_post_key, enqueue, enqueue_repeat
from scheduling.scheduler import Timer
from services.unit_of_work import unit_of_work
from store.models import Customer, OnboardingStep

if TYPE_CHECKING:
    from services.deps import Deps

NUDGE_JOB = "dashboard_nudge"
SCALING_JOB = "scaling_checkin"
TIMER_PREFIXES = ("nudge:", "scaling:")


@dataclass(frozen=True)
class CustomerRecord:
    """What /onboard collects."""

    company: str
    monthly_events: int | None
    maus: int | None
    cloud_provider: CloudProvider
    plan: Plan
    monthly_spend: int
    cs_owner_id: str


def load_checklist(session: Session, channel_id: str) -> Checklist:
    rows = session.scalars(select(OnboardingStep).where(OnboardingStep.channel_id == channel_id))
    return Checklist({row.number: StepRecord(StepState(row.state), row.by_user, row.at, row.link) for row in rows})


def _save_checklist(session: Session, channel_id: str, checklist: Checklist) -> None:
    for number, record in checklist.items():
        row = session.get(OnboardingStep, (channel_id, number))
        if row is None:
            row = OnboardingStep(channel_id=channel_id, number=number)
            session.add(row)
        row.state, row.by_user, row.at, row.link = record.state.value, record.by, record.at, record.link


def customer_timers(customer: Customer) -> list[Timer]:
    """The alarms this customer's row asks for: the next dashboard nudge, the next scaling check-in."""
    timers = []
    if customer.next_nudge_at is not None:
        timers.append(
            Timer(
                f"nudge:{customer.channel_id}",
                customer.next_nudge_at,
                NUDGE_JOB,
                {"channel_id": customer.channel_id, "number": customer.nudges_sent + 1},
            )
        )
    milestones = scaling_milestones(customer.started_at)
    if customer.milestones_sent < len(milestones):
        _, when = milestones[customer.milestones_sent]
        timers.append(
            Timer(
                f"scaling:{customer.channel_id}",
                when,
                SCALING_JOB,
                {"channel_id": customer.channel_id, "number": customer.milestones_sent + 1},
            )
        )
    return timers


def all_timers(session: Session) -> list[Timer]:
    return [timer for customer in session.scalars(select(Customer)) for timer in customer_timers(customer)]


def _request_checklist_update(session: Session, channel_id: str, now: datetime) -> None:
    enqueue_repeat(session, PostKind.CHECKLIST_UPDATE, channel_id, now, payload={"channel": channel_id})


def start_onboarding(
    session: Session,
    *,
    channel_id: str,
    record: CustomerRecord,
    started_by: str,
    policy: ReminderPolicy,
    now: datetime,
    request_key: str,
) -> tuple[Customer, bool]:
    """Create the customer record and checklist, owe the checklist and A-team guidance posts.

    If the channel is already onboarding nothing is created: the current checklist is re-posted.
    Returns the customer and whether it was created.
    """
    customer = session.get(Customer, channel_id, with_for_update=True)
    created = customer is None
    if customer is None:
        customer = Customer(
            channel_id=channel_id,
            company=record.company.strip(),
            monthly_events=record.monthly_events,
            maus=record.maus,
            cloud_provider=record.cloud_provider.value,
            plan=record.plan.value,
            monthly_spend=record.monthly_spend,
            cs_owner_id=record.cs_owner_id,
            started_by=started_by,
            started_at=now,
            updated_at=now,
            size_warned=False,
            nudges_sent=0,
            milestones_sent=0,
            next_nudge_at=next_nudge_at(policy, now, 0, None, False),
        )
        session.add(customer)
        session.flush()
        _save_checklist(session, channel_id, Checklist())
        enqueue(
            session,
            kind=PostKind.MESSAGE,
            dedupe_key=f"a_team:{channel_id}",
            now=now,
            payload={"channel": channel_id, "render": "a_team"},
        )
    repost_checklist(session, channel_id, now, request_key)
    return customer, created


def repost_checklist(session: Session, channel_id: str, now: datetime, request_key: str) -> None:
    enqueue(
        session,
        kind=PostKind.CHECKLIST_POST,
        dedupe_key=checklist_post_key(channel_id, request_key),
        now=now,
        payload={"channel": channel_id},
    )


def mark_onboarding_step(
    session: Session,
    *,
    channel_id: str,
    number: int,
    state: StepState,
    by: str,
    policy: ReminderPolicy,
    now: datetime,
) -> tuple[Customer | None, bool]:
    """Mark a step; a no-op when it already has that state. Step 8 done stops the nudges.

    Raises ValueError for a step or state the checklist does not allow.
    """
    customer = session.get(Customer, channel_id, with_for_update=True)
    if customer is None or number not in STEP_NUMBERS:
        return customer, False
    checklist, changed = mark_step(load_checklist(session, channel_id), number, state, by, now)
    if not changed:
        return customer, False
    _save_checklist(session, channel_id, checklist)
    customer.updated_at = now
    if number == DASHBOARD_CALL:
        customer.next_nudge_at = next_nudge_at(
            policy, customer.started_at, customer.nudges_sent, customer.last_nudge_at, state == StepState.DONE
        )
    _request_checklist_update(session, channel_id, now)
    return customer, True


def set_payment_link(session: Session, *, channel_id: str, link: str, now: datetime) -> bool:
    """Attach the payment link to step 7. Raises ValueError for a link that is not plain http(s)."""
    if session.get(Customer, channel_id) is None:
        return False
    checklist, changed = attach_link(load_checklist(session, channel_id), INGESTION_READY, link)
    if changed:
        _save_checklist(session, channel_id, checklist)
        _request_checklist_update(session, channel_id, now)
    return changed


def send_dashboard_nudge(
    session: Session, *, channel_id: str, number: int, policy: ReminderPolicy, now: datetime
) -> Customer | None:
    """Owe nudge `number` to the CS owner if it is still due; each number is sent at most once.

    Returns the customer (its next_nudge_at updated) or None if there is nothing to do.
    """
    customer = session.get(Customer, channel_id, with_for_update=True)
    if customer is None or customer.nudges_sent != number - 1:
        return None  # already sent (a second firing), or a stale job
    step8 = session.get(OnboardingStep, (channel_id, DASHBOARD_CALL))
    done = step8 is not None and step8.state != StepState.PENDING.value
    due = next_nudge_at(policy, customer.started_at, customer.nudges_sent, customer.last_nudge_at, done)
    if due is None:
        customer.next_nudge_at = None
        return customer
    if due > now:
        customer.next_nudge_at = due  # fired early (settings changed): wait for the real time
        return customer
    _tell_cs_owner(session, customer, "nudge", f"nudge:{channel_id}:{number}", now, number=number, max=policy.max_count)
    customer.nudges_sent = number
    customer.last_nudge_at = now
    customer.next_nudge_at = next_nudge_at(policy, customer.started_at, number, now, False)
    return customer


def send_scaling_checkin(session: Session, *, channel_id: str, number: int, now: datetime) -> Customer | None:
    """Owe the month-1 / month-2 scaling check-in DM to the CS owner, once each."""
    customer = session.get(Customer, channel_id, with_for_update=True)
    if customer is None or customer.milestones_sent != number - 1:
        return None
    milestones = scaling_milestones(customer.started_at)
    if number > len(milestones) or milestones[number - 1][1] > now:
        return customer
    _tell_cs_owner(session, customer, "scaling", f"scaling:{channel_id}:{number}", now, number=number)
    customer.milestones_sent = number
    return customer


def warn_channel_size(session: Session, *, channel_id: str, count: int, max_members: int, now: datetime) -> bool:
    """Tell the CS owner once that the customer's side of the channel is bigger than the A-team."""
    customer = session.get(Customer, channel_id, with_for_update=True)
    if customer is None or not should_warn_channel_size(count, max_members, customer.size_warned):
        return False
    customer.size_warned = True
    _tell_cs_owner(session, customer, "size_warning", f"size_warning:{channel_id}", now, count=count, max=max_members)
    return True


def _tell_cs_owner(session: Session, customer: Customer, render: str, key: str, now: datetime, **details: int) -> None:
    """Owe the customer's CS owner a DM about the customer, rendered at delivery time by `render`
    (services/posts.py: "nudge", "scaling", "size_warning"), once per dedupe `key`."""
    payload = {"channel": customer.cs_owner_id, "render": render, "customer": customer.channel_id, **details}
    enqueue(session, kind=PostKind.MESSAGE, dedupe_key=key, now=now, payload=payload)


def resume_onboarding(deps: Deps, *, channel_id: str, request_key: str) -> str | None:
    """/onboard in `channel_id`: if it is onboarding already, owe its current checklist again (once
    per `request_key`) and return the company's name; None if it is not onboarding (start it)."""
    with unit_of_work(deps) as uow:
        customer = uow.session.get(Customer, channel_id)
        if customer is None:
            return None
        repost_checklist(uow.session, channel_id, uow.now, request_key)
        return customer.company


@dataclass(frozen=True)
class StepChange:
    """What came of a step button: `refused` is the checklist rule's reason when the change is not
    allowed (nothing stored); `onboarding` is False when the channel is not onboarding (any more)."""

    onboarding: bool
    refused: str | None = None


def change_step(deps: Deps, *, channel_id: str, number: int, state: StepState, by: str) -> StepChange:
    """Staff member `by` set step `number` of `channel_id`'s checklist to `state` (a no-op if it
    has it already); the checklist is re-rendered and the customer's nudges re-pointed after the
    commit. The caller has checked that `by` is staff."""
    try:
        with unit_of_work(deps) as uow:
            customer, changed = mark_onboarding_step(
                uow.session,
                channel_id=channel_id,
                number=number,
                state=state,
                by=by,
                policy=deps.reminder_policy,
                now=uow.now,
            )
            if changed:
                uow.resync_customer(channel_id)
    except ValueError as exc:  # raised in the block: rolled back
        return StepChange(onboarding=True, refused=str(exc))
    return StepChange(onboarding=customer is not None)


def payment_link_of(deps: Deps, channel_id: str) -> str | None:
    """The payment link on step 7 of `channel_id`'s checklist, if one was attached."""
    with deps.db.session() as session:
        return load_checklist(session, channel_id)[INGESTION_READY].link
