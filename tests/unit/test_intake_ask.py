"""Ask mode's question (ui.blocks.build_ask_to_track) and the value its buttons carry, and how
`/ticket`'s text is read as staff's intake control."""

from __future__ import annotations

import pytest

from fakeslack.rules import BUTTON_VALUE_MAX, message_errors
from handlers.commands import intake_control
from tickets.slack_text import slack_length
from ui import ids
from ui.blocks import AskedMessage, build_ask_to_track


def test_the_asked_message_travels_in_the_button_value() -> None:
    asked = AskedMessage("U0CUST", "1700000000.000100", 'Exports "fail"\nsince 9am & <later>')
    assert AskedMessage.decode(asked.encode()) == asked


@pytest.mark.parametrize("unit", ["a", "é", "🎉", '"', "x\n", "\\"])
def test_a_long_text_is_cut_to_fit_slacks_value_limit(unit: str) -> None:
    asked = AskedMessage("U0CUST", "1700000000.000100", "Exports fail " + unit * 5000)
    value = asked.encode()
    assert slack_length(value) <= 1900 < BUTTON_VALUE_MAX
    decoded = AskedMessage.decode(value)
    assert decoded is not None and decoded.text.startswith("Exports fail") and decoded.text.endswith("…")
    assert slack_length(value) > 1850  # cut no shorter than it must be
    assert (decoded.author_id, decoded.ts) == (asked.author_id, asked.ts)


@pytest.mark.parametrize(
    "raw", [None, "", "not json", "[]", '{"u": "U1"}', '{"u": "", "m": "1.2"}', '{"u": 1, "m": "1"}']
)
def test_a_value_we_did_not_build_decodes_to_nothing(raw: str | None) -> None:
    assert AskedMessage.decode(raw) is None


def test_the_question_has_open_ticket_and_no_thanks_and_slack_accepts_it() -> None:
    text, blocks = build_ask_to_track(AskedMessage("U0CUST", "1.000100", "x" * 4000))
    assert text.startswith("Track this as a ticket?")
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [ids.ASK_OPEN_TICKET, ids.ASK_NO_THANKS]
    assert AskedMessage.decode(actions["elements"][1]["value"]) == AskedMessage("U0CUST", "1.000100")
    assert message_errors({"channel": "C1", "user": "U0CUST", "text": text, "blocks": blocks}) is None


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("intake", (True, None)),
        ("  Intake   ask ", (True, "ask")),
        ("intake sometimes", (True, "sometimes")),
        ("intake form rejects emails", (False, None)),
        ("exports fail", (False, None)),
        ("", (False, None)),
    ],
)
def test_ticket_text_is_the_intake_control_only_as_intake_and_one_word(text: str, read: tuple) -> None:
    assert intake_control(text) == read
