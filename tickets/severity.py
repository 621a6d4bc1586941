"""The four severity levels customers pick from, with their impact and examples.

Adapted from the severity table in PostHog's support options: the level tells the team how hard
the problem hits the customer, and so how fast a first answer is owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class SeverityLevel:
    severity: Severity
    label: str
    emoji: str
    impact: str
    examples: tuple[str, ...]
    default_first_response: timedelta


SEVERITY_LEVELS: dict[Severity, SeverityLevel] = {
    level.severity: level
    for level in (
        SeverityLevel(
            Severity.CRITICAL,
            "Critical",
            ":red_circle:",
            "PostHog is down for you, or the business impact is severe",
            ("the app won't load", "the feature flags API is not answering", "data was lost", "a security breach"),
            timedelta(minutes=30),
        ),
        SeverityLevel(
            Severity.HIGH,
            "High",
            ":large_orange_circle:",
            "A key feature is unavailable: a major inconvenience",
            (
                "dashboards won't load",
                "session replays won't load",
                "ingestion is running late",
                "flags target the wrong users",
            ),
            timedelta(hours=2),
        ),
        SeverityLevel(
            Severity.MEDIUM,
            "Medium",
            ":large_yellow_circle:",
            "Something is wrong, but the impact is limited",
            ("insights load slowly", "replays are missing some information"),
            timedelta(hours=8),
        ),
        SeverityLevel(
            Severity.LOW,
            "Low",
            ":white_circle:",
            "Little effect on using the product",
            ("a feature request", "a question about how to use something"),
            timedelta(days=2),
        ),
    )
}


def parse_severity(value: str | None) -> Severity | None:
    """The severity named by `value` (case-insensitive), or None if it names none."""
    if not value:
        return None
    try:
        return Severity(value.strip().lower())
    except ValueError:
        return None
