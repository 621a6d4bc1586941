"""Ticket rules with time passed in: a thread reply's effect, field validation, titles, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickets.rules import Status, apply_thread_reply, humanize_duration, title_from_message, validate_ticket_fields
from tickets.severity import Severity, parse_severity

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_first_staff_reply_is_first_response() -> None:
    outcome = apply_thread_reply(status=Status.OPEN, first_response_at=None, from_staff=True, at=T0)
    assert (outcome.first_response_at, outcome.status) == (T0, Status.IN_PROGRESS)
    later = apply_thread_reply(
        status=Status.IN_PROGRESS, first_response_at=T0, from_staff=True, at=T0 + timedelta(hours=1)
    )
    assert later.first_response_at == T0


def test_customer_reply_reopens_resolved_or_waiting() -> None:
    for status in (Status.RESOLVED, Status.WAITING_ON_CUSTOMER):
        outcome = apply_thread_reply(status=status, first_response_at=T0, from_staff=False, at=T0)
        assert outcome.status == Status.IN_PROGRESS
    outcome = apply_thread_reply(status=Status.OPEN, first_response_at=None, from_staff=False, at=T0)
    assert (outcome.status, outcome.first_response_at) == (Status.OPEN, None)


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
