"""First-response SLA timing: business hours, deadlines, and where a ticket stands against them.

The clock for a first response only runs inside the team's business hours, except for Critical
tickets, where it always runs. All datetimes in and out are aware; results are in UTC. Business
hours are applied in their own time zone, so a 09:00 start stays 09:00 local across DST changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets.rules import humanize_duration
from tickets.severity import Severity

# Share of the target after which triage gets a warning.
WARN_FRACTION_NUMERATOR, WARN_FRACTION_DENOMINATOR = 3, 4

_DAYS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HOURS_SPEC = re.compile(r"(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s+(?P<tz>\S+)")
_EXAMPLE = "Mon-Fri 09:00-18:00 Europe/London"


@dataclass(frozen=True)
class BusinessHours:
    """The days (0=Mon … 6=Sun) and the daily window [start, end) in which the SLA clock runs, in `tz`."""

    days: frozenset[int]
    start: time
    end: time
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("business days must be a non-empty set of weekdays 0 (Mon) to 6 (Sun)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("business hours start and end are local times; give the zone as tz")
        if self.end <= self.start:
            raise ValueError(f"business hours must end after they start ({self.start:%H:%M}-{self.end:%H:%M})")

    def describe(self) -> str:
        """The hours in the form `parse_business_hours` reads, e.g. 'Mon,Tue,Wed,Thu,Fri 09:00-18:00 UTC'."""
        days = ",".join(_DAY_ABBREVIATIONS[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.tz.key}"


def _parse_day(name: str, spec: str) -> int:
    try:
        return _DAYS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown day {name.strip()!r} in {spec!r}; use Mon, Tue, Wed, Thu, Fri, Sat or Sun") from None


def _parse_days(spec: str) -> frozenset[int]:
    """'Mon-Fri', 'Mon,Wed,Fri', 'Sun-Thu' (ranges may wrap past Sunday), or a mix like 'Mon-Wed,Fri'."""
    days: set[int] = set()
    for part in spec.split(","):
        if not part.strip():
            raise ValueError(f"empty day in {spec!r}")
        first, sep, last = part.partition("-")
        start = _parse_day(first, spec)
        if not sep:
            days.add(start)
            continue
        end = _parse_day(last, spec)
        days.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
    return frozenset(days)


def _parse_time(text: str, spec: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59) in {spec!r}")
    return time(hours, minutes)


def _parse_zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {key!r}; use an IANA name like Europe/London or UTC") from None


def parse_business_hours(text: str) -> BusinessHours:
    """Business hours from text like 'Mon-Fri 09:00-18:00 Europe/London' or 'Mon,Wed,Fri 08:30-17:00 UTC'.

    Days are three-letter (or full) English names, case-insensitive, as a range, a comma list, or both;
    a range may wrap ('Sun-Thu', 'Fri-Mon'). Times are 24-hour HH:MM and the window cannot cross midnight.
    Raises ValueError saying what is wrong: the shape, a day, a time, end not after start, or the zone.
    """
    spec = " ".join((text or "").split())
    match = _HOURS_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"business hours {spec!r} are not in the form {_EXAMPLE!r}")
    start = _parse_time(match["start"], spec)
    end = _parse_time(match["end"], spec)
    if end <= start:
        raise ValueError(f"business hours must end after they start: {match['start']}-{match['end']} in {spec!r}")
    return BusinessHours(_parse_days(match["days"]), start, end, _parse_zone(match["tz"]))


def _require_aware(name: str, at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _window_utc(day: date, hours: BusinessHours) -> tuple[datetime, datetime]:
    """The day's business window as UTC instants (zoneinfo resolves DST for that date)."""
    opens = datetime.combine(day, hours.start, tzinfo=hours.tz).astimezone(UTC)
    closes = datetime.combine(day, hours.end, tzinfo=hours.tz).astimezone(UTC)
    return opens, closes


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours | None) -> datetime:
    """`start` plus `duration` of clock time that only runs inside `hours` (wall-clock when None).

    Starting outside hours, the clock waits for the next opening; it stops at each closing and on
    days off. Business time is real elapsed time inside the local window, so a DST change moves the
    window in UTC but never stretches or shrinks it. A zero duration returns `start` unchanged.
    `start` must be aware; the result is in UTC. Raises ValueError for a negative duration.
    """
    _require_aware("start", start)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    cursor = start.astimezone(UTC)
    if hours is None or duration == timedelta(0):
        return cursor + duration
    remaining = duration
    # Windows never cross local midnight, so nothing before today's window can still be open.
    day = cursor.astimezone(hours.tz).date()
    while True:
        if day.weekday() in hours.days:
            opens, closes = _window_utc(day, hours)
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                cursor = closes
        day += timedelta(days=1)


@dataclass(frozen=True)
class SlaDeadlines:
    """When triage is warned (75% of the target used) and when the first response is due."""

    warn_at: datetime
    due_at: datetime


def sla_deadlines(
    created_at: datetime, target: timedelta, severity: Severity | None, hours: BusinessHours | None
) -> SlaDeadlines:
    """The warning time and deadline of a response clock started at `created_at` (a ticket's
    creation for the first response; the customer's message for a next response).

    Critical tickets ignore business hours (the clock always runs); other severities, and a
    conversation with none yet, use `hours` (None means around the clock). The warning falls when
    75% of the target, counted in business time, has elapsed.
    """
    clock = None if severity == Severity.CRITICAL else hours
    warn_after = target * WARN_FRACTION_NUMERATOR / WARN_FRACTION_DENOMINATOR
    return SlaDeadlines(
        warn_at=add_business_time(created_at, warn_after, clock),
        due_at=add_business_time(created_at, target, clock),
    )


class SlaKind(StrEnum):
    DUE = "due"
    RESPONDED = "responded"
    OVERDUE = "overdue"
    RESPONDED_LATE = "responded_late"


@dataclass(frozen=True)
class SlaState:
    """Where a ticket stands against its first-response deadline, with a short text for cards and views."""

    kind: SlaKind
    text: str

    @property
    def breached(self) -> bool:
        """True once the deadline has passed without a response, or the response came late."""
        return self.kind in (SlaKind.OVERDUE, SlaKind.RESPONDED_LATE)


def sla_state(*, created_at: datetime, first_response_at: datetime | None, due_at: datetime, now: datetime) -> SlaState:
    """The ticket's first-response SLA state at `now`.

    Durations in the text are wall-clock: 'first response due in 25 min', 'overdue by 1 h 5 min',
    'responded in 12 min', 'responded in 3 h (late)'; in the first minute past the deadline just
    'overdue'. A response exactly at `due_at` is on time; with no response, the ticket is overdue
    from `due_at` on.
    """
    for name, at in (("created_at", created_at), ("due_at", due_at), ("now", now)):
        _require_aware(name, at)
    if first_response_at is not None:
        _require_aware("first_response_at", first_response_at)
        took = humanize_duration(max(first_response_at - created_at, timedelta(0)))
        if first_response_at > due_at:
            return SlaState(SlaKind.RESPONDED_LATE, f"responded in {took} (late)")
        return SlaState(SlaKind.RESPONDED, f"responded in {took}")
    if now < due_at:
        return SlaState(SlaKind.DUE, f"first response due in {humanize_duration(due_at - now)}")
    late = now - due_at
    if late < timedelta(minutes=1):  # the card is drawn as the alarm fires: "overdue by 0 s" read oddly
        return SlaState(SlaKind.OVERDUE, "overdue")
    return SlaState(SlaKind.OVERDUE, f"overdue by {humanize_duration(late)}")


def critical_update_due(last_staff_message_at: datetime | None, created_at: datetime, every: timedelta) -> datetime:
    """When triage must be reminded that the customer is owed an update on a Critical ticket.

    Counted from the last staff message in the thread, or from creation if staff have not written yet;
    wall-clock, as Critical tickets ignore business hours. Raises ValueError unless `every` is positive.
    """
    if every <= timedelta(0):
        raise ValueError("the update interval must be positive")
    since = last_staff_message_at if last_staff_message_at is not None else created_at
    _require_aware("last_staff_message_at" if last_staff_message_at is not None else "created_at", since)
    return since.astimezone(UTC) + every
