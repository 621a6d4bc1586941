"""Tickets waiting on the customer (issue 18): the delays, what is due when, the close transition,
the settings and the words the customer reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.settings import ConfigError, load_settings
from tickets import workflow
from tickets.pending import PendingPolicy, PendingStep, pending_step
from tickets.rules import Status
from tickets.severity import Severity
from ui.messages import pending_closed, pending_reminder

BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def state(status: Status) -> workflow.TicketState:
    return workflow.TicketState(status, Severity.HIGH, "U0STAFF", T0, None)


def test_the_default_policy_reminds_after_5_days_and_closes_after_7_from_when_it_started_waiting() -> None:
    assert PendingPolicy().deadlines(T0) == (T0 + 5 * DAY, T0 + 7 * DAY)


@pytest.mark.parametrize(("remind", "close"), [(DAY, DAY), (2 * DAY, DAY), (timedelta(0), DAY)])
def test_the_close_must_come_after_a_positive_reminder_delay(remind: timedelta, close: timedelta) -> None:
    with pytest.raises(ValueError):
        PendingPolicy(remind, close)


@pytest.mark.parametrize(
    ("now", "reminded", "expected"),
    [
        (T0 + 4 * DAY, False, None),  # too early for anything
        (T0 + 5 * DAY, False, PendingStep.REMIND),  # the reminder is due
        (T0 + 6 * DAY, True, None),  # reminded already: the close is not due yet
        (T0 + 7 * DAY, True, PendingStep.CLOSE),
        (T0 + 8 * DAY, False, PendingStep.CLOSE),  # down past both: close, no reminder first
    ],
)
def test_what_a_waiting_ticket_is_owed(now: datetime, reminded: bool, expected: PendingStep | None) -> None:
    remind_at, close_at = PendingPolicy().deadlines(T0)
    assert pending_step(remind_at, close_at, reminded, now) == expected


def test_a_ticket_not_waiting_is_owed_nothing() -> None:
    assert pending_step(None, None, False, T0 + 30 * DAY) is None


def test_closing_for_no_reply_resolves_a_waiting_ticket_with_the_reason() -> None:
    new, changes = workflow.close_for_no_reply(state(Status.WAITING_ON_CUSTOMER), T0)
    assert new.status == Status.RESOLVED and new.resolved_at == T0
    assert [(c.field, c.old, c.new, c.reason) for c in changes] == [
        ("status", "waiting_on_customer", "resolved", workflow.NO_REPLY_REASON),
        ("resolved_at", None, T0.isoformat(), workflow.NO_REPLY_REASON),
    ]


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.RESOLVED, Status.OPEN, Status.NOISE])
def test_closing_for_no_reply_leaves_a_ticket_that_is_no_longer_waiting_alone(status: Status) -> None:
    before = state(status)
    assert workflow.close_for_no_reply(before, T0) == (before, [])


def test_a_customer_reply_takes_a_waiting_ticket_out_of_waiting() -> None:
    new, _ = workflow.reopen_on_customer_reply(state(Status.WAITING_ON_CUSTOMER))
    assert new.status == Status.IN_PROGRESS


def test_settings_default_and_override_the_delays() -> None:
    settings = load_settings(BASE_ENV)
    assert (settings.pending_remind, settings.pending_close) == (5 * DAY, 7 * DAY)
    settings = load_settings({**BASE_ENV, "SUPPORT_PENDING_REMIND": "2h", "SUPPORT_PENDING_CLOSE": "1d"})
    assert (settings.pending_remind, settings.pending_close) == (timedelta(hours=2), DAY)


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"SUPPORT_PENDING_CLOSE": "3d"}, "SUPPORT_PENDING_CLOSE"),  # shorter than the default reminder
        ({"SUPPORT_PENDING_REMIND": "7d"}, "SUPPORT_PENDING_CLOSE"),  # as long as the default close
        ({"SUPPORT_PENDING_REMIND": "soon"}, "SUPPORT_PENDING_REMIND"),
    ],
)
def test_bad_delays_name_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**BASE_ENV, **env})
    assert setting in str(raised.value)


def test_the_reminder_asks_and_says_when_it_closes() -> None:
    text = pending_reminder(12, "U0CUST", 2 * DAY - timedelta(seconds=3))  # fired a little late
    assert text == (
        "Hi <@U0CUST>, just checking in on ticket #12: do you still need help with this? "
        "Reply here and the team will pick it up. If we don't hear from you, we'll close it in 2 days."
    )


def test_the_close_note_says_why_and_how_to_reopen() -> None:
    text = pending_closed(12, "U0CUST", 7 * DAY)
    assert "closed ticket #12" in text and "haven't heard back in 7 days" in text
    assert "just reply here and it reopens" in text


@pytest.mark.parametrize(
    ("delta", "words"),
    [(DAY, "1 day"), (timedelta(hours=3), "3 hours"), (timedelta(minutes=1), "1 minute"), (timedelta(0), "0 seconds")],
)
def test_durations_read_as_words(delta: timedelta, words: str) -> None:
    assert pending_closed(1, "U", delta).endswith(
        f"in {words}. If you still need help, just reply here and it reopens."
    )
