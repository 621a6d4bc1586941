"""When to nudge the CS owner about the dashboard-setup call (step 8), and the scaling check-ins (step 6).

Nudges are spaced from the last one actually sent, so after downtime the bot sends one late nudge
and then waits a full interval, never a burst of the ones it missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class ReminderPolicy:
    """First nudge `first_after` the start, then one every `every`, at most `max_count` in all."""

    first_after: timedelta
    every: timedelta
    max_count: int

    def __post_init__(self) -> None:
        if self.first_after < timedelta(0) or self.every <= timedelta(0) or self.max_count < 0:
            raise ValueError("first_after must be >= 0, every > 0 and max_count >= 0")


def next_nudge_at(
    policy: ReminderPolicy,
    started_at: datetime,
    sent_count: int,
    last_sent_at: datetime | None,
    dashboard_call_done: bool,
) -> datetime | None:
    """When the next nudge is due (possibly already past), or None if no more are owed.

    None once the dashboard call is booked or `max_count` nudges have gone out. The first is due at
    started_at + first_after; each later one at last_sent_at + every. If a count is recorded but no
    send time, the last nudge is assumed to have gone out on schedule.
    """
    if dashboard_call_done or sent_count >= policy.max_count:
        return None
    first = started_at + policy.first_after
    if sent_count <= 0:
        return first
    last = last_sent_at if last_sent_at is not None else first + policy.every * (sent_count - 1)
    return last + policy.every


class ScalingCheckIn(StrEnum):
    """Check-ins while the instance is being sized (step 6 warns the first 1–2 months may lag)."""

    MONTH_1 = "scaling_month_1"
    MONTH_2 = "scaling_month_2"


SCALING_CHECK_IN_AFTER: dict[ScalingCheckIn, timedelta] = {
    ScalingCheckIn.MONTH_1: timedelta(days=30),
    ScalingCheckIn.MONTH_2: timedelta(days=60),
}


def scaling_milestones(started_at: datetime) -> list[tuple[ScalingCheckIn, datetime]]:
    """The month-1 and month-2 scaling check-ins, in order, with when each falls due."""
    return [(kind, started_at + after) for kind, after in SCALING_CHECK_IN_AFTER.items()]


@dataclass(frozen=True)
class AgendaItem:
    topic: str
    detail: str


# What the dashboard-setup call covers, adapted from "configuration assistance" in PostHog's support options.
DASHBOARD_CALL_AGENDA: tuple[AgendaItem, ...] = (
    AgendaItem("Basic dashboards", "Acquisition, Activation, Retention, Referral and Revenue"),
    AgendaItem("Deep-dive dashboards", "to explain what moves those numbers"),
    AgendaItem("Session recordings, heatmaps and paths", "where they suit the product"),
    AgendaItem("Feature flags", "how changes shipped behind a flag affect the core metrics"),
    AgendaItem("Experiments", "setting up and reading the first one"),
)
