"""Staff actions as pure transitions: each one's new state and audit changes, its no-op, and its refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tickets.rules import Status
from tickets.severity import Severity
from tickets.workflow import (
    NOISE_REASON,
    REOPEN_REASON,
    STAFF_REPLY_REASON,
    Change,
    TicketState,
    change_severity,
    not_a_ticket,
    reassign,
    reopen_on_customer_reply,
    resolve,
    staff_reply,
    take,
    wait_on_customer,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
STAFF = "U0STAFF"
STAFF_2 = "U0STAFF2"
NEW = TicketState(Status.OPEN, Severity.HIGH, None, None, None)


def state(**changes: object) -> TicketState:
    return replace(NEW, **changes)


# --- take --------------------------------------------------------------------------------------------


def test_take_assigns_me_and_starts_work_on_an_open_ticket() -> None:
    new, changes = take(NEW, STAFF, T0)
    assert new == state(assignee_id=STAFF, status=Status.IN_PROGRESS)
    assert changes == [
        Change("assignee_id", None, STAFF, None),
        Change("status", "open", "in_progress", None),
    ]


def test_take_does_not_respond_or_reopen() -> None:
    waiting = state(status=Status.WAITING_ON_CUSTOMER, assignee_id=STAFF_2)
    new, changes = take(waiting, STAFF, T0)
    assert new == replace(waiting, assignee_id=STAFF)
    assert changes == [Change("assignee_id", STAFF_2, STAFF, None)]
    assert new.first_response_at is None


def test_taking_my_own_in_progress_ticket_again_is_a_no_op() -> None:
    mine = state(status=Status.IN_PROGRESS, assignee_id=STAFF)
    assert take(mine, STAFF, LATER) == (mine, [])


def test_take_needs_a_user() -> None:
    with pytest.raises(ValueError, match="user id"):
        take(NEW, "  ", T0)


# --- reassign ----------------------------------------------------------------------------------------


def test_reassign_moves_the_ticket_and_keeps_the_status() -> None:
    current = state(assignee_id=STAFF)
    new, changes = reassign(current, STAFF_2, T0)
    assert new == state(assignee_id=STAFF_2)
    assert new.status == Status.OPEN
    assert changes == [Change("assignee_id", STAFF, STAFF_2, None)]


def test_reassign_to_none_unassigns_and_to_the_same_person_is_a_no_op() -> None:
    current = state(assignee_id=STAFF, status=Status.IN_PROGRESS)
    new, changes = reassign(current, None, T0)
    assert new.assignee_id is None
    assert changes == [Change("assignee_id", STAFF, None, None)]
    assert reassign(current, STAFF, T0) == (current, [])


def test_an_automatic_assignment_records_its_policy_as_the_reason() -> None:
    _, changes = reassign(state(), STAFF_2, T0, "round_robin")
    assert changes == [Change("assignee_id", None, STAFF_2, "round_robin")]


def test_reassign_to_a_blank_user_is_refused() -> None:
    with pytest.raises(ValueError, match="user id"):
        reassign(NEW, "", T0)


# --- change_severity ---------------------------------------------------------------------------------


def test_change_severity_records_the_reason() -> None:
    new, changes = change_severity(NEW, Severity.CRITICAL, "  whole   app is down ")
    assert new == state(severity=Severity.CRITICAL)
    assert changes == [Change("severity", "high", "critical", "whole app is down")]


def test_change_severity_to_the_same_level_is_a_no_op() -> None:
    assert change_severity(NEW, Severity.HIGH, "double click") == (NEW, [])


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_change_severity_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ValueError, match="why"):
        change_severity(NEW, Severity.LOW, reason)  # type: ignore[arg-type]


def test_change_severity_refuses_an_essay() -> None:
    with pytest.raises(ValueError, match="under 500"):
        change_severity(NEW, Severity.LOW, "x" * 501)


# --- wait_on_customer --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.OPEN, Status.IN_PROGRESS])
def test_wait_on_customer(status: Status) -> None:
    new, changes = wait_on_customer(state(status=status))
    assert new.status == Status.WAITING_ON_CUSTOMER
    assert changes == [Change("status", status.value, "waiting_on_customer", None)]


def test_waiting_again_is_a_no_op() -> None:
    waiting = state(status=Status.WAITING_ON_CUSTOMER)
    assert wait_on_customer(waiting) == (waiting, [])


def test_a_resolved_ticket_cannot_wait_on_the_customer() -> None:
    with pytest.raises(ValueError, match="resolved"):
        wait_on_customer(state(status=Status.RESOLVED, resolved_at=T0))


# --- resolve -----------------------------------------------------------------------------------------


def test_resolve_sets_the_status_and_time() -> None:
    new, changes = resolve(state(status=Status.IN_PROGRESS), T0)
    assert new == state(status=Status.RESOLVED, resolved_at=T0)
    assert changes == [
        Change("status", "in_progress", "resolved", None),
        Change("resolved_at", None, T0.isoformat(), None),
    ]


def test_resolving_twice_keeps_the_first_time() -> None:
    resolved = state(status=Status.RESOLVED, resolved_at=T0)
    assert resolve(resolved, LATER) == (resolved, [])


# --- reopen_on_customer_reply ------------------------------------------------------------------------


def test_a_customer_reply_reopens_a_resolved_ticket_and_clears_resolved_at() -> None:
    new, changes = reopen_on_customer_reply(state(status=Status.RESOLVED, resolved_at=T0, assignee_id=STAFF))
    assert new == state(status=Status.IN_PROGRESS, resolved_at=None, assignee_id=STAFF)
    assert changes == [
        Change("status", "resolved", "in_progress", REOPEN_REASON),
        Change("resolved_at", T0.isoformat(), None, REOPEN_REASON),
    ]


def test_a_customer_reply_takes_a_waiting_ticket_back_to_in_progress() -> None:
    new, changes = reopen_on_customer_reply(state(status=Status.WAITING_ON_CUSTOMER))
    assert new.status == Status.IN_PROGRESS
    assert changes == [Change("status", "waiting_on_customer", "in_progress", REOPEN_REASON)]


@pytest.mark.parametrize("status", [Status.OPEN, Status.IN_PROGRESS])
def test_a_customer_reply_on_an_active_ticket_is_a_no_op(status: Status) -> None:
    active = state(status=status)
    assert reopen_on_customer_reply(active) == (active, [])


# --- staff_reply -------------------------------------------------------------------------------------


def test_the_first_staff_reply_is_the_first_response_and_starts_work() -> None:
    new, changes = staff_reply(NEW, T0)
    assert new == state(status=Status.IN_PROGRESS, first_response_at=T0)
    assert changes == [
        Change("first_response_at", None, T0.isoformat(), STAFF_REPLY_REASON),
        Change("status", "open", "in_progress", STAFF_REPLY_REASON),
    ]


def test_later_staff_replies_change_nothing() -> None:
    answered = state(status=Status.IN_PROGRESS, first_response_at=T0)
    assert staff_reply(answered, LATER) == (answered, [])


@pytest.mark.parametrize("status", [Status.WAITING_ON_CUSTOMER, Status.RESOLVED])
def test_a_staff_reply_keeps_waiting_and_resolved_statuses(status: Status) -> None:
    new, changes = staff_reply(state(status=status), T0)
    assert new.status == status
    assert new.first_response_at == T0
    assert [c.field for c in changes] == ["first_response_at"]


def test_transitions_never_mutate_their_input() -> None:
    before = state(status=Status.IN_PROGRESS, assignee_id=STAFF)
    snapshot = replace(before)
    take(before, STAFF_2, T0)
    resolve(before, T0)
    staff_reply(before, T0)
    assert before == snapshot
    with pytest.raises(AttributeError):
        before.status = Status.RESOLVED  # type: ignore[misc]


# --- conversations (issue 16) ------------------------------------------------------------------------
CONVERSATION = TicketState(Status.NEW, None, None, None, None)


def test_a_conversations_first_severity_needs_no_reason() -> None:
    new, changes = change_severity(CONVERSATION, Severity.HIGH, "")
    assert new.severity == Severity.HIGH
    assert changes == [Change("severity", None, "high", "first severity")]
    with pytest.raises(ValueError, match="why"):
        change_severity(new, Severity.LOW, "  ")  # after that, a change needs its reason


def test_not_a_ticket_closes_a_conversation_as_noise_once() -> None:
    closed, changes = not_a_ticket(CONVERSATION, LATER)
    assert closed.status == Status.NOISE
    assert changes == [Change("status", "new", "noise", NOISE_REASON)]
    assert not_a_ticket(closed, LATER) == (closed, [])
    resolved = state(status=Status.RESOLVED, resolved_at=LATER)
    assert not_a_ticket(resolved, LATER) == (resolved, [])


def test_a_customer_reply_brings_noise_back_as_new_and_new_stays_new() -> None:
    closed, _ = not_a_ticket(CONVERSATION, LATER)
    reopened, changes = reopen_on_customer_reply(closed)
    assert reopened.status == Status.NEW and changes[0].reason == REOPEN_REASON
    assert reopen_on_customer_reply(CONVERSATION) == (CONVERSATION, [])


def test_the_first_staff_reply_or_take_moves_a_new_conversation_on() -> None:
    answered, _ = staff_reply(CONVERSATION, LATER)
    assert (answered.status, answered.first_response_at) == (Status.IN_PROGRESS, LATER)
    taken, _ = take(CONVERSATION, STAFF, LATER)
    assert (taken.status, taken.assignee_id) == (Status.IN_PROGRESS, STAFF)


def test_a_conversation_closed_as_noise_cannot_wait_on_the_customer() -> None:
    closed, _ = not_a_ticket(CONVERSATION, LATER)
    with pytest.raises(ValueError, match="closed"):
        wait_on_customer(closed)
