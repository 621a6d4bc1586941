"""The weekly digest for the team, computed from plain rows: who filed what, how fast we answered, what slipped.

The window is half-open, [since, until). A ticket counts as opened if it was created in the window
and as resolved if it was resolved in the window (whenever it was opened). First-response medians
and SLA breaches are about the tickets opened in the window; a response recorded after `until` is
not known yet and is left out. The median next response is about the next-response clocks started
in the window (a customer wrote again after a staff reply) that staff answered before `until`.
Conversations (tickets that started as a customer's plain message) are counted per customer, with
how many of them were closed as "not a ticket". Onboardings are judged as of `until`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tickets.severity import SEVERITY_LEVELS, Severity

DEFAULT_STALLED_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class DigestTicket:
    """A ticket as the digest needs it. `breached` is whether its first response missed (or is missing) the SLA."""

    number: int
    channel_id: str
    customer_name: str
    severity: Severity | None  # None: a conversation nobody has given a severity yet
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    breached: bool
    conversation: bool = False  # started as a customer's plain message (source "message")
    noise: bool = False  # closed as "not a ticket"


@dataclass(frozen=True)
class DigestNextResponse:
    """A next-response clock: the customer wrote again at `started_at` after a staff reply; the next
    staff reply came at `answered_at` (None: not yet)."""

    started_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class DigestOnboarding:
    """An onboarding as the digest needs it; `last_change_at` is None when no step has moved yet."""

    channel_id: str
    company: str
    started_at: datetime
    settled_steps: int
    total_steps: int
    last_change_at: datetime | None


@dataclass(frozen=True)
class CustomerActivity:
    """One customer's tickets in the window."""

    channel_id: str
    customer_name: str
    opened: int
    resolved: int
    conversations: int = 0  # of the opened: conversations (a customer's plain message)
    noise: int = 0  # of those conversations: closed as "not a ticket"


@dataclass(frozen=True)
class StalledOnboarding:
    """An unfinished onboarding that has not moved for `idle_for` (as of the digest's `until`)."""

    onboarding: DigestOnboarding
    idle_for: timedelta


@dataclass(frozen=True)
class Digest:
    """The week in numbers. Mappings keyed by severity hold every severity, Critical first, then
    None ("no severity yet") if a conversation without one was answered."""

    since: datetime
    until: datetime
    customers: tuple[CustomerActivity, ...]
    opened: int
    resolved: int
    median_first_response: Mapping[Severity | None, timedelta | None]
    responses_counted: Mapping[Severity | None, int]
    breached_numbers: tuple[int, ...]
    stalled: tuple[StalledOnboarding, ...]
    median_next_response: timedelta | None = None
    next_responses_counted: int = 0
    conversations: int = 0  # opened in the window
    noise: int = 0  # of those, closed as "not a ticket"

    @property
    def breach_count(self) -> int:
        """How many tickets opened in the window breached their first-response SLA."""
        return len(self.breached_numbers)


def median_duration(values: Iterable[timedelta]) -> timedelta | None:
    """The median of `values` (the mean of the middle two for an even count), or None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _customers(tickets: list[DigestTicket], since: datetime, until: datetime) -> tuple[CustomerActivity, ...]:
    opened: dict[str, int] = {}
    resolved: dict[str, int] = {}
    conversations: dict[str, int] = {}
    noise: dict[str, int] = {}
    # The name from the most recently created ticket wins, in case the customer was renamed.
    names: dict[str, tuple[datetime, str]] = {}
    for ticket in tickets:
        in_window = False
        if since <= ticket.created_at < until:
            opened[ticket.channel_id] = opened.get(ticket.channel_id, 0) + 1
            if ticket.conversation:
                conversations[ticket.channel_id] = conversations.get(ticket.channel_id, 0) + 1
                noise[ticket.channel_id] = noise.get(ticket.channel_id, 0) + int(ticket.noise)
            in_window = True
        if ticket.resolved_at is not None and since <= ticket.resolved_at < until:
            resolved[ticket.channel_id] = resolved.get(ticket.channel_id, 0) + 1
            in_window = True
        name = (ticket.customer_name or "").strip()
        if in_window and name:
            seen = names.get(ticket.channel_id)
            if seen is None or ticket.created_at >= seen[0]:
                names[ticket.channel_id] = (ticket.created_at, name)
    activity = [
        CustomerActivity(
            channel_id,
            names[channel_id][1] if channel_id in names else "",
            opened.get(channel_id, 0),
            resolved.get(channel_id, 0),
            conversations.get(channel_id, 0),
            noise.get(channel_id, 0),
        )
        for channel_id in opened.keys() | resolved.keys()
    ]
    activity.sort(key=lambda c: (-c.opened, -c.resolved, c.customer_name.casefold(), c.channel_id))
    return tuple(activity)


def _stalled(
    onboardings: Iterable[DigestOnboarding], until: datetime, stalled_after: timedelta
) -> tuple[StalledOnboarding, ...]:
    stalled = []
    for onboarding in onboardings:
        if onboarding.settled_steps >= onboarding.total_steps or onboarding.started_at >= until:
            continue
        last = onboarding.last_change_at if onboarding.last_change_at is not None else onboarding.started_at
        idle_for = until - last
        if idle_for >= stalled_after:
            stalled.append(StalledOnboarding(onboarding, idle_for))
    stalled.sort(key=lambda s: (-s.idle_for, s.onboarding.company.casefold(), s.onboarding.channel_id))
    return tuple(stalled)


def build_digest(
    tickets: Iterable[DigestTicket],
    onboardings: Iterable[DigestOnboarding],
    *,
    since: datetime,
    until: datetime,
    stalled_after: timedelta = DEFAULT_STALLED_AFTER,
    next_responses: Iterable[DigestNextResponse] = (),
) -> Digest:
    """The digest for [since, until): per-customer opened/resolved/conversation counts (busiest
    first), the median first response per severity (None where nothing was answered), the median
    next response (from `next_responses`), the tickets that breached their SLA, and the unfinished
    onboardings with no change for `stalled_after` (longest idle first).

    Raises ValueError unless since < until and stalled_after is positive.
    """
    if not since < until:
        raise ValueError("the digest window must end after it starts")
    if stalled_after <= timedelta(0):
        raise ValueError("stalled_after must be positive")
    rows = list(tickets)
    opened_in_window = [t for t in rows if since <= t.created_at < until]
    waits: dict[Severity | None, list[timedelta]] = {severity: [] for severity in SEVERITY_LEVELS}
    for ticket in opened_in_window:
        if ticket.first_response_at is not None and ticket.first_response_at < until:
            wait = max(ticket.first_response_at - ticket.created_at, timedelta(0))
            waits.setdefault(None if ticket.severity is None else Severity(ticket.severity), []).append(wait)
    next_waits = [
        max(clock.answered_at - clock.started_at, timedelta(0))
        for clock in next_responses
        if since <= clock.started_at < until and clock.answered_at is not None and clock.answered_at < until
    ]
    conversations = [t for t in opened_in_window if t.conversation]
    return Digest(
        since=since,
        until=until,
        customers=_customers(rows, since, until),
        opened=len(opened_in_window),
        resolved=sum(1 for t in rows if t.resolved_at is not None and since <= t.resolved_at < until),
        median_first_response={severity: median_duration(values) for severity, values in waits.items()},
        responses_counted={severity: len(values) for severity, values in waits.items()},
        breached_numbers=tuple(sorted(t.number for t in opened_in_window if t.breached)),
        stalled=_stalled(onboardings, until, stalled_after),
        median_next_response=median_duration(next_waits),
        next_responses_counted=len(next_waits),
        conversations=len(conversations),
        noise=sum(1 for t in conversations if t.noise),
    )
