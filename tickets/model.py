"""A ticket as the domain sees it: plain values, no ORM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickets.rules import Status
from tickets.severity import Severity


@dataclass(frozen=True)
class TicketInfo:
    """What a ticket card shows."""

    number: int
    channel_id: str
    severity: Severity
    title: str
    description: str
    reporter_id: str
    status: Status
    assignee_id: str | None
    created_at: datetime
    first_response_at: datetime | None
