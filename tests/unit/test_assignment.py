"""Who gets a ticket automatically (tickets/assignment.py): round_robin's pick, and what Slack's
answers about the candidates mean."""

from __future__ import annotations

from datetime import UTC, datetime

from tickets.assignment import (
    EMPTY_GROUP,
    INACTIVE_USER,
    Candidates,
    active_user,
    group_members,
    next_in_rotation,
)
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui.blocks import assignment_problem, build_assigned_dm


def test_the_first_pick_is_the_lowest_user_id() -> None:
    assert next_in_rotation(["U3", "U1", "U2"], None) == "U1"


def test_the_rotation_goes_to_the_next_user_id_after_the_last_pick_and_wraps() -> None:
    members = ["U2", "U3", "U1"]
    assert next_in_rotation(members, "U1") == "U2"
    assert next_in_rotation(members, "U2") == "U3"
    assert next_in_rotation(members, "U3") == "U1"


def test_a_last_pick_who_left_the_group_still_places_the_rotation() -> None:
    assert next_in_rotation(["U1", "U3"], "U2") == "U3"
    assert next_in_rotation(["U1", "U3"], "U9") == "U1"


def test_whoever_holds_the_fewest_open_tickets_comes_first_then_the_rotation() -> None:
    assert next_in_rotation(["U1", "U2", "U3"], "U1", {"U2": 2, "U3": 2}) == "U1"
    assert next_in_rotation(["U1", "U2", "U3"], "U1", {"U1": 1, "U2": 1}) == "U3"
    assert next_in_rotation(["U1", "U2", "U3"], "U3", {"U1": 1}) == "U2"


def test_nobody_to_pick_is_none_and_duplicates_count_once() -> None:
    assert next_in_rotation([], "U1") is None
    assert next_in_rotation(["U2", "U2", "U1"], "U1") == "U2"


def test_a_group_answer_gives_its_members_without_the_bot() -> None:
    assert group_members({"ok": True, "users": ["U1", "U0BOT", "U2"]}, ("U0BOT",)) == Candidates(("U1", "U2"))


def test_an_empty_group_or_slacks_refusal_is_the_problem() -> None:
    assert group_members({"ok": True, "users": []}).problem == EMPTY_GROUP
    assert group_members({"ok": True, "users": ["U0BOT"]}, ("U0BOT",)).problem == EMPTY_GROUP
    assert group_members({"ok": False, "error": "no_such_subteam"}).problem == "no_such_subteam"


def test_only_an_active_human_can_be_assigned() -> None:
    assert active_user({"ok": True, "user": {"id": "U1"}}) == Candidates(("U1",))
    for answer in (
        {"ok": True, "user": {"id": "U1", "deleted": True}},
        {"ok": True, "user": {"id": "U1", "is_bot": True}},
        {"ok": False, "error": "user_not_found"},
    ):
        assert active_user(answer).problem == INACTIVE_USER


def test_the_dm_names_the_ticket_its_severity_title_and_link_and_escapes_the_title() -> None:
    info = TicketInfo(
        number=7,
        channel_id="C0ACME",
        severity=Severity.HIGH,
        title="Exports <fail> & @here",
        description="",
        reporter_id="U0CUST",
        status=Status.OPEN,
        assignee_id="U1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        first_response_at=None,
    )
    text = build_assigned_dm(info, "https://x.slack.com/archives/C0ACME/p1", "round_robin")
    assert "ticket #7 (High)" in text and "&lt;fail&gt; &amp;" in text and "<!here" not in text
    assert "<https://x.slack.com/archives/C0ACME/p1|Open the thread>" in text
    assert "<#C0ACME>" in build_assigned_dm(info, None, "cs_owner")


def test_why_nobody_was_assigned_never_pings_the_group() -> None:
    for problem in (EMPTY_GROUP, "no_such_subteam", "missing_scope", "weird_error"):
        assert "<!subteam" not in assignment_problem(problem, "S0TEAM")
