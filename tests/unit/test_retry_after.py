"""How long a 429 / 503 answer makes the outbox wait (outbox/slack_errors.py parse_retry_after)."""

from __future__ import annotations

import pytest

from outbox.slack_errors import MAX_WAIT, MIN_WAIT, parse_retry_after


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30", 30.0), ("2.5", 2.5), (7, 7.0), ("0", MIN_WAIT), ("-5", MIN_WAIT), ("99999999", MAX_WAIT)],
)
def test_a_number_is_kept_within_bounds(raw: object, seconds: float) -> None:
    assert parse_retry_after(raw, default=None) == seconds


@pytest.mark.parametrize("raw", [None, "", "soon", "nan", "inf", "-inf", "Wed, 21 Oct 2026 07:28:00 GMT"])
def test_anything_else_is_the_default(raw: object) -> None:
    assert parse_retry_after(raw, default=1.0) == 1.0
    assert parse_retry_after(raw, default=None) is None
