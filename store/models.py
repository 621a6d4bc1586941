"""The ORM models. Alembic migrations (bot/migrations) own the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class CustomerChannel(Base):
    """A channel the bot was added to: where customers file tickets."""

    __tablename__ = "customer_channels"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    is_ext_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime]
    # The customer org (team id, from users.info) seen filing tickets here: their App Home lists it.
    customer_team_id: Mapped[str | None] = mapped_column(String(32))
    # customer | pending | internal (tickets/channels.py); archived_at: archived, so gone for now.
    state: Mapped[str] = mapped_column(String(16), default="customer")
    archived_at: Mapped[datetime | None]
    # all | ask | explicit (tickets/intake.py); None: the SUPPORT_INTAKE default.
    intake_mode: Mapped[str | None] = mapped_column(String(16))

    @property
    def gone(self) -> bool:
        """Archived, or the bot is no longer in it (removed, deleted)."""
        return not self.active or self.archived_at is not None


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("submission_key", name="uq_tickets_submission_key"),
        Index("ix_tickets_thread", "channel_id", "thread_ts"),
        Index("ix_tickets_source_thread", "channel_id", "source_thread_ts"),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_waiting", "waiting_since"),
        Index("ix_tickets_triage_batch", "triage_batch_id"),
        Index("ix_tickets_area_assignee", "area", "assignee_id"),  # open tickets per member of a route
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("customer_channels.channel_id"))
    reporter_id: Mapped[str] = mapped_column(String(32))
    reporter_is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: a conversation nobody has given a severity yet (SUPPORT_SLA_UNTRIAGED applies).
    severity: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default="open")
    assignee_id: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="command")
    # Idempotency key of whatever created the ticket (a modal's view id, a message's ts...).
    submission_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # The ticket card in the customer channel is the thread root.
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    triage_channel_id: Mapped[str | None] = mapped_column(String(32))
    triage_ts: Mapped[str | None] = mapped_column(String(32))
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    reporter_team_id: Mapped[str | None] = mapped_column(String(32))
    # The message a ticket was made from (🎫 reaction, shortcut, mention), for the link back.
    source_ts: Mapped[str | None] = mapped_column(String(32))
    # The thread that message lives in (its own ts, or its parent's if it is a reply): people answer
    # there too, and those replies count as replies in the card's thread.
    source_thread_ts: Mapped[str | None] = mapped_column(String(32))
    # First-response SLA (the timers' truth; the scheduler's jobs are the alarm clocks).
    sla_warn_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    sla_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_breached_at: Mapped[datetime | None]
    last_staff_message_at: Mapped[datetime | None]
    next_update_due_at: Mapped[datetime | None]
    updates_owed: Mapped[int] = mapped_column(Integer, default=0)
    # The customer has been waiting on us since (filed, or wrote again after a staff reply); None: not.
    waiting_since: Mapped[datetime | None]
    # Next-response clock: runs from a customer message after a staff reply until the next staff reply.
    next_response_warn_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    next_response_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    next_response_breached_at: Mapped[datetime | None]
    rating: Mapped[str | None] = mapped_column(String(16))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str | None] = mapped_column(String(32))
    # The triage summary the ticket was listed in instead of its own mirror (a burst); None: not.
    # Then triage_ts is the summary's ts (outbox/batching.py).
    triage_batch_id: Mapped[int | None] = mapped_column(ForeignKey("triage_batches.id"))
    # Waiting on the customer (tickets/pending.py): since when, when they are reminded and when the
    # ticket is closed for want of a reply, and when the reminder went out. All None: not waiting.
    pending_since: Mapped[datetime | None]
    pending_remind_at: Mapped[datetime | None]
    pending_close_at: Mapped[datetime | None]
    pending_reminded_at: Mapped[datetime | None]
    # Its product area: an area's name in the routing file (SUPPORT_ROUTING_FILE); None: no area,
    # the default triage channel. A name no longer in the file also falls back to the default.
    area: Mapped[str | None] = mapped_column(String(75))
    # Its customer tier, decided when it was filed: a [tiers.NAME] of the routing file (a plan, or
    # "onboarding"), whose targets its clocks use for good; None: the global targets.
    tier: Mapped[str | None] = mapped_column(String(75))


class TicketMessage(Base):
    """A message in a ticket's thread."""

    __tablename__ = "ticket_messages"
    __table_args__ = (UniqueConstraint("ticket_id", "ts", name="uq_ticket_messages_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # None: the author could not be looked up yet (users.info failed); settled later, never guessed.
    from_staff: Mapped[bool | None] = mapped_column(Boolean)
    posted_at: Mapped[datetime]


class TicketThread(Base):
    """A top-level customer message of a conversation: replies in its thread join the ticket."""

    __tablename__ = "ticket_threads"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime]


class IntakeAsk(Base):
    """When a customer was last asked "Track this as a ticket?" in a channel (ask mode's cooldown)."""

    __tablename__ = "intake_asks"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    asked_at: Mapped[datetime]


class TicketEvent(Base):
    """Audit trail: every change to a ticket, who made it and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class ProcessedEvent(Base):
    """Events API event ids already applied: a unique key, shared by every replica."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class OutboxMessage(Base):
    """A Slack post the bot owes, written in the same transaction as the change that owes it."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    result_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)


class Customer(Base):
    """A customer channel's onboarding record: what the sales process collected, and the nudges."""

    __tablename__ = "customers"

    channel_id: Mapped[str] = mapped_column(ForeignKey("customer_channels.channel_id"), primary_key=True)
    company: Mapped[str] = mapped_column(String(200))
    monthly_events: Mapped[int | None] = mapped_column(BigInteger)
    maus: Mapped[int | None] = mapped_column(BigInteger)
    cloud_provider: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(16))
    monthly_spend: Mapped[int] = mapped_column(BigInteger)
    cs_owner_id: Mapped[str] = mapped_column(String(32))
    started_by: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    checklist_ts: Mapped[str | None] = mapped_column(String(32))
    size_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_nudge_at: Mapped[datetime | None]
    next_nudge_at: Mapped[datetime | None]
    milestones_sent: Mapped[int] = mapped_column(Integer, default=0)


class OnboardingStep(Base):
    """One step (5–9) of a customer's onboarding checklist."""

    __tablename__ = "onboarding_steps"

    channel_id: Mapped[str] = mapped_column(ForeignKey("customers.channel_id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    by_user: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime | None]
    link: Mapped[str | None] = mapped_column(String(2000))  # onboarding.checklist.LINK_MAX


class TriageBatch(Base):
    """One triage summary: a single post listing the tickets of a burst, updated in place as it
    grows (services/posts.py). Its row is locked by every change that owes a re-render, so no
    item is ever left out of the last render (see `version` and `shown_version`)."""

    __tablename__ = "triage_batches"
    __table_args__ = (UniqueConstraint("channel_id", "seq", name="uq_triage_batches_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per channel: two replicas cannot open the same one twice
    ts: Mapped[str | None] = mapped_column(String(32))  # the summary's message, once posted
    opened_at: Mapped[datetime]
    last_joined_at: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # +1 at every change to show
    shown_version: Mapped[int] = mapped_column(Integer, default=0)  # the version Slack shows
    rendered_at: Mapped[datetime | None]  # when the latest post or update of it was sent


class AssignmentRotation(Base):
    """round_robin's memory for one route (services/assignment.py): who got its latest ticket.
    Locked (SELECT … FOR UPDATE) while a pick is made, so replicas picking at once take turns."""

    __tablename__ = "assignment_rotations"

    route: Mapped[str] = mapped_column(String(100), primary_key=True)  # the area's name
    last_user_id: Mapped[str | None] = mapped_column(String(32))
    picks: Mapped[int] = mapped_column(Integer, default=0)  # tickets assigned by the rotation so far
    updated_at: Mapped[datetime]
