"""Tickets waiting on the customer: when to remind them, and when to close the ticket for want of a reply.

Pure: times are passed in. The clock starts when staff set a ticket "Waiting on customer" and stops
when it leaves that status (a customer reply reopens it; staff may move it on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_REMIND = timedelta(days=5)
DEFAULT_CLOSE = timedelta(days=7)


class PendingStep(StrEnum):
    """What a waiting ticket is owed now."""

    REMIND = "remind"  # ask the customer whether they still need help
    CLOSE = "close"  # resolve it: no reply came


@dataclass(frozen=True)
class PendingPolicy:
    """How long a ticket waits on the customer before the reminder (`remind`) and before it is
    closed (`close`); both measured from when it started waiting. Raises ValueError unless
    0 < remind < close."""

    remind: timedelta = DEFAULT_REMIND
    close: timedelta = DEFAULT_CLOSE

    def __post_init__(self) -> None:
        if self.remind <= timedelta(0):
            raise ValueError("the reminder delay must be positive")
        if self.close <= self.remind:
            raise ValueError("the close delay must be longer than the reminder delay")

    def deadlines(self, since: datetime) -> tuple[datetime, datetime]:
        """(remind at, close at) for a ticket waiting on the customer since `since`."""
        return since + self.remind, since + self.close


def pending_step(
    remind_at: datetime | None, close_at: datetime | None, reminded: bool, now: datetime
) -> PendingStep | None:
    """What a ticket waiting on the customer is owed at `now`: closing once `close_at` has passed
    (the reminder is then skipped: the close note says it all), the reminder once `remind_at` has
    passed if it was not sent, else nothing. None deadlines (not waiting) owe nothing."""
    if close_at is not None and close_at <= now:
        return PendingStep.CLOSE
    if remind_at is not None and remind_at <= now and not reminded:
        return PendingStep.REMIND
    return None
