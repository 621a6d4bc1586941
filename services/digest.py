"""The weekly digest: read the week from the database, render it, owe it to the digest channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onboarding.steps import STEP_NUMBERS
from outbox import PostKind, enqueue
from services.tickets import NEXT_RESPONSE_EVENT
from store.models import Customer, CustomerChannel, OnboardingStep, Ticket, TicketEvent, TicketMessage
from tickets.digest import DigestNextResponse, DigestOnboarding, DigestTicket, build_digest
from tickets.intake import CONVERSATION_SOURCE
from tickets.rules import Status
from tickets.severity import Severity
from tickets.sla import sla_state
from ui.digest import build_digest_message

DIGEST_JOB = "weekly_digest"
DIGEST_JOB_ID = "digest"
WINDOW = timedelta(days=7)


def _breached(ticket: Ticket, now: datetime) -> bool:
    """Whether the ticket missed its first-response SLA: the breach alarm went off, or its SLA state
    (tickets.sla.sla_state, as the cards show it) at its resolution, or at `now` if still open, is breached."""
    if ticket.sla_breached_at is not None:
        return True
    if ticket.sla_due_at is None or ticket.status == Status.NOISE.value:
        return False  # closed as "not a ticket": nothing was owed (unless the breach alarm already went off)
    at = min(ticket.resolved_at, now) if ticket.resolved_at is not None else now
    return sla_state(
        created_at=ticket.created_at, first_response_at=ticket.first_response_at, due_at=ticket.sla_due_at, now=at
    ).breached


def next_responses(session: Session, since: datetime, until: datetime) -> list[DigestNextResponse]:
    """The next-response clocks started in [since, until) (the audit trail's "next_response"
    events: a customer wrote again after a staff reply), each with the first staff message posted
    in its ticket at or after it (None: unanswered)."""
    answered = (
        select(func.min(TicketMessage.posted_at))
        .where(
            TicketMessage.ticket_id == TicketEvent.ticket_id,
            TicketMessage.from_staff.is_(True),
            TicketMessage.posted_at >= TicketEvent.at,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(TicketEvent.at, answered).where(
            TicketEvent.field == NEXT_RESPONSE_EVENT, TicketEvent.at >= since, TicketEvent.at < until
        )
    )
    return [DigestNextResponse(started, answered_at) for started, answered_at in rows]


def enqueue_digest(session: Session, *, channel: str, now: datetime, key: str) -> bool:
    """Owe the digest for the 7 days up to `now`; a second call with the same `key` owes nothing more."""
    since = now - WINDOW
    names = dict(session.execute(select(CustomerChannel.channel_id, CustomerChannel.name)).all())
    companies = dict(session.execute(select(Customer.channel_id, Customer.company)).all())
    tickets = [
        DigestTicket(
            number=t.id,
            channel_id=t.channel_id,
            customer_name=companies.get(t.channel_id) or names.get(t.channel_id) or t.channel_id,
            severity=None if t.severity is None else Severity(t.severity),
            created_at=t.created_at,
            first_response_at=t.first_response_at,
            resolved_at=t.resolved_at,
            breached=_breached(t, now),
            conversation=t.source == CONVERSATION_SOURCE,
            noise=t.status == Status.NOISE.value,
        )
        for t in session.scalars(select(Ticket).where((Ticket.created_at >= since) | (Ticket.resolved_at >= since)))
    ]
    progress = session.execute(
        select(OnboardingStep.channel_id, func.count(), func.max(OnboardingStep.at))
        .where(OnboardingStep.state != "pending")
        .group_by(OnboardingStep.channel_id)
    ).all()
    settled = {channel_id: (count, last) for channel_id, count, last in progress}
    onboardings = [
        DigestOnboarding(
            channel_id=c.channel_id,
            company=c.company,
            started_at=c.started_at,
            settled_steps=settled.get(c.channel_id, (0, None))[0],
            total_steps=len(STEP_NUMBERS),
            last_change_at=settled.get(c.channel_id, (0, None))[1],
        )
        for c in session.scalars(select(Customer))
    ]
    digest = build_digest(
        tickets, onboardings, since=since, until=now, next_responses=next_responses(session, since, now)
    )
    text, blocks = build_digest_message(digest, names)
    return (
        enqueue(
            session,
            kind=PostKind.MESSAGE,
            dedupe_key=f"digest:{key}",
            now=now,
            payload={"channel": channel, "text": text, "blocks": blocks},
        )
        is not None
    )
