"""Staff actions on a ticket as pure transitions: the new state, and the changes to write to the audit log.

Every function takes a `TicketState` and returns `(new_state, changes)`. When the action would change
nothing (a double click, a retried request), the same state comes back with an empty list, so the
caller can skip the write and the audit log never records a change that did not happen.
Change values are strings: enum values, Slack user ids, and ISO 8601 datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tickets.rules import CLOSED_STATUSES, UNANSWERED_STATUSES, Status
from tickets.severity import Severity

REASON_MAX = 500
REOPEN_REASON = "customer replied"
NOISE_REASON = "not a ticket"
STAFF_REPLY_REASON = "staff replied"
NO_REPLY_REASON = "no reply from the customer"


@dataclass(frozen=True)
class Change:
    """One field's change, for the audit log; `reason` is why, when there is one to record."""

    field: str
    old: str | None
    new: str | None
    reason: str | None = None


@dataclass(frozen=True)
class TicketState:
    """The fields of a ticket that staff actions move."""

    status: Status
    severity: Severity | None  # None: a conversation nobody has given a severity yet
    assignee_id: str | None
    first_response_at: datetime | None
    resolved_at: datetime | None


Transition = tuple[TicketState, list[Change]]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _apply(state: TicketState, reason: str | None = None, **updates: object) -> Transition:
    """The state with `updates`, and a Change for each field whose value actually differs (in argument order)."""
    changes = [
        Change(field, _text(getattr(state, field)), _text(new), reason)
        for field, new in updates.items()
        if getattr(state, field) != new
    ]
    if not changes:
        return state, []
    return replace(state, **{c.field: updates[c.field] for c in changes}), changes


def _user(user_id: str) -> str:
    clean = (user_id or "").strip()
    if not clean:
        raise ValueError("a user id is required")
    return clean


def take(state: TicketState, user_id: str, now: datetime) -> Transition:
    """'Assign to me': `user_id` becomes the assignee and a new or open ticket moves to in progress.

    Other statuses are kept (taking a waiting or resolved ticket does not reopen it). Taking is not a
    reply to the customer, so `first_response_at` is untouched; `now` is accepted so every staff
    button calls the domain the same way. Raises ValueError for a blank user id.
    """
    status = Status.IN_PROGRESS if state.status in UNANSWERED_STATUSES else state.status
    return _apply(state, assignee_id=_user(user_id), status=status)


def reassign(state: TicketState, user_id: str | None, now: datetime, reason: str | None = None) -> Transition:
    """Give the ticket to `user_id`, or unassign it with None. The status is kept: the new assignee
    has not started yet. `reason` is recorded with the change (an automatic assignment's policy,
    "round_robin" or "cs_owner"; a person's click has none). Raises ValueError for a blank (but not
    None) user id."""
    return _apply(state, reason or None, assignee_id=None if user_id is None else _user(user_id))


def change_severity(state: TicketState, severity: Severity, reason: str) -> Transition:
    """Move the ticket to another severity; a reason is required and is recorded with the change.
    A conversation's first severity (it had none) needs no reason.

    Raises ValueError when the reason is blank (even if the severity is unchanged) or too long.
    """
    clean = " ".join((reason or "").split())
    if not clean and state.severity is None:
        return _apply(state, "first severity", severity=Severity(severity))
    if not clean:
        raise ValueError("say why the severity is changing")
    if len(clean) > REASON_MAX:
        raise ValueError(f"keep the reason under {REASON_MAX} characters")
    return _apply(state, clean, severity=Severity(severity))


def wait_on_customer(state: TicketState) -> Transition:
    """The ball is in the customer's court. Raises ValueError for a closed ticket (reopen it first)."""
    if state.status in CLOSED_STATUSES:
        raise ValueError("a resolved or closed ticket cannot wait on the customer; it reopens when they reply")
    return _apply(state, status=Status.WAITING_ON_CUSTOMER)


def resolve(state: TicketState, now: datetime) -> Transition:
    """Mark the ticket resolved at `now`. Resolving a resolved ticket changes nothing and keeps the first time."""
    if state.status == Status.RESOLVED:
        return state, []
    return _apply(state, status=Status.RESOLVED, resolved_at=now)


def close_for_no_reply(state: TicketState, now: datetime) -> Transition:
    """A ticket that waited on the customer too long is resolved at `now`, with the reason recorded.
    Only a ticket still waiting on the customer: any other (a reply reopened it) changes nothing."""
    if state.status != Status.WAITING_ON_CUSTOMER:
        return state, []
    return _apply(state, NO_REPLY_REASON, status=Status.RESOLVED, resolved_at=now)


def not_a_ticket(state: TicketState, now: datetime) -> Transition:
    """ "Not a ticket": close a conversation as noise (kept and counted, not resolved). A ticket
    already closed (resolved or noise) changes nothing; `now` is accepted like every staff button."""
    if state.status in CLOSED_STATUSES:
        return state, []
    return _apply(state, NOISE_REASON, status=Status.NOISE)


def reopen_on_customer_reply(state: TicketState) -> Transition:
    """A customer reply brings a closed or waiting ticket back to in progress (clearing resolved_at);
    a conversation closed as noise, or never answered, comes back as new. On a new, open or
    in-progress ticket it changes nothing."""
    if state.status == Status.NOISE:
        return _apply(state, REOPEN_REASON, status=Status.NEW)
    if state.status not in (Status.RESOLVED, Status.WAITING_ON_CUSTOMER):
        return state, []
    return _apply(state, REOPEN_REASON, status=Status.IN_PROGRESS, resolved_at=None)


def staff_reply(state: TicketState, now: datetime) -> Transition:
    """A staff reply in the thread: the first one sets `first_response_at` (only once), and a new or
    open ticket moves to in progress. Waiting and closed tickets keep their status."""
    first = state.first_response_at if state.first_response_at is not None else now
    status = Status.IN_PROGRESS if state.status in UNANSWERED_STATUSES else state.status
    return _apply(state, STAFF_REPLY_REASON, first_response_at=first, status=status)
