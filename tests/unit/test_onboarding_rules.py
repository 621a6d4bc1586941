"""Onboarding rules with time passed in: the steps, marking them, eligibility, the form, nudges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onboarding.checklist import (
    Checklist,
    StepRecord,
    StepState,
    attach_link,
    clean_payment_link,
    is_complete,
    mark_step,
    new_checklist,
    progress,
)
from onboarding.customer import (
    DEDICATED_SLACK_MIN_MONTHLY_SPEND,
    CloudProvider,
    Plan,
    dedicated_slack_eligible,
    parse_amount,
    parse_cloud_provider,
    parse_plan,
    should_warn_channel_size,
    validate_customer_fields,
)
from onboarding.reminders import (
    DASHBOARD_CALL_AGENDA,
    ReminderPolicy,
    ScalingCheckIn,
    next_nudge_at,
    scaling_milestones,
)
from onboarding.steps import A_TEAM_MAX_MEMBERS, A_TEAM_ROLES, ONBOARDING_STEPS, StepOwner, step_by_number

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
STAFF = "U0STAFF"
POLICY = ReminderPolicy(first_after=timedelta(days=3), every=timedelta(days=2), max_count=3)


# --- steps -------------------------------------------------------------------------------------------


def test_steps_are_5_to_9_in_order_with_keys_and_owners() -> None:
    assert [(s.number, s.key, s.owner) for s in ONBOARDING_STEPS] == [
        (5, "channel_people", StepOwner.BOTH),
        (6, "github_project", StepOwner.POSTHOG),
        (7, "ingestion_ready", StepOwner.BOTH),
        (8, "dashboard_call", StepOwner.BOTH),
        (9, "guest_access", StepOwner.CUSTOMER),
    ]
    assert {str(owner) for owner in StepOwner} == {"PostHog", "Customer", "Both"}


def test_only_step_9_can_be_declined_and_only_step_7_takes_a_link() -> None:
    assert [s.number for s in ONBOARDING_STEPS if s.can_decline] == [9]
    assert [s.number for s in ONBOARDING_STEPS if s.accepts_link] == [7]


def test_every_step_has_a_title_and_a_meaning() -> None:
    for step in ONBOARDING_STEPS:
        assert step.title.strip() and len(step.meaning) > 40, step.key
    assert "product manager" in step_by_number(8).meaning


def test_unknown_step_number_is_refused() -> None:
    with pytest.raises(ValueError, match="no onboarding step"):
        step_by_number(4)


def test_a_team_guidance_lists_the_roles_and_a_size() -> None:
    roles = " ".join(role.role for role in A_TEAM_ROLES).lower()
    for word in ("engineering", "data", "product management", "power users", "customer success", "sales"):
        assert word in roles
    assert [r.only_if_relevant for r in A_TEAM_ROLES].count(True) == 2
    assert A_TEAM_MAX_MEMBERS == 8


# --- checklist ---------------------------------------------------------------------------------------


def test_new_checklist_has_every_step_pending_and_is_read_only() -> None:
    checklist = new_checklist()
    assert list(checklist) == [5, 6, 7, 8, 9]
    assert all(record == StepRecord() for record in checklist.values())
    assert progress(checklist) == (0, 5)
    assert not is_complete(checklist)
    with pytest.raises(TypeError):
        checklist[5] = StepRecord(StepState.DONE)  # type: ignore[index]


def test_checklist_fills_missing_steps_and_refuses_unknown_ones() -> None:
    checklist = Checklist({6: StepRecord(StepState.DONE, STAFF, T0)})
    assert checklist[6].state == StepState.DONE
    assert checklist[5].state == StepState.PENDING
    with pytest.raises(ValueError):
        Checklist({10: StepRecord()})


def test_mark_done_records_who_and_when_without_touching_the_original() -> None:
    original = new_checklist()
    checklist, changed = mark_step(original, 5, StepState.DONE, STAFF, T0)
    assert changed
    assert checklist[5] == StepRecord(StepState.DONE, STAFF, T0, None)
    assert original[5].state == StepState.PENDING


def test_marking_twice_changes_nothing_and_keeps_who_and_when() -> None:
    checklist, _ = mark_step(new_checklist(), 6, StepState.DONE, STAFF, T0)
    again, changed = mark_step(checklist, 6, StepState.DONE, "U0OTHER", T0 + timedelta(hours=1))
    assert not changed
    assert again[6] == StepRecord(StepState.DONE, STAFF, T0, None)


def test_marking_a_pending_step_pending_changes_nothing() -> None:
    checklist = new_checklist()
    same, changed = mark_step(checklist, 8, StepState.PENDING, STAFF, T0)
    assert not changed and same == checklist


def test_only_step_9_can_be_declined() -> None:
    checklist, changed = mark_step(new_checklist(), 9, StepState.DECLINED, STAFF, T0)
    assert changed and checklist[9].state == StepState.DECLINED
    for number in (5, 6, 7, 8):
        with pytest.raises(ValueError, match="cannot be declined"):
            mark_step(new_checklist(), number, StepState.DECLINED, STAFF, T0)


def test_unknown_step_cannot_be_marked() -> None:
    with pytest.raises(ValueError):
        mark_step(new_checklist(), 10, StepState.DONE, STAFF, T0)


def test_undo_returns_a_step_to_pending_and_clears_who_and_when() -> None:
    checklist, _ = mark_step(new_checklist(), 9, StepState.DECLINED, STAFF, T0)
    undone, changed = mark_step(checklist, 9, StepState.PENDING, STAFF, T0 + timedelta(minutes=5))
    assert changed
    assert undone[9] == StepRecord()


def test_a_done_step_can_become_declined_directly_where_allowed() -> None:
    checklist, _ = mark_step(new_checklist(), 9, StepState.DONE, STAFF, T0)
    later = T0 + timedelta(days=1)
    declined, changed = mark_step(checklist, 9, StepState.DECLINED, "U0OTHER", later)
    assert changed and declined[9] == StepRecord(StepState.DECLINED, "U0OTHER", later)


def test_progress_counts_done_and_declined_as_settled() -> None:
    checklist = new_checklist()
    checklist, _ = mark_step(checklist, 5, StepState.DONE, STAFF, T0)
    checklist, _ = mark_step(checklist, 9, StepState.DECLINED, STAFF, T0)
    assert progress(checklist) == (2, 5)
    for number in (6, 7, 8):
        checklist, _ = mark_step(checklist, number, StepState.DONE, STAFF, T0)
    assert progress(checklist) == (5, 5)
    assert is_complete(checklist)
    checklist, _ = mark_step(checklist, 6, StepState.PENDING, STAFF, T0)
    assert progress(checklist) == (4, 5) and not is_complete(checklist)


def test_payment_link_on_step_7_survives_marking_and_undo() -> None:
    link = "https://buy.stripe.com/test_abc?x=1&y=2"
    checklist, changed = attach_link(new_checklist(), 7, link)
    assert changed and checklist[7] == StepRecord(link=link)
    assert attach_link(checklist, 7, link) == (checklist, False)
    checklist, _ = mark_step(checklist, 7, StepState.DONE, STAFF, T0)
    assert checklist[7] == StepRecord(StepState.DONE, STAFF, T0, link)
    checklist, _ = mark_step(checklist, 7, StepState.PENDING, STAFF, T0)
    assert checklist[7].link == link


def test_links_go_only_on_step_7_and_must_be_http() -> None:
    with pytest.raises(ValueError, match="does not take a link"):
        attach_link(new_checklist(), 8, "https://example.com")
    with pytest.raises(ValueError, match="does not take a link"):
        mark_step(new_checklist(), 5, StepState.DONE, STAFF, T0, link="https://example.com")
    with pytest.raises(ValueError, match="http"):
        mark_step(new_checklist(), 7, StepState.DONE, STAFF, T0, link="javascript:alert(1)")


def test_marking_the_same_state_with_a_new_link_updates_only_the_link() -> None:
    checklist, _ = mark_step(new_checklist(), 7, StepState.DONE, STAFF, T0, link="https://a.example/1")
    updated, changed = mark_step(checklist, 7, StepState.DONE, "U0OTHER", T0 + timedelta(days=1), "https://a.example/2")
    assert changed
    assert updated[7] == StepRecord(StepState.DONE, STAFF, T0, "https://a.example/2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  https://buy.stripe.com/abc  ", "https://buy.stripe.com/abc"),
        ("http://example.com/pay", "http://example.com/pay"),
        ("ftp://example.com/pay", None),
        ("javascript:alert(1)", None),
        ("https://", None),
        ("https://evil.example|Click me", None),
        ("https://a.example/<!channel>", None),
        ("https://a.example/ b", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_payment_link(text: str | None, expected: str | None) -> None:
    assert clean_payment_link(text) == expected


# --- customer ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "spend", "eligible"),
    [
        (Plan.SCALE, 1999, False),
        (Plan.SCALE, 2000, True),
        (Plan.CLOUD, 1999, False),
        (Plan.CLOUD, 2000, True),
        (Plan.ENTERPRISE, 0, True),
        (Plan.ENTERPRISE, 1999, True),
    ],
)
def test_dedicated_slack_eligibility(plan: Plan, spend: int, eligible: bool) -> None:
    assert DEDICATED_SLACK_MIN_MONTHLY_SPEND == 2000
    assert dedicated_slack_eligible(plan, spend) is eligible


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000000", 1_000_000),
        ("1,000,000", 1_000_000),
        ("1_000_000", 1_000_000),
        (" $2,500 ", 2500),
        ("0", 0),
        ("2k", None),
        ("1.5m", None),
        ("-3", None),
        ("1,,000", None),
        ("1,000,", None),
        ("", None),
        (None, None),
        ("9" * 20, None),
    ],
)
def test_parse_amount(text: str | None, expected: int | None) -> None:
    assert parse_amount(text) == expected


def test_plan_and_provider_parse_their_values() -> None:
    assert parse_plan(" Scale ") == Plan.SCALE
    assert parse_plan("free") is None
    assert parse_cloud_provider("GCP") == CloudProvider.GCP
    assert parse_cloud_provider(None) is None


def test_valid_customer_fields_have_no_errors() -> None:
    assert validate_customer_fields("Acme", "1,000,000", "", "2500") == {}
    assert validate_customer_fields("Acme", None, "40_000", "0") == {}


def test_customer_field_errors() -> None:
    errors = validate_customer_fields("  ", "", None, "")
    assert set(errors) == {"company", "monthly_events", "monthly_spend"}
    assert "MAUs" in errors["monthly_events"]

    errors = validate_customer_fields("x" * 121, "lots", "2k", "$-5")
    assert set(errors) == {"company", "monthly_events", "maus", "monthly_spend"}
    assert "120" in errors["company"]
    assert validate_customer_fields("x" * 120, "1", None, "1") == {}


def test_one_bad_volume_field_is_reported_even_when_the_other_is_fine() -> None:
    assert set(validate_customer_fields("Acme", "1000", "many", "10")) == {"maus"}


@pytest.mark.parametrize(
    ("count", "already_warned", "warn"),
    [(8, False, False), (9, False, True), (9, True, False), (20, True, False)],
)
def test_channel_size_warning_fires_once_past_the_limit(count: int, already_warned: bool, warn: bool) -> None:
    assert should_warn_channel_size(count, 8, already_warned) is warn


# --- reminders ---------------------------------------------------------------------------------------


def test_first_nudge_is_first_after_the_start() -> None:
    assert next_nudge_at(POLICY, T0, 0, None, False) == T0 + timedelta(days=3)


def test_later_nudges_follow_the_last_one_sent() -> None:
    first_sent = T0 + timedelta(days=3, minutes=1)
    assert next_nudge_at(POLICY, T0, 1, first_sent, False) == first_sent + timedelta(days=2)


def test_a_late_nudge_is_followed_a_full_interval_later_not_by_a_burst() -> None:
    sent_after_downtime = T0 + timedelta(days=20)  # long after the whole schedule should have run
    assert next_nudge_at(POLICY, T0, 1, sent_after_downtime, False) == sent_after_downtime + timedelta(days=2)


def test_missing_send_time_assumes_the_last_nudge_went_out_on_schedule() -> None:
    assert next_nudge_at(POLICY, T0, 2, None, False) == T0 + timedelta(days=3 + 2 + 2)


def test_no_nudge_after_max_count() -> None:
    assert next_nudge_at(POLICY, T0, 3, T0 + timedelta(days=7), False) is None
    assert next_nudge_at(POLICY, T0, 4, T0 + timedelta(days=9), False) is None


def test_no_nudge_once_the_dashboard_call_is_booked() -> None:
    assert next_nudge_at(POLICY, T0, 0, None, True) is None
    assert next_nudge_at(POLICY, T0, 1, T0 + timedelta(days=3), True) is None


def test_reminder_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        ReminderPolicy(timedelta(days=1), timedelta(0), 3)
    with pytest.raises(ValueError):
        ReminderPolicy(timedelta(days=1), timedelta(days=1), -1)
    assert next_nudge_at(ReminderPolicy(timedelta(0), timedelta(days=1), 0), T0, 0, None, False) is None


def test_scaling_milestones_at_30_and_60_days() -> None:
    assert scaling_milestones(T0) == [
        (ScalingCheckIn.MONTH_1, T0 + timedelta(days=30)),
        (ScalingCheckIn.MONTH_2, T0 + timedelta(days=60)),
    ]


def test_dashboard_call_agenda_covers_configuration_assistance() -> None:
    text = " ".join(f"{item.topic} {item.detail}" for item in DASHBOARD_CALL_AGENDA).lower()
    for word in (
        "acquisition",
        "activation",
        "retention",
        "referral",
        "revenue",
        "deep-dive",
        "session recordings",
        "heatmaps",
        "paths",
        "feature flags",
        "experiments",
    ):
        assert word in text
