"""Ticket rules: statuses and their labels, form validation, titles and descriptions from a message,
durations as cards show them. Status changes are tickets/workflow.py."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from tickets.slack_text import cut, is_blank, visible

TITLE_MAX = 150
DESCRIPTION_MAX = 3000


class Status(StrEnum):
    NEW = "new"  # a conversation staff have not answered yet
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    NOISE = "noise"  # "Not a ticket": a conversation closed as noise (kept and counted)


# Statuses a ticket is closed in: no clocks run, it is not waiting on anyone.
CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.NOISE})
# Statuses nobody on the team has picked up yet (a first staff reply or "Take" moves them on).
UNANSWERED_STATUSES = frozenset({Status.NEW, Status.OPEN})

STATUS_LABELS = {
    Status.NEW: "New",
    Status.NOISE: "Not a ticket",
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING_ON_CUSTOMER: "Waiting on customer",
    Status.RESOLVED: "Resolved",
}


def validate_ticket_fields(title: str | None, description: str | None) -> dict[str, str]:
    """Field errors for a ticket form, keyed by field name ('title', 'description').

    A title that shows nothing (whitespace, zero-width and other format characters) is missing."""
    errors: dict[str, str] = {}
    clean_title = visible(title)
    if not clean_title:
        errors["title"] = "Please give the ticket a short title."
    elif len(clean_title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    if description is not None and len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX} characters."
    return errors


_MARKUP_ONLY = frozenset("`*_~>-=#| ")


def title_from_message(text: str, limit: int = TITLE_MAX) -> str:
    """A ticket title from a message (plain text, not wire format): its first line that shows
    something, shortened to fit; "Ticket from a message" if none does."""
    for line in (text or "").splitlines():
        line = visible(line.replace("```", " "))  # a code fence is markup, not words
        if line and not set(line) <= _MARKUP_ONLY:  # "---", "> ", "*" alone: nothing to read
            return cut(line, limit)
    return "Ticket from a message"


def description_from_message(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """A ticket description from a message (plain text): '' if it shows nothing, else cut to fit."""
    return "" if is_blank(text) else cut(text, limit)


def humanize_duration(delta: timedelta) -> str:
    """'30 min', '2 h', '1 d 4 h' — compact, for cards and acknowledgements."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} d" + (f" {hours} h" if hours else "")
