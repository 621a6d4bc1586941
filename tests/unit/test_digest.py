"""The weekly digest from plain rows, and its Block Kit message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tickets.digest import (
    CustomerActivity,
    DigestOnboarding,
    DigestTicket,
    build_digest,
    median_duration,
)
from tickets.severity import Severity
from ui.digest import build_digest_message

SINCE = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday
UNTIL = SINCE + timedelta(days=7)
MIN = timedelta(minutes=1)


def ticket(
    number: int,
    *,
    channel: str = "C0ACME",
    name: str = "Acme",
    severity: Severity = Severity.HIGH,
    created: datetime = SINCE + timedelta(days=1),
    responded_after: timedelta | None = None,
    resolved: datetime | None = None,
    breached: bool = False,
) -> DigestTicket:
    first = created + responded_after if responded_after is not None else None
    return DigestTicket(number, channel, name, severity, created, first, resolved, breached)


def onboarding(
    channel: str, company: str, settled: int, last_change: datetime | None, started: datetime | None = None
) -> DigestOnboarding:
    return DigestOnboarding(channel, company, started or SINCE - timedelta(days=60), settled, 5, last_change)


def test_median_duration_odd_even_and_empty() -> None:
    assert median_duration([3 * MIN, MIN, 2 * MIN]) == 2 * MIN
    assert median_duration([MIN, 4 * MIN, 2 * MIN, 10 * MIN]) == 3 * MIN
    assert median_duration([]) is None


def test_opened_and_resolved_per_customer_inside_the_window_only() -> None:
    rows = [
        ticket(1),
        ticket(2, resolved=SINCE + timedelta(days=2)),
        ticket(3, created=SINCE - timedelta(days=3), resolved=SINCE + timedelta(hours=1)),  # opened last week
        ticket(4, created=SINCE - timedelta(seconds=1)),  # just before the window
        ticket(5, created=UNTIL),  # the window is end-exclusive
        ticket(6, channel="C0BETA", name="Beta", created=SINCE),  # start-inclusive
        ticket(7, channel="C0GAMMA", name="Gamma", created=SINCE - timedelta(days=9)),  # nothing this week
    ]
    digest = build_digest(rows, [], since=SINCE, until=UNTIL)
    assert digest.customers == (
        CustomerActivity("C0ACME", "Acme", opened=2, resolved=2),
        CustomerActivity("C0BETA", "Beta", opened=1, resolved=0),
    )
    assert (digest.opened, digest.resolved) == (3, 2)


def test_customer_name_is_the_latest_one_seen() -> None:
    rows = [
        ticket(1, name="Acme", created=SINCE + timedelta(hours=1)),
        ticket(2, name="Acme Corp", created=SINCE + timedelta(hours=5)),
        ticket(3, name="", created=SINCE + timedelta(hours=9)),
    ]
    assert build_digest(rows, [], since=SINCE, until=UNTIL).customers[0].customer_name == "Acme Corp"


def test_median_first_response_per_severity_and_none_when_nothing_was_answered() -> None:
    rows = [
        ticket(1, severity=Severity.CRITICAL, responded_after=10 * MIN),
        ticket(2, severity=Severity.CRITICAL, responded_after=20 * MIN),
        ticket(3, severity=Severity.HIGH, responded_after=30 * MIN),
        ticket(4, severity=Severity.HIGH, responded_after=90 * MIN),
        ticket(5, severity=Severity.HIGH, responded_after=60 * MIN),
        ticket(6, severity=Severity.MEDIUM),  # not answered yet
        # Answered after the window closes: not known at `until`, left out.
        ticket(7, severity=Severity.LOW, created=UNTIL - MIN, responded_after=5 * MIN),
        # Opened before the window: its response belongs to last week's numbers.
        ticket(8, severity=Severity.LOW, created=SINCE - timedelta(days=1), responded_after=timedelta(days=1, hours=1)),
    ]
    digest = build_digest(rows, [], since=SINCE, until=UNTIL)
    assert list(digest.median_first_response) == [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]
    assert digest.median_first_response == {
        Severity.CRITICAL: 15 * MIN,
        Severity.HIGH: 60 * MIN,
        Severity.MEDIUM: None,
        Severity.LOW: None,
    }
    assert digest.responses_counted == {Severity.CRITICAL: 2, Severity.HIGH: 3, Severity.MEDIUM: 0, Severity.LOW: 0}


def test_breaches_count_tickets_opened_in_the_window_with_their_numbers() -> None:
    rows = [
        ticket(12, breached=True),
        ticket(3, breached=True),
        ticket(4),
        ticket(9, breached=True, created=SINCE - timedelta(days=2)),  # last week's breach
    ]
    digest = build_digest(rows, [], since=SINCE, until=UNTIL)
    assert digest.breach_count == 2
    assert digest.breached_numbers == (3, 12)


def test_stalled_onboardings_are_unfinished_and_idle_for_the_threshold() -> None:
    rows = [
        onboarding("C1", "Idle", 2, UNTIL - timedelta(days=20)),
        onboarding("C2", "Busy", 3, UNTIL - timedelta(days=2)),
        onboarding("C3", "Done long ago", 5, UNTIL - timedelta(days=40)),
        onboarding("C4", "Never moved", 0, None, started=UNTIL - timedelta(days=30)),
        onboarding("C5", "Exactly 14 days", 1, UNTIL - timedelta(days=14)),
        onboarding("C6", "Almost", 1, UNTIL - timedelta(days=14) + MIN),
        onboarding("C7", "Started later", 0, None, started=UNTIL + timedelta(days=1)),
    ]
    digest = build_digest([], rows, since=SINCE, until=UNTIL)
    assert [(s.onboarding.company, s.idle_for) for s in digest.stalled] == [
        ("Never moved", timedelta(days=30)),
        ("Idle", timedelta(days=20)),
        ("Exactly 14 days", timedelta(days=14)),
    ]
    shorter = build_digest([], rows, since=SINCE, until=UNTIL, stalled_after=timedelta(days=1))
    assert {s.onboarding.channel_id for s in shorter.stalled} == {"C1", "C2", "C4", "C5", "C6"}


def test_digest_refuses_an_empty_window_or_threshold() -> None:
    with pytest.raises(ValueError, match="window"):
        build_digest([], [], since=UNTIL, until=SINCE)
    with pytest.raises(ValueError, match="stalled_after"):
        build_digest([], [], since=SINCE, until=UNTIL, stalled_after=timedelta(0))


# --- the message -------------------------------------------------------------------------------------


def _section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def test_digest_message_shows_totals_medians_breaches_and_stalled() -> None:
    rows = [
        ticket(1, severity=Severity.CRITICAL, responded_after=10 * MIN, breached=True),
        ticket(2, resolved=SINCE + timedelta(days=3), responded_after=2 * timedelta(hours=1)),
    ]
    stalled = [onboarding("C0SLOW", "Slow Co", 2, UNTIL - timedelta(days=21))]
    text, blocks = build_digest_message(build_digest(rows, stalled, since=SINCE, until=UNTIL), {})
    assert text == (
        "Weekly support digest (2026-11-02 to 2026-11-09): 2 opened, 1 resolved, 1 SLA breaches, 1 stalled onboardings"
    )
    body = "\n".join(_section_texts(blocks))
    assert ":red_circle: Critical: 10 min (1 answered)" in body
    assert ":white_circle: Low: no responses" in body
    assert "*Acme* <#C0ACME>: 2 opened, 1 resolved" in body
    assert "*SLA breaches* (1)\n#1" in body
    assert "*Slow Co* <#C0SLOW>: `▓▓░░░ 2/5`, no change for 21 d" in body


def test_digest_message_names_customers_from_channel_names_and_escapes_them() -> None:
    rows = [ticket(1, channel="C0EVIL", name="<!channel> & Co"), ticket(2, channel="C0NONAME", name="")]
    stalled = [onboarding("C0EVIL", "<!here> Ltd", 0, None)]
    text, blocks = build_digest_message(
        build_digest(rows, stalled, since=SINCE, until=UNTIL), {"C0NONAME": "<@U123> named channel"}
    )
    payload = json.dumps(blocks) + text
    assert "<!channel>" not in payload and "<!here>" not in payload and "<@U123>" not in payload
    body = "\n".join(_section_texts(blocks))
    assert "*&lt;!channel&gt; &amp; Co* <#C0EVIL>" in body
    assert "*&lt;@U123&gt; named channel* <#C0NONAME>" in body
    assert "*&lt;!here&gt; Ltd*" in body


def test_a_quiet_week_still_reads_well() -> None:
    text, blocks = build_digest_message(build_digest([], [], since=SINCE, until=UNTIL), {})
    body = "\n".join(_section_texts(blocks))
    assert "0 opened" in text
    assert "No tickets opened or resolved this week." in body
    assert "None this week." in body
    assert "every onboarding is moving" in body


def test_a_huge_week_stays_within_slack_limits() -> None:
    rows = [
        ticket(n, channel=f"C{n % 1000:05d}", name=f"Customer <{n % 1000}> " + "x" * 60, breached=n % 3 == 0)
        for n in range(1, 5001)
    ]
    stalled = [onboarding(f"C{n:05d}", f"Company {n} " + "&" * 100, 1, None) for n in range(400)]
    text, blocks = build_digest_message(build_digest(rows, stalled, since=SINCE, until=UNTIL), {})
    assert text
    assert len(blocks) <= 50
    for section in _section_texts(blocks):
        assert len(section) <= 3000
    body = "\n".join(_section_texts(blocks))
    assert "more customers_" in body
    assert "more onboardings_" in body
    assert "_…and 1,466 more_" in body  # 1,666 breaches, 200 listed
