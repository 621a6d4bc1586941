"""Ticket rules with time passed in: field validation, titles, severities, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickets.rules import humanize_duration, title_from_message, validate_ticket_fields
from tickets.severity import Severity, parse_severity

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_validate_ticket_fields() -> None:
    assert validate_ticket_fields("ok", "") == {}
    assert set(validate_ticket_fields("", None)) == {"title"}
    assert set(validate_ticket_fields("x" * 151, "y" * 3001)) == {"title", "description"}


def test_title_from_message_and_durations() -> None:
    assert title_from_message("\n  first line  \nsecond") == "first line"
    assert len(title_from_message("x" * 500)) == 150
    assert humanize_duration(timedelta(minutes=30)) == "30 min"
    assert humanize_duration(timedelta(hours=26)) == "1 d 2 h"
    assert parse_severity(" High ") == Severity.HIGH and parse_severity("urgent") is None
