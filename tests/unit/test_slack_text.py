"""Slack's wire format to plain text, blank text, and Slack-sized cuts (tickets/slack_text.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.rules import description_from_message, title_from_message, validate_ticket_fields
from tickets.slack_text import cut, is_blank, plain_text, slack_length, visible
from ui.blocks import escape_text, fit_escaped


def wire_escape(text: str) -> str:
    """What a Slack client sends for typed text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    ("wire", "written"),
    [
        ("A&amp;B &lt;= 5 &gt; 4", "A&B <= 5 > 4"),
        ("&amp;lt; is how you write <", "&lt; is how you write <"),
        ("see <https://a.example/x?a=1&amp;b=2|this insight>", "see this insight (https://a.example/x?a=1&b=2)"),
        ("<https://a.example/x>", "https://a.example/x"),
        ("<https://a.example|a.example>", "https://a.example"),
        ("<mailto:bob@example.com|bob@example.com>", "bob@example.com"),
        ("<mailto:bob@example.com|Bob>", "Bob (bob@example.com)"),
        ("cc <@UCUST2>", "cc @UCUST2"),
        ("cc <@U024BE7LH|bob>", "cc @bob"),
        ("in <#C123|general>", "in #general"),
        ("in <#C123>", "in #C123"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S1|@oncall>", "@oncall"),
        ("<!subteam^S1>", "@S1"),
        ("<!date^1392734382^{date_num}|2014-02-18 6:39 AM>", "2014-02-18 6:39 AM"),
        ("", ""),
    ],
)
def test_wire_format_becomes_what_the_person_wrote(wire: str, written: str) -> None:
    assert plain_text(wire) == written


def test_a_name_lookup_names_mentioned_users() -> None:
    names = {"UCUST2": "Dana"}.get
    assert plain_text("cc <@UCUST2> and <@U9>", names) == "cc @Dana and @U9"


@given(st.text())
def test_decoding_what_a_client_encoded_gives_back_the_text(text: str) -> None:
    assert plain_text(wire_escape(text)) == text


_TOKENS = st.sampled_from(
    ["<@U123>", "<@U1|bob>", "<!here>", "<!channel>", "<!everyone>", "<!subteam^S1|@team>", "<!subteam^S2>",
     "<#C1|general>", "<https://x.example/a?b=1&amp;c=2|label>", "<https://x.example>", "<!date^1^{date}|today>"]
)  # fmt: skip


@given(st.lists(st.one_of(_TOKENS, st.text().filter(lambda t: "<" not in t).map(wire_escape)), max_size=12))
def test_tokens_never_survive_as_pings_or_links(parts: list[str]) -> None:
    written = plain_text("".join(parts))
    for ping in ("<@", "<!", "<#", "<http"):
        assert ping not in written


@given(st.text())
def test_decoded_then_escaped_text_is_inert(wire: str) -> None:
    assert "<" not in escape_text(plain_text(wire)) and ">" not in escape_text(plain_text(wire))


@pytest.mark.parametrize("text", ["", "  \n\t", "\u200b", "\u200d\u2060\ufeff", "\u200e\u200f \u3164 \u2800"])
def test_text_of_only_invisible_characters_is_blank(text: str) -> None:
    assert is_blank(text) and visible(text) == ""


def test_visible_text_is_kept() -> None:
    assert not is_blank("\u200b.\u200b") and visible("\u200b hi 👋\u200d\ufeff") == "hi 👋"


def test_a_blank_title_is_missing_and_a_blank_message_gets_a_title() -> None:
    assert "title" in validate_ticket_fields("\u200b\u2060", None)
    assert title_from_message("\u200b\n\ufeff\u200d\nReal line\u200b") == "Real line"
    assert title_from_message("\u200b\u200b") == "Ticket from a message"
    assert description_from_message("\u200b \u2060") == ""


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("abcdefghij&amp;", 13, "abcdefghij…"),  # not inside the entity
        ("abcdefghij&amp;x", 16, "abcdefghij&amp;x"),
        ("ab👍🏽cd", 4, "ab…"),  # not between the emoji and its skin tone
        ("a👩\u200d💻b", 4, "a…"),  # not inside a ZWJ sequence
        ("🇫🇷🇩🇪", 6, "🇫🇷…"),  # not between the two halves of a flag
        ("see <#C1> now", 7, "see…"),  # not inside a <…> token
    ],
)
def test_cut_keeps_entities_tokens_and_graphemes_whole(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected


def test_an_emoji_outside_the_bmp_counts_two() -> None:
    assert slack_length("👍") == 2 and slack_length("é") == 1


@given(st.text(), st.integers(min_value=1, max_value=400))
def test_fit_escaped_is_within_the_limit_after_escaping(text: str, limit: int) -> None:
    fitted = fit_escaped(text, limit)
    assert slack_length(fitted) <= limit
    assert fitted == escape_text(text) or fitted.endswith("…")
    head = fitted.removesuffix("…")
    assert escape_text(text).startswith(head)
    if "&" in head:  # the last entity is whole
        assert head[head.rindex("&") :].startswith(("&amp;", "&lt;", "&gt;"))


def test_ampersands_are_measured_after_escaping() -> None:
    link = ("a=1&" * 185).ljust(2000, "x")
    assert slack_length(fit_escaped(link, 2900)) == 2000 + 185 * 4
    dense = "&" * 2000
    fitted = fit_escaped(dense, 2900)
    assert slack_length(fitted) <= 2900 and fitted.endswith("&amp;…") and "&amp;amp;" not in fitted
