"""When triage cards become a summary (outbox/batching.py `place`): a specification, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from outbox.batching import (
    BURST_THRESHOLD,
    STAY_OPEN,
    SUMMARY_MAX_ITEMS,
    SUMMARY_UPDATE_EVERY,
    LatestSummary,
    Placement,
    place,
    update_bucket,
)

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _latest(items: int = 3, ago: timedelta = timedelta(seconds=1), seq: int = 4) -> LatestSummary:
    return LatestSummary(id=17, seq=seq, items=items, last_joined_at=NOW - ago)


def test_normal_load_gets_one_card_per_ticket() -> None:
    assert place(1, None, NOW) is None
    assert place(BURST_THRESHOLD - 1, None, NOW) is None
    # An old summary (a burst long gone) does not pull new tickets in.
    assert place(1, _latest(ago=STAY_OPEN + timedelta(seconds=1)), NOW) is None


def test_a_burst_opens_the_first_summary_then_the_next() -> None:
    assert place(BURST_THRESHOLD, None, NOW) == Placement(None, 1)
    stale = _latest(ago=STAY_OPEN + timedelta(seconds=1))
    assert place(BURST_THRESHOLD, stale, NOW) == Placement(None, 5)


def test_a_summary_still_taking_items_takes_the_next_even_when_the_queue_is_short() -> None:
    assert place(1, _latest(), NOW) == Placement(17, 4)
    assert place(BURST_THRESHOLD + 10, _latest(), NOW) == Placement(17, 4)
    assert place(1, _latest(ago=STAY_OPEN), NOW) == Placement(17, 4)


def test_a_full_summary_is_followed_by_a_new_one() -> None:
    assert place(1, _latest(items=SUMMARY_MAX_ITEMS - 1), NOW) == Placement(17, 4)
    assert place(1, _latest(items=SUMMARY_MAX_ITEMS), NOW) == Placement(None, 5)


def test_updates_coalesce_into_buckets() -> None:
    step = SUMMARY_UPDATE_EVERY
    start = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
    assert update_bucket(start) == update_bucket(start + step * 0.9)
    assert update_bucket(start + step) == update_bucket(start) + 1
