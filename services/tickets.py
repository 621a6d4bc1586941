"""A ticket's steps over the database: file, look up, change, record a reply or a rating, and the
alarms a ticket's row asks for. Each takes a session (the caller owns the transaction) and `now`.

The use cases the listeners call are built from these steps and own their unit of work:
services/filing.py (filing a ticket), services/ticket_actions.py (staff actions, ✅, the rating),
services/replies.py (a reply in a ticket's conversation).

No Slack calls here: what Slack must be told is written to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Executable, and_, bindparam, case, func, insert, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from config.routing import Tier, find_tier, ticket_tier
from config.settings import Settings
from outbox import (
    PostKind,
    enqueue,
    enqueue_fresh,
    enqueue_repeat,
    enqueue_triage_note,
    pending_note_key,
    reaction_post,
    ticket_post_key,
)
from scheduling.scheduler import Timer
from services.channels import bot_joined
from services.hooks import WEBHOOKS_ON, owe_page_resolve, owe_webhook
from store.db import Row, insert_new, insert_new_key
from store.models import Customer, CustomerChannel, ProcessedEvent, Ticket, TicketEvent, TicketMessage, TicketThread
from tickets import workflow
from tickets.channels import ChannelState
from tickets.intake import CONVERSATION_SOURCE, HEARD_EMOJI, RESOLVED_EMOJI
from tickets.model import TicketInfo
from tickets.pending import PendingPolicy, PendingStep
from tickets.rules import CLOSED_STATUSES, Status
from tickets.severity import Severity
from tickets.sla import BusinessHours, critical_update_due, sla_deadlines

SLA_WARN_JOB = "sla_warn"
SLA_BREACH_JOB = "sla_breach"
CRITICAL_UPDATE_JOB = "critical_update"
NEXT_WARN_JOB = "next_response_warn"  # 75% of the next-response target used
NEXT_BREACH_JOB = "next_response_breach"
PENDING_REMIND_JOB = "pending_remind"  # waiting on the customer: remind them (tickets/pending.py)
PENDING_CLOSE_JOB = "pending_close"  # waiting on the customer too long: close the ticket
TICKET_TIMER_PREFIXES = (
    "sla_warn:",
    "sla_breach:",
    "critical_update:",
    "next_warn:",
    "next_breach:",
    "pending_remind:",
    "pending_close:",
)
# Audit trail: a customer wrote again after a staff reply and a next-response clock started (its
# `at` is the message's time; the digest's median next response runs from it to the next staff reply).
NEXT_RESPONSE_EVENT = "next_response"
SETTLE_AUTHORS_JOB = "settle_reply_authors"  # look again at replies whose author was unknown
SETTLE_AUTHORS_PREFIX = "reply_authors:"
WAIT_FOR_CARD = timedelta(seconds=5)  # a new ticket's acknowledgement and mirror look again after this
CLOSED = tuple(sorted(status.value for status in CLOSED_STATUSES))  # for SQL: status.in_(CLOSED)
_TICKETS = Ticket.__table__
HEARD_NOTE = "heard"  # an EPHEMERAL row's payload["render"]: a conversation's author is told it is tracked
AUDIT_FIELD_NAMES = {"status": "status", "severity": "severity", "assignee_id": "assignee"}


@dataclass(frozen=True)
class SlaPolicy:
    """First-response targets, optional business hours, the Critical update cadence, the target of
    a conversation with no severity yet (default: Medium's), the next-response targets (default:
    the first-response ones) and how long a ticket waits on the customer before they are reminded
    and before it is closed (`pending`, default 5 and 7 days).

    `tiers` (the routing file's [tiers.NAME]) and `onboarding_window` (SUPPORT_ONBOARDING_WINDOW)
    decide a new ticket's tier (`config.routing.ticket_tier`); `for_tier` gives a tier's targets."""

    targets: Mapping[Severity, timedelta]
    hours: BusinessHours | None
    critical_update_every: timedelta
    untriaged: timedelta | None = None
    next_response: Mapping[Severity, timedelta] | None = None
    pending: PendingPolicy = field(default_factory=PendingPolicy)
    tiers: Mapping[str, Tier] = field(default_factory=dict)
    onboarding_window: timedelta = timedelta(days=60)
    _by_tier: dict[str, SlaPolicy] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_settings(cls, s: Settings) -> SlaPolicy:
        """The policy the settings and the routing file's tiers describe."""
        return cls(
            s.sla_targets,
            s.business_hours,
            s.critical_update_every,
            untriaged=s.sla_untriaged,
            next_response=s.next_response_targets,
            pending=PendingPolicy(s.pending_remind, s.pending_close),
            tiers=s.routing.tiers if s.routing is not None else {},
            onboarding_window=s.onboarding_window,
        )

    def first_response_target(self, severity: Severity | None) -> timedelta:
        if severity is None:
            return self.untriaged if self.untriaged is not None else self.targets[Severity.MEDIUM]
        return self.targets[severity]

    def next_response_target(self, severity: Severity | None) -> timedelta:
        if severity is None or self.next_response is None:
            return self.first_response_target(severity)
        return self.next_response[severity]

    def for_tier(self, name: str | None) -> SlaPolicy:
        """The targets of the tier called `name` (a ticket's `tier`; any case), this policy's own for
        None or a tier no longer in the routing file. Per severity: the tier's first response, else
        the global one; its next response, else its own first response (as SUPPORT_NEXT_RESPONSE_*
        default to SUPPORT_SLA_*), else the global next response; a conversation with no severity:
        the shorter of the global untriaged target and the tier's Medium. Its `critical_update`,
        else the global cadence. Business hours and the customer wait are the same. Built once per tier."""
        tier = find_tier(self.tiers, name)
        if tier is None:
            return self
        derived = self._by_tier.get(tier.name)
        if derived is None:
            untriaged = self.first_response_target(None)
            if Severity.MEDIUM in tier.first_response:
                untriaged = min(untriaged, tier.first_response[Severity.MEDIUM])
            derived = SlaPolicy(
                {**self.targets, **tier.first_response},
                self.hours,
                tier.critical_update or self.critical_update_every,
                untriaged=untriaged,
                next_response={
                    severity: tier.next_response.get(severity)
                    or tier.first_response.get(severity)
                    or self.next_response_target(severity)
                    for severity in Severity
                },
                pending=self.pending,
            )
            self._by_tier[tier.name] = derived
        return derived

    def tier_for(self, plan: str | None, started_at: datetime | None, now: datetime) -> str | None:
        """The tier of a new ticket in a channel whose onboarding record has `plan` and `started_at`
        (None: no record): `config.routing.ticket_tier` with this policy's tiers and window."""
        return ticket_tier(self.tiers, plan, started_at, now, self.onboarding_window)


def claim_event(session: Session, event_id: str, now: datetime) -> bool:
    """Record an Events API event id. False if any replica has already applied it.

    Called inside the transaction that applies the event, so "recorded" and "applied" are one.
    """
    if not event_id:
        return True
    return insert_new(session, ProcessedEvent, {"event_id": event_id, "received_at": now})


def customer_channel(session: Session, channel_id: str | None) -> CustomerChannel | None:
    """The channel if tickets are filed there now: a customer channel the bot is in, not archived."""
    if not channel_id:  # a payload without a channel (malformed, or not from a channel at all)
        return None
    channel = session.get(CustomerChannel, channel_id)
    if channel is None or channel.gone or channel.state != ChannelState.CUSTOMER:
        return None
    return channel


def register_channel(
    session: Session, *, channel_id: str, name: str, is_ext_shared: bool, now: datetime, welcome_key: str
) -> CustomerChannel:
    """Remember a customer channel and owe it a welcome, whether or not it is shared (seeding, as the
    bench does). The bot joining a channel goes through `services.channels.bot_joined` instead."""
    channel = bot_joined(
        session, channel_id=channel_id, name=name, is_ext_shared=True, inviter=None, now=now, key=welcome_key
    )
    channel.is_ext_shared = is_ext_shared
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
    severity: Severity | None  # None: a conversation (source "message"), until someone sets one
    title: str
    description: str
    source: str
    submission_key: str
    reporter_team_id: str | None = None
    source_ts: str | None = None
    # The thread the source message is in (its parent's ts if it is a reply); defaults to source_ts.
    source_thread_ts: str | None = None
    area: str | None = None  # its product area (a name in the routing file); None: the default route


@dataclass(frozen=True)
class FiledTicket:
    number: int
    created: bool  # False: the submission was seen before, and `number` is its ticket
    timers: list[Timer]  # the alarms a new ticket asks for (empty if not created)


_INSERT_EVENT = insert(TicketEvent.__table__)


def file_ticket(session: Session, new: NewTicket, now: datetime, sla: SlaPolicy) -> FiledTicket:
    """Store a ticket and owe its card, acknowledgement and triage mirror.

    A conversation (source "message": a customer's plain message, `source_ts`) gets no card: the
    customer's message is its thread, the bot puts 👀 on it, and triage gets its mirror at once.
    Its status is new until staff answer.

    Idempotent on `submission_key`: a second call returns the first ticket, not created. Written
    with one INSERT per table (no ORM unit of work): this runs before the submission is answered.
    """
    conversation = new.source == CONVERSATION_SOURCE and new.source_ts is not None
    ticket = Ticket(
        channel_id=new.channel_id,
        reporter_id=new.reporter_id,
        reporter_is_staff=new.reporter_is_staff,
        severity=None if new.severity is None else new.severity.value,
        title=new.title.strip(),
        description=(new.description or "").strip(),
        status=(Status.NEW if conversation else Status.OPEN).value,
        source=new.source,
        thread_ts=new.source_ts if conversation else None,
        waiting_since=now,
        submission_key=new.submission_key,
        created_at=now,
        updated_at=now,
        reply_count=0,
        reporter_team_id=new.reporter_team_id,
        source_ts=new.source_ts,
        source_thread_ts=new.source_thread_ts or new.source_ts,
        sla_warned=False,
        updates_owed=0,
        area=new.area,
        tier=_new_ticket_tier(session, new.channel_id, now, sla),
    )
    _set_sla(ticket, sla)  # a transient object: never added to the session
    values = {key: value for key, value in vars(ticket).items() if key[0] != "_"}
    created = {"at": now, "actor_id": new.reporter_id, "new_value": ticket.status, "reason": new.source}
    # PostgreSQL: a conversation's ticket, its "created" event and its thread row in one statement.
    in_one = conversation and session.get_bind().dialect.name == "postgresql"
    if in_one:
        assert new.source_ts is not None
        thread = {"thread_user_id": new.reporter_id, "posted_at": ts_time(new.source_ts, now)}
        values = {**_TICKET_DEFAULTS, **values}  # a CTE's INSERT gets no Python-side defaults
        number = session.execute(_conversation_insert(values), {**values, **created, **thread}).scalar()
    else:
        number = insert_new_key(session, Ticket, values)
    if number is None:
        existing = session.scalar(select(Ticket.id).where(Ticket.submission_key == new.submission_key))
        return FiledTicket(existing, False, [])
    ticket.id = number
    if not in_one:
        session.execute(_INSERT_EVENT, {"ticket_id": number, "field": "created", "old_value": None, **created})
    data = {"actor": new.reporter_id, "reason": new.source, "description": ticket.description}
    owe_webhook(session, "created", ticket, event_id=f"created-{number}", at=now, data=data)
    if conversation:
        assert new.source_ts is not None
        if not in_one:
            add_conversation_thread(session, number, new.channel_id, new.source_ts, new.reporter_id, now)
        mirror = (PostKind.TRIAGE_MIRROR, ticket_post_key(PostKind.TRIAGE_MIRROR, number), now)
        heard = reaction_post(new.channel_id, new.source_ts, HEARD_EMOJI, "add", now)
        # Its author alone is told it is tracked, with a button to set its severity (never a reply).
        note = {"channel": new.channel_id, "user": new.reporter_id, "render": HEARD_NOTE}
        told = (PostKind.EPHEMERAL, ticket_post_key(PostKind.EPHEMERAL, number), now, note)
        enqueue_fresh(session, [mirror, heard, told], now=now, ticket_id=number)
        return FiledTicket(number, True, ticket_timers(ticket))
    # The acknowledgement (in the card's thread) and the triage mirror (linking to it) wait for the
    # card: its delivery makes them due (`Post.then`), or, failing that, they look again later.
    waiting = now + WAIT_FOR_CARD
    posts = [(PostKind.TICKET_CARD, now), (PostKind.TICKET_ACK, waiting), (PostKind.TRIAGE_MIRROR, waiting)]
    rows = [(kind, ticket_post_key(kind, number), due) for kind, due in posts]
    enqueue_fresh(session, rows, now=now, ticket_id=number)
    return FiledTicket(number, True, ticket_timers(ticket))


_CUSTOMERS = Customer.__table__
_ONBOARDING_RECORD = select(_CUSTOMERS.c.plan, _CUSTOMERS.c.started_at).where(
    _CUSTOMERS.c.channel_id == bindparam("channel_id")
)


def _new_ticket_tier(session: Session, channel_id: str, now: datetime, sla: SlaPolicy) -> str | None:
    """A new ticket's tier (`SlaPolicy.tier_for`), from the channel's onboarding record: one read
    by primary key, and none at all when the routing file has no tiers."""
    if not sla.tiers:
        return None
    record = session.execute(_ONBOARDING_RECORD, {"channel_id": channel_id}).first()
    return sla.tier_for(None, None, now) if record is None else sla.tier_for(record[0], record[1], now)


_EVENTS = TicketEvent.__table__
_THREADS = TicketThread.__table__
_CONVERSATION_INSERTS: dict[frozenset[str], Executable] = {}
_TICKET_DEFAULTS = {c.name: c.default.arg for c in _TICKETS.c if c.default is not None and c.default.is_scalar}


def _conversation_insert(values: dict[str, object]) -> Executable:
    """PostgreSQL: INSERT the ticket (`values`' columns; nothing if its submission key exists), its
    "created" event and its thread row, in one statement returning the new ticket's id. Built once
    per set of columns (file_ticket always passes the same)."""
    key = frozenset(values)
    statement = _CONVERSATION_INSERTS.get(key)
    if statement is not None:
        return statement
    ticket = (
        postgresql.insert(_TICKETS)
        .values({name: bindparam(name) for name in values})
        .on_conflict_do_nothing()
        .returning(_TICKETS.c.id)
        .cte("new_ticket")
    )
    event = (
        insert(_EVENTS)
        .from_select(
            ["ticket_id", "at", "actor_id", "field", "new_value", "reason"],
            select(
                ticket.c.id,
                bindparam("at", type_=_EVENTS.c.at.type),
                bindparam("actor_id", type_=_EVENTS.c.actor_id.type),
                literal("created", _EVENTS.c.field.type),
                bindparam("new_value", type_=_EVENTS.c.new_value.type),
                bindparam("reason", type_=_EVENTS.c.reason.type),
            ),
        )
        .cte("created_event")
    )
    thread = (
        postgresql.insert(_THREADS)
        .from_select(
            ["channel_id", "thread_ts", "ticket_id", "user_id", "posted_at"],
            select(
                bindparam("channel_id", type_=_THREADS.c.channel_id.type),
                bindparam("thread_ts", type_=_THREADS.c.thread_ts.type),
                ticket.c.id,
                bindparam("thread_user_id", type_=_THREADS.c.user_id.type),
                bindparam("posted_at", type_=_THREADS.c.posted_at.type),
            ),
        )
        .on_conflict_do_nothing()
        .cte("first_thread")
    )
    statement = select(ticket.c.id).add_cte(event, thread)
    _CONVERSATION_INSERTS[key] = statement
    return statement


def add_conversation_thread(
    session: Session, ticket_id: int, channel_id: str, ts: str, user_id: str, now: datetime
) -> bool:
    """Record a top-level customer message as part of conversation `ticket_id`: replies in its
    thread join the ticket. False if that message was recorded before (a retry)."""
    row = {"channel_id": channel_id, "thread_ts": ts, "ticket_id": ticket_id, "user_id": user_id}
    return insert_new(session, TicketThread, {**row, "posted_at": ts_time(ts, now)})


_LATEST_CONVERSATION = (
    select(_THREADS.c.ticket_id, _THREADS.c.posted_at)
    .join(_TICKETS, _TICKETS.c.id == _THREADS.c.ticket_id)
    .where(
        _THREADS.c.channel_id == bindparam("channel_id"),
        _TICKETS.c.reporter_id == bindparam("user_id"),
        _TICKETS.c.source == CONVERSATION_SOURCE,
        _TICKETS.c.status.not_in(CLOSED),
    )
    .order_by(_THREADS.c.posted_at.desc())
    .limit(1)
)


def latest_conversation(session: Session, channel_id: str, user_id: str) -> tuple[int, datetime] | None:
    """(ticket id, when its latest top-level message was posted) of the customer's newest open
    conversation in the channel, or None."""
    found = session.execute(_LATEST_CONVERSATION, {"channel_id": channel_id, "user_id": user_id}).first()
    return None if found is None else (found[0], found[1])


_CLAIMED = (
    postgresql.insert(ProcessedEvent.__table__)
    .values(event_id=bindparam("event_id"), received_at=bindparam("received_at"))
    .on_conflict_do_nothing()
    .returning(ProcessedEvent.__table__.c.event_id)
    .cte("claimed")
)
_CLAIM_COUNT = select(func.count().label("claimed")).select_from(_CLAIMED).subquery("claim")
_LATEST = _LATEST_CONVERSATION.subquery("latest")
# PostgreSQL: claim_event and latest_conversation in one statement (a round trip fewer a message).
_CLAIM_THEN_LATEST = select(_CLAIM_COUNT.c.claimed, _LATEST.c.ticket_id, _LATEST.c.posted_at).select_from(
    _CLAIM_COUNT.outerjoin(_LATEST, true())
)


def claim_then_latest_conversation(
    session: Session, event_id: str, channel_id: str, user_id: str, now: datetime
) -> tuple[bool, tuple[int, datetime] | None]:
    """`claim_event`, then, if it was not applied before, `latest_conversation` (else None)."""
    if not event_id or session.get_bind().dialect.name != "postgresql":
        if not claim_event(session, event_id, now):
            return False, None
        return True, latest_conversation(session, channel_id, user_id)
    params = {"event_id": event_id, "received_at": now, "channel_id": channel_id, "user_id": user_id}
    claimed, ticket_id, posted_at = session.execute(_CLAIM_THEN_LATEST, params).one()
    if not claimed:
        return False, None
    return True, None if ticket_id is None else (ticket_id, posted_at)


_CHANNELS = CustomerChannel.__table__
# Where tickets are filed now (`customer_channel`'s rule in SQL): a customer channel the bot is in, not archived.
_LIVE_CHANNEL = and_(
    _CHANNELS.c.active.is_(True), _CHANNELS.c.state == ChannelState.CUSTOMER.value, _CHANNELS.c.archived_at.is_(None)
)
# Built once, on the Table: building an ORM select per submission was a fifth of this look-up's CPU.
_CUSTOMER_TEAM = select(_CHANNELS.c.customer_team_id).where(
    _CHANNELS.c.channel_id == bindparam("channel_id"), _LIVE_CHANNEL
)


def customer_team(session: Session, channel_id: str) -> tuple[bool, str | None]:
    """(is it an active customer channel, the customer org seen filing there), in one small query."""
    row = session.execute(_CUSTOMER_TEAM, {"channel_id": channel_id}).first()
    return (False, None) if row is None else (True, row[0])


_NOTE_CUSTOMER_TEAM = (
    update(_CHANNELS)
    .where(_CHANNELS.c.channel_id == bindparam("channel"), _CHANNELS.c.customer_team_id.is_(None))
    .values(customer_team_id=bindparam("team"))
)


def note_customer_team(session: Session, channel_id: str, team_id: str) -> None:
    """Remember the customer org of a channel (the first one seen filing a ticket there)."""
    session.execute(_NOTE_CUSTOMER_TEAM, {"channel": channel_id, "team": team_id})


def ticket_by_thread(session: Session, channel_id: str, thread_ts: str) -> Ticket | None:
    """The ticket whose card is the root of this thread, locked for the rest of the transaction
    (replies, reactions and actions on one ticket may arrive at several replicas at once)."""
    return session.scalar(
        select(Ticket).where(Ticket.channel_id == channel_id, Ticket.thread_ts == thread_ts).with_for_update()
    )


def ticket_by_message(session: Session, channel_id: str, ts: str) -> Ticket | None:
    """The ticket whose card is message `ts`, or the conversation `ts` is a top-level message of
    (its first, or one that joined it), locked for the rest of the transaction."""
    found = ticket_by_thread(session, channel_id, ts)
    if found is None:
        joined = _JOINED_THREAD.scalar_subquery()
        query = select(Ticket).where(Ticket.id == joined).with_for_update()
        found = session.scalar(query, {"channel_id": channel_id, "thread_ts": ts})
    return found


_TICKET_BY_THREAD = (
    select(_TICKETS)
    .where(_TICKETS.c.channel_id == bindparam("channel_id"), _TICKETS.c.thread_ts == bindparam("thread_ts"))
    .with_for_update()
)


def ticket_row_by_thread(session: Session, channel_id: str, thread_ts: str) -> Row | None:
    """`ticket_by_thread` as a plain Row (save it with `store.db.save_row`): for thread replies."""
    found = session.execute(_TICKET_BY_THREAD, {"channel_id": channel_id, "thread_ts": thread_ts}).mappings().first()
    return None if found is None else Row(_TICKETS, found)


# A ticket's conversation: its card's thread, or the thread of the message it was made from.
_IN_CONVERSATION = and_(
    _TICKETS.c.channel_id == bindparam("channel_id"),
    or_(_TICKETS.c.thread_ts == bindparam("thread_ts"), _TICKETS.c.source_thread_ts == bindparam("thread_ts")),
)
_TICKET_BY_CONVERSATION = (
    select(_TICKETS)
    .where(_IN_CONVERSATION)
    # The card's own thread first; then the newest ticket made from a message in that thread.
    .order_by(case((_TICKETS.c.thread_ts == bindparam("thread_ts"), 0), else_=1), _TICKETS.c.id.desc())
    .limit(1)
    .with_for_update()
)


_TICKET_IN_CONVERSATION = select(_TICKETS.c.id).where(_IN_CONVERSATION).limit(1)
# A thread started by a customer message that joined a conversation (grouping): ticket_threads.
_TICKET_BY_JOINED_THREAD = (
    select(_TICKETS)
    .where(
        _TICKETS.c.id
        == select(_THREADS.c.ticket_id)
        .where(_THREADS.c.channel_id == bindparam("channel_id"), _THREADS.c.thread_ts == bindparam("thread_ts"))
        .scalar_subquery()
    )
    .with_for_update()
)
_JOINED_THREAD = select(_THREADS.c.ticket_id).where(
    _THREADS.c.channel_id == bindparam("channel_id"), _THREADS.c.thread_ts == bindparam("thread_ts")
)


def ticket_row_by_conversation(session: Session, channel_id: str, thread_ts: str) -> Row | None:
    """The ticket a thread reply belongs to, as a locked Row (save it with `store.db.save_row`).

    A ticket's conversation is its card's thread and the thread of the message it was made from
    (🎫, shortcut, mention: `source_thread_ts`, the message's own ts or its parent's). One query,
    served by the (channel_id, thread_ts) and (channel_id, source_thread_ts) indexes.
    """
    params = {"channel_id": channel_id, "thread_ts": thread_ts}
    found = session.execute(_TICKET_BY_CONVERSATION, params).mappings().first()
    if found is None:  # a later message of a conversation (grouping): its own thread joins it too
        found = session.execute(_TICKET_BY_JOINED_THREAD, params).mappings().first()
    return None if found is None else Row(_TICKETS, found)


def conversation_has_ticket(session: Session, channel_id: str, thread_ts: str) -> bool:
    """Whether `ticket_row_by_conversation` would find a ticket (a plain read, no lock)."""
    params = {"channel_id": channel_id, "thread_ts": thread_ts}
    found = session.execute(_TICKET_IN_CONVERSATION, params).first() or session.execute(_JOINED_THREAD, params).first()
    return found is not None


def lock_ticket(session: Session, number: int) -> Ticket | None:
    """The ticket, locked for the rest of the transaction."""
    return session.get(Ticket, number, with_for_update=True)


def ticket_by_source(session: Session, channel_id: str, ts: str) -> Ticket | None:
    """The ticket made from a message (🎫 reaction, shortcut, mention), if there is one."""
    return session.scalar(select(Ticket).where(Ticket.submission_key == f"msg:{channel_id}:{ts}"))


def request_card_update(session: Session, ticket: Ticket, now: datetime) -> None:
    """Owe a refresh of the ticket's two cards; each renders the ticket's state at delivery time.
    A conversation has no card in the customer channel (its thread is the customer's message)."""
    kinds = (PostKind.MIRROR_UPDATE,) if ticket.source == CONVERSATION_SOURCE else _BOTH_CARDS
    for kind in kinds:
        enqueue_repeat(session, kind, ticket.id, now, ticket_id=ticket.id)


_BOTH_CARDS = (PostKind.CARD_UPDATE, PostKind.MIRROR_UPDATE)


def severity_of(ticket: Ticket | Row) -> Severity | None:
    """The ticket's severity, or None for a conversation nobody has given one yet."""
    return None if ticket.severity is None else Severity(ticket.severity)


def _set_sla(ticket: Ticket, sla: SlaPolicy) -> None:
    """(Re)compute the first-response deadlines from creation, and the Critical update cadence,
    against the targets of the ticket's tier (decided when it was filed)."""
    sla = sla.for_tier(ticket.tier)
    severity = severity_of(ticket)
    deadlines = sla_deadlines(ticket.created_at, sla.first_response_target(severity), severity, sla.hours)
    ticket.sla_warn_at, ticket.sla_due_at = deadlines.warn_at, deadlines.due_at
    ticket.next_update_due_at = (
        critical_update_due(ticket.last_staff_message_at, ticket.created_at, sla.critical_update_every)
        if severity == Severity.CRITICAL and ticket.status not in CLOSED
        else None
    )


def _stop_waiting(ticket: Ticket | Row) -> None:
    """The customer is not waiting on us (answered, waiting on them, closed): no next-response clock."""
    ticket.waiting_since = None
    ticket.next_response_warn_at = ticket.next_response_due_at = None
    ticket.next_response_warned, ticket.next_response_breached_at = False, None


def _start_pending(ticket: Ticket | Row, policy: PendingPolicy, now: datetime) -> None:
    """The ticket starts waiting on the customer at `now`: the reminder and the close fall due."""
    ticket.pending_since = now
    ticket.pending_remind_at, ticket.pending_close_at = policy.deadlines(now)
    ticket.pending_reminded_at = None


def restart_customer_waits(session: Session, ticket_ids: list[int], policy: PendingPolicy, now: datetime) -> None:
    """The customer could not answer for a while (their channel was archived): those of
    `ticket_ids` waiting on them start the wait over from `now`, reminder included."""
    if not ticket_ids:
        return
    waiting = select(Ticket).where(Ticket.id.in_(ticket_ids), Ticket.status == Status.WAITING_ON_CUSTOMER.value)
    for ticket in session.scalars(waiting.with_for_update()):
        _start_pending(ticket, policy, now)


def _stop_pending(ticket: Ticket | Row) -> None:
    """The ticket is not waiting on the customer (any more): no reminder, no close."""
    ticket.pending_since = ticket.pending_remind_at = ticket.pending_close_at = ticket.pending_reminded_at = None


def remind_waiting_customer(session: Session, ticket: Ticket, now: datetime) -> bool:
    """Owe the customer the reminder in the ticket's thread (once per wait: the row remembers it,
    and the post's key names the wait). False if the ticket is not waiting or was reminded."""
    if ticket.status != Status.WAITING_ON_CUSTOMER.value or ticket.pending_since is None:
        return False
    if ticket.pending_reminded_at is not None:
        return False
    ticket.pending_reminded_at = now
    closes_in = max(ticket.pending_close_at - now, timedelta(0)) if ticket.pending_close_at else timedelta(0)
    key = pending_note_key(PendingStep.REMIND, ticket.id, ticket.pending_since)
    payload = {"note": PendingStep.REMIND.value, "closes_in": closes_in.total_seconds()}
    enqueue(session, kind=PostKind.PENDING_NOTE, dedupe_key=key, now=now, ticket_id=ticket.id, payload=payload)
    return True


def close_waiting_ticket(
    session: Session, ticket: Ticket, *, actor: str | None, now: datetime, sla: SlaPolicy
) -> list[workflow.Change]:
    """Resolve a ticket that waited on the customer too long (by `actor`, the bot; the audit trail
    says why) and owe the note in its thread that says so and how to reopen it. No rating request:
    nobody helped. Nothing (an empty list) if it is not waiting any more."""
    since, close_at = ticket.pending_since, ticket.pending_close_at
    if since is None:
        return []
    changes = _apply(session, ticket, workflow.close_for_no_reply(_state(ticket), now), actor, now, sla, rating=False)
    if changes:
        waited = (close_at or now) - since
        key = pending_note_key(PendingStep.CLOSE, ticket.id, since)
        payload = {"note": PendingStep.CLOSE.value, "waited": waited.total_seconds()}
        enqueue(session, kind=PostKind.PENDING_NOTE, dedupe_key=key, now=now, ticket_id=ticket.id, payload=payload)
    return changes


def _set_next_response(ticket: Ticket | Row, sla: SlaPolicy, since: datetime) -> None:
    """(Re)start the next-response clock from `since` against the ticket's severity (no severity:
    the untriaged target) and tier, in business hours as the first response (Critical: always running)."""
    sla = sla.for_tier(ticket.tier)
    severity = severity_of(ticket)
    deadlines = sla_deadlines(since, sla.next_response_target(severity), severity, sla.hours)
    ticket.next_response_warn_at, ticket.next_response_due_at = deadlines.warn_at, deadlines.due_at
    ticket.next_response_warned, ticket.next_response_breached_at = False, None


def ticket_timers(ticket: Ticket | Row) -> list[Timer]:
    """The alarms a ticket's row asks for: SLA warning and breach (until answered), Critical updates,
    next-response warning and breach (while a customer who wrote again waits on us), the reminder
    (until sent) and the close of a ticket waiting on the customer."""
    timers: list[Timer] = []
    if ticket.status in CLOSED:
        return timers
    params = {"ticket_id": ticket.id}
    if ticket.first_response_at is None:
        if not ticket.sla_warned and ticket.sla_warn_at is not None:
            timers.append(Timer(f"sla_warn:{ticket.id}", ticket.sla_warn_at, SLA_WARN_JOB, params))
        if ticket.sla_breached_at is None and ticket.sla_due_at is not None:
            timers.append(Timer(f"sla_breach:{ticket.id}", ticket.sla_due_at, SLA_BREACH_JOB, params))
    if ticket.next_update_due_at is not None:
        timers.append(Timer(f"critical_update:{ticket.id}", ticket.next_update_due_at, CRITICAL_UPDATE_JOB, params))
    if ticket.next_response_due_at is not None:
        if not ticket.next_response_warned and ticket.next_response_warn_at is not None:
            timers.append(Timer(f"next_warn:{ticket.id}", ticket.next_response_warn_at, NEXT_WARN_JOB, params))
        if ticket.next_response_breached_at is None:
            timers.append(Timer(f"next_breach:{ticket.id}", ticket.next_response_due_at, NEXT_BREACH_JOB, params))
    if ticket.status == Status.WAITING_ON_CUSTOMER.value and ticket.pending_close_at is not None:
        if ticket.pending_reminded_at is None and ticket.pending_remind_at is not None:
            timers.append(Timer(f"pending_remind:{ticket.id}", ticket.pending_remind_at, PENDING_REMIND_JOB, params))
        timers.append(Timer(f"pending_close:{ticket.id}", ticket.pending_close_at, PENDING_CLOSE_JOB, params))
    return timers


def open_ticket_timers(session: Session) -> list[Timer]:
    """The alarms of every open ticket in a live customer channel (none for archived or left ones)."""
    live = select(_CHANNELS.c.channel_id).where(_LIVE_CHANNEL)
    query = select(Ticket).where(Ticket.status.not_in(CLOSED), Ticket.channel_id.in_(live))
    return [t for ticket in session.scalars(query) for t in ticket_timers(ticket)]


def _state(ticket: Ticket) -> workflow.TicketState:
    return workflow.TicketState(
        status=Status(ticket.status),
        severity=severity_of(ticket),
        assignee_id=ticket.assignee_id,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
    )


def _apply(
    session: Session,
    ticket: Ticket,
    transition: workflow.Transition,
    actor: str | None,
    now: datetime,
    sla: SlaPolicy,
    *,
    rating: bool = True,
) -> list[workflow.Change]:
    """Write a transition's new state and its audit trail; owe the card refreshes (and, if it is
    resolved now and `rating`, the rating request)."""
    state, changes = transition
    if not changes:
        return changes
    severity_changed = state.severity != severity_of(ticket)
    was_closed = ticket.status in CLOSED
    # The first staff response, or closing it, ends a page (PagerDuty) about its first response.
    ends_page = (ticket.first_response_at is None and state.first_response_at is not None) or (
        not was_closed and state.status.value in CLOSED
    )
    was_waiting = ticket.status == Status.WAITING_ON_CUSTOMER.value
    resolved_now = state.status == Status.RESOLVED and ticket.status != Status.RESOLVED.value
    if severity_changed:  # re-prioritised: the timers start over against the new target
        ticket.sla_warned, ticket.sla_breached_at = False, None
    ticket.status, ticket.assignee_id = state.status.value, state.assignee_id
    ticket.severity = None if state.severity is None else state.severity.value
    ticket.first_response_at, ticket.resolved_at = state.first_response_at, state.resolved_at
    ticket.updated_at = now
    for change in changes:
        if change.field not in AUDIT_FIELD_NAMES:
            continue  # timestamps are on the ticket itself; the trail is for status, severity, assignee
        event = TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor,
            field=AUDIT_FIELD_NAMES[change.field],
            old_value=change.old,
            new_value=change.new,
            reason=change.reason,
        )
        session.add(event)
        if session.info.get(WEBHOOKS_ON):
            session.flush()  # its id is the webhook's
            resolved = event.field == "status" and change.new == Status.RESOLVED.value
            data = {"field": event.field, "old": change.old, "new": change.new, "actor": actor, "reason": change.reason}
            owe_webhook(
                session,
                "resolved" if resolved else event.field,
                ticket,
                event_id=f"event-{event.id}",
                at=now,
                data=data,
            )
    if ends_page:
        owe_page_resolve(session, ticket.id, now)
    if ticket.status in CLOSED:
        ticket.next_update_due_at = None
    else:
        _set_sla(ticket, sla)
    if ticket.status in CLOSED or ticket.status == Status.WAITING_ON_CUSTOMER.value:
        _stop_waiting(ticket)  # not waiting on us: a customer's reply that brings it back starts the wait again
    elif severity_changed and ticket.next_response_due_at is not None and ticket.waiting_since is not None:
        _set_next_response(ticket, sla, ticket.waiting_since)  # re-prioritised: against the new target
    if state.status != Status.WAITING_ON_CUSTOMER:
        _stop_pending(ticket)
    elif not was_waiting:
        _start_pending(ticket, sla.pending, now)
    if resolved_now and rating:
        enqueue_repeat(session, PostKind.RATING_REQUEST, ticket.id, now, ticket_id=ticket.id)
    if ticket.source == CONVERSATION_SOURCE and was_closed != (ticket.status in CLOSED):
        _show_state_on_messages(session, ticket, now)
    request_card_update(session, ticket, now)
    return changes


def _show_state_on_messages(session: Session, ticket: Ticket | Row, now: datetime) -> None:
    """A conversation closed or reopened: the bot's reaction on each of its top-level messages
    follows (👀 while open; ✅ once resolved; none once closed as noise)."""
    threads = session.scalars(
        select(TicketThread.thread_ts).where(TicketThread.ticket_id == ticket.id).order_by(TicketThread.thread_ts)
    ).all()
    if ticket.status == Status.RESOLVED.value:
        changes = [(HEARD_EMOJI, "remove"), (RESOLVED_EMOJI, "add")]
    elif ticket.status == Status.NOISE.value:
        changes = [(HEARD_EMOJI, "remove")]
    else:
        changes = [(RESOLVED_EMOJI, "remove"), (HEARD_EMOJI, "add")]
    posts = [reaction_post(ticket.channel_id, ts, name, op, now) for ts in threads for name, op in changes]
    if posts:
        enqueue_fresh(session, posts, now=now, ticket_id=ticket.id)


def ticket_action(
    session: Session,
    ticket: Ticket,
    action: str,
    *,
    actor: str,
    now: datetime,
    sla: SlaPolicy,
    assignee: str | None = None,
    severity: Severity | None = None,
    reason: str = "",
) -> list[workflow.Change]:
    """A staff action on a ticket. Raises ValueError for one the workflow does not allow."""
    state = _state(ticket)
    if action == "take":
        transition = workflow.take(state, actor, now)
    elif action == "reassign":
        transition = workflow.reassign(state, assignee, now, reason)
    elif action == "severity":
        transition = workflow.change_severity(state, severity or state.severity, reason)
    elif action == "waiting":
        transition = workflow.wait_on_customer(state)
    elif action == "resolve":
        transition = workflow.resolve(state, now)
    elif action == "noise":
        transition = workflow.not_a_ticket(state, now)
    else:
        raise ValueError(f"unknown action {action!r}")
    return _apply(session, ticket, transition, actor, now, sla)


def record_thread_message(
    session: Session,
    ticket: Ticket | Row,
    *,
    ts: str,
    user_id: str,
    is_staff: Callable[[str], bool],
    now: datetime,
    sla: SlaPolicy,
    pleasantry: bool = False,
) -> bool:
    """A message in a ticket's thread (False if it was recorded before). The first staff reply is
    the first response, and any staff reply stops the customer's wait (and a next-response clock);
    on a ticket waiting on the customer it starts that wait over (a new reminder and close).
    A customer reply brings a resolved or waiting ticket back to in progress (triage hears of it)
    and, after a staff reply, starts a next-response clock; a `pleasantry` ("thanks!",
    tickets.intake.is_noise) does neither."""
    from_staff = is_staff(user_id)
    # Slack's ts is when the message was posted; never later than now (clock skew).
    posted_at = ts_time(ts, now)
    message = {"ticket_id": ticket.id, "ts": ts, "user_id": user_id, "from_staff": from_staff, "posted_at": posted_at}
    if not insert_new(session, TicketMessage, message):
        return False  # seen already
    _owe_message_webhook(session, ticket, ts, user_id, from_staff, posted_at)
    ticket.reply_count += 1
    ticket.updated_at = now
    if from_staff:
        answered_before = ticket.first_response_at is not None
        ticket.last_staff_message_at = max(ticket.last_staff_message_at or posted_at, posted_at)
        _apply(session, ticket, workflow.staff_reply(_state(ticket), posted_at), user_id, now, sla)
        _set_sla(ticket, sla)
        _staff_answered(ticket, posted_at, answered_before)
        waiting_since = ticket.pending_since if ticket.status == Status.WAITING_ON_CUSTOMER.value else None
        if waiting_since is not None and posted_at > waiting_since:  # a follow-up: the wait starts over
            _start_pending(ticket, sla.pending, posted_at)
    else:
        _customer_wrote(session, ticket, ts=ts, user_id=user_id, now=now, sla=sla, pleasantry=pleasantry)
    return True


def _owe_message_webhook(
    session: Session, ticket: Ticket | Row, ts: str, user_id: str, from_staff: bool | None, posted_at: datetime
) -> None:
    """A message in the ticket's conversation, for the webhook (`from_staff` None: not known yet)."""
    data = {"ts": ts, "user": user_id, "from_staff": from_staff}
    owe_webhook(session, "message", ticket, event_id=f"message-{ticket.id}-{ts}", at=posted_at, data=data)


def _staff_answered(ticket: Ticket | Row, posted_at: datetime, answered_before: bool) -> None:
    """A staff message ends the customer's wait: the first one always (it is the first response),
    a later one if it was posted after the customer's message that started the next-response clock."""
    if ticket.waiting_since is None:
        return
    if answered_before and posted_at < ticket.waiting_since:
        return  # an earlier staff message, seen late: the customer wrote after it
    _stop_waiting(ticket)


def _customer_wrote(
    session: Session,
    ticket: Ticket | Row,
    *,
    ts: str,
    user_id: str,
    now: datetime,
    sla: SlaPolicy,
    pleasantry: bool = False,
) -> None:
    """A customer's message in the ticket's conversation. A pleasantry changes nothing. Otherwise a
    waiting or resolved ticket comes back (triage hears of it) and the customer is waiting on us
    again: after a staff reply (the first response exists), a next-response clock starts from the
    message, unless one runs already or staff answered after it."""
    if pleasantry:
        return
    _reopen_on_customer_reply(session, ticket, ts=ts, user_id=user_id, now=now, sla=sla)
    if ticket.status in CLOSED or ticket.waiting_since is not None:
        return
    posted_at = ts_time(ts, now)
    if ticket.last_staff_message_at is not None and ticket.last_staff_message_at > posted_at:
        return  # seen late: staff have written since
    ticket.waiting_since = posted_at
    if ticket.first_response_at is None:
        return  # the first-response clock still runs
    _set_next_response(ticket, sla, posted_at)
    due = ticket.next_response_due_at
    event = {"ticket_id": ticket.id, "at": posted_at, "actor_id": user_id, "field": NEXT_RESPONSE_EVENT}
    event.update(old_value=None, new_value=due.isoformat() if due else None, reason="customer wrote again")
    session.execute(_INSERT_EVENT, event)


def _reopen_on_customer_reply(
    session: Session, ticket: Ticket | Row, *, ts: str, user_id: str, now: datetime, sla: SlaPolicy
) -> None:
    """A customer's reply brings a waiting or resolved ticket back to in progress; triage hears of it."""
    changes = _apply(session, ticket, workflow.reopen_on_customer_reply(_state(ticket)), user_id, now, sla)
    if changes:
        enqueue_triage_note(session, "reopened", ticket.id, ts, now, user=user_id)


def record_reply(
    session: Session,
    ticket: Ticket | Row,
    *,
    ts: str,
    user_id: str,
    from_staff: bool | None,
    now: datetime,
    sla: SlaPolicy,
    pleasantry: bool = False,
) -> bool:
    """A reply in a ticket's conversation whose author is staff (True), a customer (False), or not
    known yet (None: the look-up failed). An unknown author's reply is recorded as neither: it
    counts in `reply_count`, changes no status, SLA or wait until `settle_reply_author` decides it
    (which cannot tell a pleasantry: its text is not kept). False if the reply was recorded before."""
    if from_staff is not None:
        return record_thread_message(
            session,
            ticket,
            ts=ts,
            user_id=user_id,
            is_staff=lambda _: from_staff,
            now=now,
            sla=sla,
            pleasantry=pleasantry,
        )
    posted_at = ts_time(ts, now)
    message = {"ticket_id": ticket.id, "ts": ts, "user_id": user_id, "from_staff": None, "posted_at": posted_at}
    if not insert_new(session, TicketMessage, message):
        return False
    _owe_message_webhook(session, ticket, ts, user_id, None, posted_at)
    ticket.reply_count += 1
    ticket.updated_at = now
    return True


_MESSAGES = TicketMessage.__table__
_UNSETTLED = select(_MESSAGES.c.ts, _MESSAGES.c.user_id).where(
    _MESSAGES.c.ticket_id == bindparam("ticket_id"), _MESSAGES.c.from_staff.is_(None)
)


def unsettled_replies(session: Session, ticket_id: int) -> list[tuple[str, str]]:
    """(ts, user id) of the ticket's replies whose author is not known yet, oldest first."""
    return [(r.ts, r.user_id) for r in session.execute(_UNSETTLED.order_by(_MESSAGES.c.ts), {"ticket_id": ticket_id})]


def settle_reply_author(
    session: Session, ticket: Ticket, *, ts: str, from_staff: bool, now: datetime, sla: SlaPolicy
) -> bool:
    """Decide the author of a reply recorded as unknown (False if it was not pending).

    A staff reply counts from when it was posted: the first response is dated to it even if a
    later staff reply was seen first. A customer reply reopens a waiting or resolved ticket only
    if no staff reply came after it.
    """
    message = session.scalar(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.ts == ts, TicketMessage.from_staff.is_(None))
        .with_for_update()
    )
    if message is None:
        return False
    message.from_staff = from_staff
    posted_at = message.posted_at
    if _is_history(ticket, ts):
        return True  # thread history from before the ticket (services/backfill.py): who wrote it, nothing more
    if from_staff:
        answered_before = ticket.first_response_at is not None
        ticket.last_staff_message_at = max(ticket.last_staff_message_at or posted_at, posted_at)
        _apply(session, ticket, workflow.staff_reply(_state(ticket), posted_at), message.user_id, now, sla)
        if ticket.first_response_at is not None and ticket.first_response_at > posted_at:
            ticket.first_response_at = posted_at  # an earlier reply, now known to be staff's
            request_card_update(session, ticket, now)
        _set_sla(ticket, sla)
        _staff_answered(ticket, posted_at, answered_before)
    elif ticket.last_staff_message_at is None or ticket.last_staff_message_at <= posted_at:
        _customer_wrote(session, ticket, ts=ts, user_id=message.user_id, now=now, sla=sla)
    return True


def _is_history(ticket: Ticket | Row, ts: str) -> bool:
    """A message of the thread older than the message the ticket was filed from (backfilled
    history, services/backfill.py). Compared by Slack ts, not by our clock: Slack's and ours differ."""
    if not ticket.source_ts or not _is_ts(ts) or not _is_ts(ticket.source_ts):
        return False
    return float(ts) < float(ticket.source_ts)


def tickets_with_unsettled_replies(session: Session) -> list[int]:
    """Tickets that have a reply whose author is not known yet (for the scheduler's reconcile)."""
    return list(session.scalars(select(TicketMessage.ticket_id).where(TicketMessage.from_staff.is_(None)).distinct()))


def ts_time(ts: str, now: datetime) -> datetime:
    """When a message was posted, from its Slack ts; never later than now (clock skew)."""
    return min(datetime.fromtimestamp(float(ts), tz=now.tzinfo), now) if _is_ts(ts) else now


def record_rating(
    session: Session, ticket: Ticket, *, rating: str, user_id: str, now: datetime, comment: str | None = None
) -> bool:
    """Store the customer's rating (and comment); the triage card shows it."""
    if rating not in ("helpful", "not_helpful"):
        raise ValueError(f"unknown rating {rating!r}")
    if ticket.rating == rating and ticket.rated_by == user_id and (comment is None or comment == ticket.rating_comment):
        return False
    ticket.rating, ticket.rated_by = rating, user_id
    if comment is not None:
        ticket.rating_comment = comment.strip()[:2000] or None
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=user_id,
        field="rating",
        old_value=None,
        new_value=rating,
        reason=ticket.rating_comment,
    )
    session.add(event)
    if session.info.get(WEBHOOKS_ON):
        session.flush()  # its id is the webhook's
        data = {"rating": rating, "comment": ticket.rating_comment, "user": user_id}
        owe_webhook(session, "rated", ticket, event_id=f"event-{event.id}", at=now, data=data)
    enqueue_repeat(session, PostKind.MIRROR_UPDATE, ticket.id, now, ticket_id=ticket.id)
    return True


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
        severity=severity_of(ticket),
        title=ticket.title,
        description=ticket.description,
        reporter_id=ticket.reporter_id,
        status=Status(ticket.status),
        assignee_id=ticket.assignee_id,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
    )


def move_ticket(session: Session, ticket: Ticket, *, area: str, channel: str, actor: str, now: datetime) -> bool:
    """Re-route `ticket` (locked) to product `area`, whose triage channel is `channel`, by staff
    member `actor`. Returns False (nothing owed) if it is in that area already.

    In the caller's transaction: the ticket's area, an audit event (field "area", old and new
    names), a fresh triage card in `channel` (its triage message is then that card), the old card
    turned into a pointer (if it had its own card: a triage summary a ticket was listed in keeps
    its line), and the webhook "area" event."""
    if ticket.area == area:
        return False
    old_area, old_channel, old_ts = ticket.area, ticket.triage_channel_id, ticket.triage_ts
    had_own_card = old_ts is not None and ticket.triage_batch_id is None
    ticket.area, ticket.updated_at = area, now
    ticket.triage_channel_id = ticket.triage_ts = None
    ticket.triage_batch_id = None
    event = TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor, field="area", old_value=old_area, new_value=area)
    session.add(event)
    session.flush()  # the event's id keys the new card and the webhook
    mirror_key = f"{ticket_post_key(PostKind.TRIAGE_MIRROR, ticket.id)}:moved:{event.id}"
    enqueue(session, kind=PostKind.TRIAGE_MIRROR, dedupe_key=mirror_key, now=now, ticket_id=ticket.id)
    if had_own_card:
        payload = {"channel": old_channel, "ts": old_ts, "to": channel, "by": actor}
        key = f"{PostKind.MIRROR_MOVED}:{ticket.id}:{event.id}"
        enqueue(session, kind=PostKind.MIRROR_MOVED, dedupe_key=key, now=now, ticket_id=ticket.id, payload=payload)
    data = {"field": "area", "old": old_area, "new": area, "actor": actor, "reason": None, "channel": channel}
    owe_webhook(session, "area", ticket, event_id=f"event-{event.id}", at=now, data=data)
    return True
