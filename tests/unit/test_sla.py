"""First-response SLA timing with time passed in: business hours, weekends, DST, Critical, warnings, states."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.severity import SEVERITY_LEVELS, Severity
from tickets.sla import (
    BusinessHours,
    SlaDeadlines,
    SlaKind,
    add_business_time,
    critical_update_due,
    parse_business_hours,
    sla_deadlines,
    sla_state,
)

LONDON = parse_business_hours("Mon-Fri 09:00-18:00 Europe/London")
UTC_HOURS = parse_business_hours("Mon-Fri 09:00-18:00 UTC")
# 2026-01-05 is a Monday; London is on GMT (= UTC) in January.
MON = datetime(2026, 1, 5, tzinfo=UTC)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


# --- parse_business_hours ----------------------------------------------------------------------------


def test_parses_a_weekday_range_with_zone() -> None:
    assert BusinessHours(frozenset({0, 1, 2, 3, 4}), time(9), time(18), ZoneInfo("Europe/London")) == LONDON


def test_parses_a_comma_list_with_half_hours() -> None:
    hours = parse_business_hours("Mon,Wed,Fri 08:30-17:00 UTC")
    assert hours.days == frozenset({0, 2, 4})
    assert (hours.start, hours.end, hours.tz.key) == (time(8, 30), time(17), "UTC")


def test_a_range_can_wrap_past_sunday() -> None:
    assert parse_business_hours("Sun-Thu 09:00-17:00 Asia/Jerusalem").days == frozenset({6, 0, 1, 2, 3})
    assert parse_business_hours("Fri-Mon 10:00-12:00 UTC").days == frozenset({4, 5, 6, 0})


def test_parsing_is_case_and_space_tolerant_and_round_trips() -> None:
    hours = parse_business_hours("  mon-WED,friday   9:00-17:30   Europe/Paris ")
    assert hours.days == frozenset({0, 1, 2, 4})
    assert hours.start == time(9) and hours.end == time(17, 30)
    assert parse_business_hours(hours.describe()) == hours
    assert hours.describe() == "Mon,Tue,Wed,Fri 09:00-17:30 Europe/Paris"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not in the form"),
        ("Mon-Fri", "not in the form"),
        ("Mon-Fri 9-18 UTC", "not in the form"),
        ("Mon-Fri 09:00-18:00", "not in the form"),
        ("Mon-Fry 09:00-18:00 UTC", "unknown day 'Fry'"),
        ("Mon,,Fri 09:00-18:00 UTC", "empty day"),
        ("Mon-Fri 18:00-09:00 UTC", "end after they start"),
        ("Mon-Fri 09:00-09:00 UTC", "end after they start"),
        ("Mon-Fri 09:00-24:00 UTC", "not a time of day"),
        ("Mon-Fri 09:61-18:00 UTC", "not a time of day"),
        ("Mon-Fri 09:00-18:00 Mars/Olympus_Mons", "unknown time zone"),
        ("Mon-Fri 09:00-18:00 /etc/passwd", "unknown time zone"),
        ("Mon-Fri 09:00-18:00 Europe", "unknown time zone"),
    ],
)
def test_bad_business_hours_raise_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_business_hours(text)


def test_business_hours_validate_when_built_directly() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        BusinessHours(frozenset(), time(9), time(17), ZoneInfo("UTC"))
    with pytest.raises(ValueError, match="non-empty"):
        BusinessHours(frozenset({7}), time(9), time(17), ZoneInfo("UTC"))
    with pytest.raises(ValueError, match="end after"):
        BusinessHours(frozenset({0}), time(17), time(9), ZoneInfo("UTC"))


# --- add_business_time -------------------------------------------------------------------------------


def test_without_hours_the_clock_is_wall_clock_and_the_result_is_utc() -> None:
    start = datetime(2026, 1, 10, 23, 0, tzinfo=ZoneInfo("America/New_York"))  # a Saturday night
    result = add_business_time(start, timedelta(hours=2), None)
    assert result == datetime(2026, 1, 11, 6, 0, tzinfo=UTC)
    assert result.tzinfo == UTC


def test_inside_hours_it_is_a_plain_add() -> None:
    assert add_business_time(at(MON, 10), timedelta(hours=2), LONDON) == at(MON, 12)


def test_before_opening_the_clock_waits_for_nine() -> None:
    assert add_business_time(at(MON, 7), timedelta(minutes=30), LONDON) == at(MON, 9, 30)


def test_after_closing_the_clock_runs_from_next_mornings_opening() -> None:
    assert add_business_time(at(MON, 19), timedelta(hours=2), LONDON) == at(MON + timedelta(days=1), 11)


def test_running_out_exactly_at_closing_is_due_at_closing() -> None:
    assert add_business_time(at(MON, 16), timedelta(hours=2), LONDON) == at(MON, 18)


def test_spans_the_night() -> None:
    # 1 h left on Monday, 2 h on Tuesday.
    assert add_business_time(at(MON, 17), timedelta(hours=3), LONDON) == at(MON + timedelta(days=1), 11)


def test_friday_afternoon_spans_the_weekend() -> None:
    friday = MON + timedelta(days=4)
    next_monday = MON + timedelta(days=7)
    assert add_business_time(at(friday, 17), timedelta(hours=2), LONDON) == at(next_monday, 10)


def test_a_ticket_filed_on_saturday_starts_on_monday_morning() -> None:
    saturday = MON + timedelta(days=5)
    next_monday = MON + timedelta(days=7)
    assert add_business_time(at(saturday, 12), timedelta(minutes=45), LONDON) == at(next_monday, 9, 45)


def test_multi_day_targets_count_only_business_hours() -> None:
    # 48 business hours at 9 a day: Monday to Friday (45 h), then 3 h into the next Monday.
    assert add_business_time(at(MON, 9), timedelta(days=2), LONDON) == at(MON + timedelta(days=7), 12)


def test_spring_forward_weekend_moves_the_window_an_hour_earlier_in_utc() -> None:
    # UK clocks go forward on Sunday 2026-03-29: Friday 17:00 GMT is 17:00 UTC; Monday 09:00 BST is 08:00 UTC.
    friday = datetime(2026, 3, 27, 17, 0, tzinfo=UTC)
    due = add_business_time(friday, timedelta(hours=2), LONDON)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert due.astimezone(ZoneInfo("Europe/London")).hour == 10  # 1 h Friday + 1 h from the 09:00 BST opening


def test_fall_back_weekend_moves_the_window_an_hour_later_in_utc() -> None:
    # UK clocks go back on Sunday 2026-10-25: Friday 17:00 BST is 16:00 UTC; Monday 09:00 GMT is 09:00 UTC.
    friday = datetime(2026, 10, 23, 16, 0, tzinfo=UTC)
    assert add_business_time(friday, timedelta(hours=2), LONDON) == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_a_window_containing_the_dst_change_counts_real_elapsed_time() -> None:
    # Open 00:00-06:00 on Sundays; on 2026-03-29 London skips 01:00-02:00, so that window is 5 real hours.
    night = parse_business_hours("Sun 00:00-06:00 Europe/London")
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 00:00 GMT
    assert add_business_time(start, timedelta(hours=5), night) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    # The 6th hour is not there this Sunday: the clock resumes next Sunday at 00:00 BST (23:00 UTC Saturday).
    assert add_business_time(start, timedelta(hours=6), night) == datetime(2026, 4, 5, 0, 0, tzinfo=UTC)


def test_sun_to_thu_hours_skip_the_friday_saturday_weekend() -> None:
    jerusalem = parse_business_hours("Sun-Thu 09:00-17:00 Asia/Jerusalem")
    thursday_4pm_local = datetime(2026, 1, 8, 14, 0, tzinfo=UTC)  # 16:00 IST (UTC+2)
    assert add_business_time(thursday_4pm_local, timedelta(hours=2), jerusalem) == datetime(
        2026, 1, 11, 8, 0, tzinfo=UTC
    )  # Sunday 10:00 IST


def test_the_local_day_decides_not_the_utc_day() -> None:
    new_york = parse_business_hours("Mon-Fri 09:00-17:00 America/New_York")
    monday_2am_utc = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Sunday 21:00 in New York
    assert add_business_time(monday_2am_utc, timedelta(hours=1), new_york) == datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def test_zero_duration_is_the_start_and_negative_or_naive_input_is_refused() -> None:
    saturday = MON + timedelta(days=5)
    assert add_business_time(saturday, timedelta(0), LONDON) == saturday
    with pytest.raises(ValueError, match="negative"):
        add_business_time(MON, timedelta(minutes=-1), LONDON)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(datetime(2026, 1, 5, 10), timedelta(hours=1), LONDON)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    first=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    second=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)
def test_adding_in_two_steps_equals_adding_at_once(start: datetime, first: timedelta, second: timedelta) -> None:
    at_once = add_business_time(start, first + second, LONDON)
    in_steps = add_business_time(add_business_time(start, first, LONDON), second, LONDON)
    assert at_once == in_steps
    assert at_once >= start + first + second  # business time never runs faster than the wall clock
    local = at_once.astimezone(LONDON.tz)
    if first + second > timedelta(0):
        assert local.weekday() < 5 and time(9) < local.time() <= time(18)


# --- sla_deadlines -----------------------------------------------------------------------------------


def test_critical_ignores_business_hours() -> None:
    friday_night = at(MON + timedelta(days=4), 20)
    target = SEVERITY_LEVELS[Severity.CRITICAL].default_first_response
    deadlines = sla_deadlines(friday_night, target, Severity.CRITICAL, LONDON)
    assert deadlines == SlaDeadlines(
        warn_at=at(friday_night, 20, 22) + timedelta(seconds=30), due_at=at(friday_night, 20, 30)
    )


def test_high_uses_business_hours_over_the_weekend() -> None:
    friday = MON + timedelta(days=4)
    next_monday = MON + timedelta(days=7)
    deadlines = sla_deadlines(at(friday, 17), timedelta(hours=2), Severity.HIGH, LONDON)
    # 75% of 2 h is 1 h 30 min: 1 h on Friday, 30 min on Monday morning.
    assert deadlines == SlaDeadlines(warn_at=at(next_monday, 9, 30), due_at=at(next_monday, 10))


def test_warning_is_at_75_percent_of_business_time_which_can_fall_on_another_day() -> None:
    # Medium, 8 h, created Monday 12:00 with 09-18 hours: 6 h takes it to 18:00, 8 h to Tuesday 11:00.
    deadlines = sla_deadlines(at(MON, 12), timedelta(hours=8), Severity.MEDIUM, UTC_HOURS)
    assert deadlines.warn_at == at(MON, 18)
    assert deadlines.due_at == at(MON + timedelta(days=1), 11)


def test_without_business_hours_every_severity_is_wall_clock() -> None:
    for severity, level in SEVERITY_LEVELS.items():
        target = level.default_first_response
        deadlines = sla_deadlines(MON, target, severity, None)
        assert deadlines.due_at == MON + target
        assert deadlines.warn_at == MON + target * 3 / 4


# --- sla_state ---------------------------------------------------------------------------------------


def test_due_while_no_response_and_before_the_deadline() -> None:
    state = sla_state(created_at=at(MON, 10), first_response_at=None, due_at=at(MON, 12), now=at(MON, 11, 35))
    assert (state.kind, state.text, state.breached) == (SlaKind.DUE, "first response due in 25 min", False)


def test_overdue_once_the_deadline_passes_without_a_response() -> None:
    state = sla_state(created_at=at(MON, 10), first_response_at=None, due_at=at(MON, 12), now=at(MON, 13, 5))
    assert (state.kind, state.text, state.breached) == (SlaKind.OVERDUE, "overdue by 1 h 5 min", True)
    at_deadline = sla_state(created_at=at(MON, 10), first_response_at=None, due_at=at(MON, 12), now=at(MON, 12))
    assert (at_deadline.kind, at_deadline.text) == (SlaKind.OVERDUE, "overdue")  # not "overdue by 0 s"
    a_minute_on = sla_state(created_at=at(MON, 10), first_response_at=None, due_at=at(MON, 12), now=at(MON, 12, 1))
    assert a_minute_on.text == "overdue by 1 min"


def test_responded_in_time_including_exactly_at_the_deadline() -> None:
    state = sla_state(created_at=at(MON, 10), first_response_at=at(MON, 10, 12), due_at=at(MON, 12), now=at(MON, 15))
    assert (state.kind, state.text, state.breached) == (SlaKind.RESPONDED, "responded in 12 min", False)
    on_the_dot = sla_state(created_at=at(MON, 10), first_response_at=at(MON, 12), due_at=at(MON, 12), now=at(MON, 15))
    assert on_the_dot.kind == SlaKind.RESPONDED


def test_responded_late() -> None:
    state = sla_state(created_at=at(MON, 10), first_response_at=at(MON, 13), due_at=at(MON, 12), now=at(MON, 14))
    assert (state.kind, state.text, state.breached) == (SlaKind.RESPONDED_LATE, "responded in 3 h (late)", True)


def test_sla_state_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        sla_state(created_at=MON, first_response_at=None, due_at=MON, now=datetime(2026, 1, 5))


# --- critical_update_due -----------------------------------------------------------------------------


def test_critical_update_is_due_after_the_last_staff_message() -> None:
    assert critical_update_due(at(MON, 11), at(MON, 10), timedelta(minutes=30)) == at(MON, 11, 30)


def test_critical_update_counts_from_creation_when_staff_have_not_written() -> None:
    assert critical_update_due(None, at(MON, 10), timedelta(hours=1)) == at(MON, 11)


def test_critical_update_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        critical_update_due(None, MON, timedelta(0))
