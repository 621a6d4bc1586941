"""Owing a post (`enqueue`, in the caller's transaction) and the Core statements delivery runs.

A row due now is remembered on the session (`DUE_ROWS`) until the transaction commits; then
`Outbox.watch` hands it to its worker (or, on a follower, to the leader with NOTIFY).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from outbox.kinds import PostKind, reaction_key, repeat_key, triage_note_key
from outbox.post import OutboxRow
from store.models import OutboxMessage

DUE_ROWS = "support_bot_outbox_due_rows"  # Session.info key: rows (or ids) enqueued, due now, not yet committed
IN_FLIGHT = "in flight"  # a row's last_error while an attempt is under way (a crash leaves it so)


def utcnow() -> datetime:
    """Now, timezone-aware UTC: the outbox's default clock."""
    return datetime.now(UTC)


def enqueue(
    session: Session,
    *,
    kind: str,  # a PostKind
    dedupe_key: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    ticket_id: int | None = None,
    due_at: datetime | None = None,
) -> OutboxMessage | None:
    """Owe a post. A second row with the same dedupe key is not added (returns None).

    A row due now wakes its delivery worker when the transaction commits (see `Outbox.watch`).
    """
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    row = OutboxMessage(
        kind=kind,
        dedupe_key=dedupe_key,
        ticket_id=ticket_id,
        payload=payload or {},
        state="pending",
        attempts=0,
        next_attempt_at=due_at or now,
        created_at=now,
    )
    session.add(row)
    if due_at is None or due_at <= now:
        session.info.setdefault(DUE_ROWS, []).append(row)
    return row


# Delivery runs once per post, so its statements are built once, in Core: an ORM load and flush
# of the row cost several times the CPU (the outbox was two thirds of the server's CPU per ticket).
OUTBOX = OutboxMessage.__table__
COL = OUTBOX.c
BY_ID = COL.id == bindparam("row_id")
INSERT_DUE = insert(OUTBOX).returning(COL.id, sort_by_parameter_order=True)
UNLEASED = or_(COL.lease_until.is_(None), COL.lease_until < bindparam("now"))
CLAIM = (
    update(OUTBOX)
    .where(BY_ID, COL.state == "pending", UNLEASED)
    .values(lease_until=bindparam("until"))
    .returning(*(COL[name] for name in OutboxRow.__slots__))
)
START = update(OUTBOX).where(BY_ID).values(attempts=COL.attempts + 1, last_error=IN_FLIGHT)
DEFER = update(OUTBOX).where(BY_ID).values(lease_until=None, next_attempt_at=bindparam("at"))
SENT = (
    update(OUTBOX)
    .where(BY_ID)
    .values(state="sent", sent_at=bindparam("at"), result_ts=bindparam("ts"), lease_until=None, last_error=None)
)
MAKE_DUE = (
    update(OUTBOX)
    .where(COL.dedupe_key.in_(bindparam("keys", expanding=True)), COL.state == "pending")
    .values(next_attempt_at=bindparam("at"))
    .returning(COL.id, COL.dedupe_key)
)
DUE = select(COL.id).where(COL.state == "pending", COL.next_attempt_at <= bindparam("now"), UNLEASED)
DUE_IN_PARTITION = (
    DUE.where(COL.id % bindparam("workers") == bindparam("partition")).order_by(COL.id).limit(bindparam("limit"))
)


def enqueue_repeat(
    session: Session,
    kind: PostKind,
    about: int | str,
    now: datetime,
    *,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """Owe a post that is owed afresh at each change (a card, mirror or checklist update, a rating
    request), keyed by `repeat_key(kind, about, now)`; `about` is the ticket id or channel id."""
    key = repeat_key(kind, about, now)
    return enqueue(session, kind=kind, dedupe_key=key, now=now, ticket_id=ticket_id, payload=payload)


def enqueue_triage_note(
    session: Session, note: str, ticket_id: int, which: object, now: datetime, **details: Any
) -> OutboxMessage | None:
    """Owe triage a note about ticket `ticket_id` (`note`: "sla_warn", "sla_breach", "update_owed",
    "reopened"), once per `which` (the severity, a count, a ts); `details` go into its payload."""
    key = triage_note_key(note, ticket_id, which)
    payload = {"note": note, **details}
    return enqueue(session, kind=PostKind.TRIAGE_NOTE, dedupe_key=key, now=now, ticket_id=ticket_id, payload=payload)


def reaction_post(
    channel_id: str, ts: str, name: str, op: str, now: datetime
) -> tuple[str, str, datetime, dict[str, Any]]:
    """The `enqueue_fresh` entry that adds (`op` "add") or removes ("remove") the bot's reaction
    `name` (an emoji name, no colons) on message `ts` of `channel_id`."""
    payload = {"channel": channel_id, "ts": ts, "name": name, "op": op}
    return PostKind.REACTION, reaction_key(channel_id, ts, name, op, now), now, payload


def enqueue_fresh(
    session: Session,
    posts: list[tuple[str, str, datetime]] | list[tuple[str, str, datetime, dict[str, Any]]],
    *,
    now: datetime,
    ticket_id: int,
) -> list[int]:
    """Owe several posts, each `(kind, dedupe_key, due_at)` or `(kind, dedupe_key, due_at, payload)`,
    in one INSERT, with no look for an earlier row: the keys must name something made in this very
    transaction (or carry `now`, as `reaction_post`'s do). Returns the ids."""
    rows = [
        {
            "kind": post[0],
            "dedupe_key": post[1],
            "ticket_id": ticket_id,
            "payload": post[3] if len(post) > 3 else {},
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": post[2],
            "created_at": now,
        }
        for post in posts
    ]
    ids = list(session.scalars(INSERT_DUE, rows))
    session.info.setdefault(DUE_ROWS, []).extend(
        i for i, row in zip(ids, rows, strict=True) if row["next_attempt_at"] <= now
    )
    return ids
