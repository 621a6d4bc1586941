"""The intake rule (tickets/intake.py): what is noise, and when a message joins a conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tickets.intake import IntakeMode, is_noise, joins_conversation
from tickets.slack_text import plain_text


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "Thank you so much :pray:",
        "ty",
        "ok",
        "OK 👍",
        "got it",
        "Got it, cheers",
        "+1",
        "-1",
        ":tada:",
        ":+1::skin-tone-3:",
        "🙏🙏",
        "sounds good, will do",
        "hi team",
        "@alice thanks!",
        "",
        "   ",
        "\u200b",
        "...",
    ],
)
def test_pleasantries_and_acknowledgements_are_noise(text: str) -> None:
    assert is_noise(text)


@pytest.mark.parametrize(
    "text",
    [
        "Our dashboard is broken",
        "ok?",
        "??",
        "?",
        "@alice",
        "@here :eyes:",
        "thanks, but the export still fails",
        "1",
        "still not working",
        "https://eu.posthog.com/project/1",
        "#incidents ok",
        "спасибо",
        "thanks a lot for the help with the dashboard today really",
        "File: screenshot.png",
        "help",
    ],
)
def test_anything_with_content_is_substantive(text: str) -> None:
    assert not is_noise(text)


def test_noise_reads_plain_text_of_slacks_wire_format() -> None:
    assert is_noise(plain_text("<@U0ALICE> thanks!"))
    assert not is_noise(plain_text("&lt;script&gt; in the title"))
    assert not is_noise(plain_text("<https://example.com|our docs> are wrong"))


def test_messages_group_within_the_window_only() -> None:
    first = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    window = timedelta(minutes=2)
    assert joins_conversation(first, first + timedelta(seconds=119), window)
    assert joins_conversation(first, first + window, window)
    assert not joins_conversation(first, first + window + timedelta(seconds=1), window)
    assert joins_conversation(first, first - timedelta(seconds=5), window)  # delivered out of order
    assert not joins_conversation(None, first, window)


def test_intake_modes_are_the_three_the_issue_names() -> None:
    assert [mode.value for mode in IntakeMode] == ["all", "ask", "explicit"]
