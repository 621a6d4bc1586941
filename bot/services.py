"""Use cases over the database. Each takes a session (the caller owns the transaction) and `now`.

No Slack calls here: what Slack must be told is written to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import CustomerChannel, ProcessedEvent, Ticket, TicketEvent, TicketMessage
from bot.outbox import enqueue
from tickets.model import TicketInfo
from tickets.rules import Status, apply_thread_reply
from tickets.severity import Severity


def claim_event(session: Session, event_id: str, now: datetime) -> bool:
    """Record an Events API event id. False if any replica has already applied it.

    Called inside the transaction that applies the event, so "recorded" and "applied" are one.
    """
    if not event_id:
        return True
    if session.get(ProcessedEvent, event_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True


def customer_channel(session: Session, channel_id: str) -> CustomerChannel | None:
    channel = session.get(CustomerChannel, channel_id)
    return channel if channel is not None and channel.active else None


def register_channel(
    session: Session, *, channel_id: str, name: str, is_ext_shared: bool, now: datetime, welcome_key: str
) -> CustomerChannel:
    """The bot joined a channel: remember it as a customer channel and owe it a welcome."""
    channel = session.get(CustomerChannel, channel_id)
    if channel is None:
        channel = CustomerChannel(channel_id=channel_id, joined_at=now)
        session.add(channel)
    channel.name = name
    channel.is_ext_shared = is_ext_shared
    channel.active = True
    session.flush()
    enqueue(
        session,
        kind="welcome",
        dedupe_key=f"welcome:{channel_id}:{welcome_key}",
        now=now,
        payload={"channel": channel_id},
    )
    return channel


def deactivate_channel(session: Session, channel_id: str) -> None:
    channel = session.get(CustomerChannel, channel_id)
    if channel is not None:
        channel.active = False


@dataclass(frozen=True)
class NewTicket:
    channel_id: str
    reporter_id: str
    reporter_is_staff: bool
    severity: Severity
    title: str
    description: str
    source: str
    submission_key: str


def file_ticket(session: Session, new: NewTicket, now: datetime) -> tuple[Ticket, bool]:
    """Store a ticket and owe its card, acknowledgement and triage mirror.

    Idempotent on `submission_key`: a second call returns the first ticket and `False`.
    """
    existing = session.scalar(select(Ticket).where(Ticket.submission_key == new.submission_key))
    if existing is not None:
        return existing, False
    ticket = Ticket(
        channel_id=new.channel_id,
        reporter_id=new.reporter_id,
        reporter_is_staff=new.reporter_is_staff,
        severity=new.severity.value,
        title=new.title.strip(),
        description=(new.description or "").strip(),
        status=Status.OPEN.value,
        source=new.source,
        submission_key=new.submission_key,
        created_at=now,
        updated_at=now,
        reply_count=0,
    )
    session.add(ticket)
    session.flush()
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=new.reporter_id,
            field="created",
            old_value=None,
            new_value=Status.OPEN.value,
            reason=new.source,
        )
    )
    for kind in ("ticket_card", "ticket_ack", "triage_mirror"):
        enqueue(session, kind=kind, dedupe_key=f"{kind}:{ticket.id}", now=now, ticket_id=ticket.id)
    return ticket, True


def ticket_by_thread(session: Session, channel_id: str, thread_ts: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.channel_id == channel_id, Ticket.thread_ts == thread_ts))


def request_card_update(session: Session, ticket: Ticket, now: datetime) -> None:
    """Owe a refresh of the ticket's cards; one pending refresh is enough, it renders current state."""
    enqueue(
        session,
        kind="card_update",
        dedupe_key=f"card_update:{ticket.id}:{now.timestamp():.6f}",
        now=now,
        ticket_id=ticket.id,
    )


def record_thread_message(
    session: Session,
    ticket: Ticket,
    *,
    ts: str,
    user_id: str,
    is_staff: Callable[[str], bool],
    now: datetime,
) -> TicketMessage | None:
    """A message in a ticket's thread. The first staff reply is the first response."""
    if (
        session.scalar(select(TicketMessage.id).where(TicketMessage.ticket_id == ticket.id, TicketMessage.ts == ts))
        is not None
    ):
        return None
    from_staff = is_staff(user_id)
    posted_at = datetime.fromtimestamp(float(ts), tz=now.tzinfo) if _is_ts(ts) else now
    message = TicketMessage(ticket_id=ticket.id, ts=ts, user_id=user_id, from_staff=from_staff, posted_at=posted_at)
    session.add(message)
    ticket.reply_count += 1
    outcome = apply_thread_reply(
        status=Status(ticket.status), first_response_at=ticket.first_response_at, from_staff=from_staff, at=posted_at
    )
    if outcome.first_response_at != ticket.first_response_at:
        ticket.first_response_at = outcome.first_response_at
    if outcome.status.value != ticket.status:
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor_id=user_id,
                field="status",
                old_value=ticket.status,
                new_value=outcome.status.value,
                reason="staff reply" if from_staff else "customer reply",
            )
        )
        ticket.status = outcome.status.value
        request_card_update(session, ticket, now)
    ticket.updated_at = now
    return message


def _is_ts(ts: str) -> bool:
    try:
        float(ts)
        return True
    except ValueError:
        return False


def ticket_info(ticket: Ticket) -> TicketInfo:
    return TicketInfo(
        number=ticket.id,
        channel_id=ticket.channel_id,
        severity=Severity(ticket.severity),
        title=ticket.title,
        description=ticket.description,
        reporter_id=ticket.reporter_id,
        status=Status(ticket.status),
        assignee_id=ticket.assignee_id,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
    )
