"""A conversation's Block Kit (ui/blocks.py, issue 16): its triage card and buttons, the author's
private "heard" note, the customer's severity picker and its thank-you, all within Slack's limits
(checked with the strict stub's own rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fakeslack.rules import message_errors, view_errors
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui import ids
from ui.blocks import (
    ModalContext,
    build_customer_severity_modal,
    build_heard_note,
    build_severity_modal,
    build_severity_set_view,
    build_ticket_actions,
    build_triage_mirror,
    build_triage_note,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LINK = "https://acme.slack.com/archives/C1/p1700000000000100"


def _conversation(
    status: Status = Status.NEW, severity: Severity | None = None, title: str = "Funnel empty"
) -> TicketInfo:
    return TicketInfo(
        number=12,
        channel_id="C1",
        severity=severity,  # type: ignore[arg-type]  # a conversation has none until someone sets one
        title=title,
        description="",
        reporter_id="U1",
        status=status,
        assignee_id=None,
        created_at=T0,
        first_response_at=None,
    )


def _ids(block: dict) -> list[str]:
    return [e["action_id"] for e in block["elements"]]


def test_a_new_conversation_offers_take_set_severity_not_a_ticket_and_resolve() -> None:
    block = build_ticket_actions(_conversation(), conversation=True)
    assert _ids(block) == [
        ids.TICKET_TAKE,
        ids.TICKET_SET_SEVERITY,
        ids.TICKET_WAITING,
        ids.TICKET_RESOLVE,
        ids.TICKET_NOT_A_TICKET,
        ids.TICKET_REASSIGN,
    ]
    assert {e.get("value") for e in block["elements"] if e["type"] == "button"} == {"12"}


def test_once_it_has_a_severity_the_menu_changes_it_and_not_a_ticket_stays() -> None:
    block = build_ticket_actions(_conversation(Status.IN_PROGRESS, Severity.HIGH), conversation=True)
    assert ids.TICKET_SET_SEVERITY not in _ids(block)
    assert ids.TICKET_MORE in _ids(block) and ids.TICKET_NOT_A_TICKET in _ids(block)


def test_a_filed_ticket_has_neither_set_severity_nor_not_a_ticket() -> None:
    block = build_ticket_actions(_conversation(Status.OPEN, Severity.LOW))
    assert ids.TICKET_SET_SEVERITY not in _ids(block) and ids.TICKET_NOT_A_TICKET not in _ids(block)


def test_not_a_ticket_asks_for_confirmation_within_slacks_limits() -> None:
    block = build_ticket_actions(_conversation(), conversation=True)
    [button] = [e for e in block["elements"] if e["action_id"] == ids.TICKET_NOT_A_TICKET]
    confirm = button["confirm"]
    assert len(confirm["title"]["text"]) <= 100 and len(confirm["text"]["text"]) <= 300
    assert len(confirm["confirm"]["text"]) <= 30 and len(confirm["deny"]["text"]) <= 30


def test_the_triage_card_of_a_conversation_links_the_customers_message() -> None:
    text, blocks = build_triage_mirror(_conversation(), LINK, conversation=True)
    assert text == "No severity yet conversation #12: Funnel empty"
    assert f"<{LINK}|Open the customer's message>" in blocks[-1]["elements"][0]["text"]
    assert message_errors({"text": text, "blocks": blocks}) is None


def test_a_conversation_with_a_severity_is_still_called_a_conversation() -> None:
    text, blocks = build_triage_mirror(_conversation(Status.IN_PROGRESS, Severity.HIGH), LINK, conversation=True)
    assert text == "High conversation #12: Funnel empty"
    assert ids.TICKET_NOT_A_TICKET in _ids(next(b for b in blocks if b["type"] == "actions"))


def test_closed_as_noise_the_card_says_so_and_offers_no_buttons() -> None:
    text, blocks = build_triage_mirror(_conversation(Status.NOISE), LINK, conversation=True)
    assert [b["type"] for b in blocks] == ["section", "section", "context"]
    assert "*Status*\nNot a ticket" in [f["text"] for f in blocks[1]["fields"]]
    context = blocks[-1]["elements"][0]["text"]
    assert context.startswith(":no_entry_sign: Closed as not a ticket") and LINK in context


def test_a_conversations_card_fits_slack_with_a_huge_title() -> None:
    text, blocks = build_triage_mirror(_conversation(title="<!here> & " * 400), LINK * 3, conversation=True)
    assert message_errors({"text": text, "blocks": blocks}) is None
    assert "<!here>" not in text


def test_the_reopened_note_of_noise_says_it_is_open_again() -> None:
    assert "open again" in build_triage_note("reopened", _conversation(Status.NEW), user="U1")
    assert "back in progress" in build_triage_note("reopened", _conversation(Status.IN_PROGRESS), user="U1")


def test_staff_first_severity_form_needs_no_reason() -> None:
    view = build_severity_modal(_conversation(), "C0TRIAGE")
    reason = next(b for b in view["blocks"] if b["block_id"] == ids.SEVERITY_REASON_BLOCK)
    assert reason["optional"] is True and view["submit"]["text"] == "Set severity"
    assert "initial_option" not in view["blocks"][0]["element"]
    assert view_errors(view) == []
    later = build_severity_modal(_conversation(Status.IN_PROGRESS, Severity.HIGH), "C0TRIAGE")
    assert later["blocks"][1]["optional"] is False and later["submit"]["text"] == "Change severity"


def test_the_heard_note_has_a_set_severity_button_while_there_is_none() -> None:
    text, blocks = build_heard_note(12, None)
    assert "#12" in text
    [button] = [b["accessory"] for b in blocks if "accessory" in b]
    assert (button["action_id"], button["value"]) == (ids.CUSTOMER_SET_SEVERITY, "12")
    assert message_errors({"text": text, "blocks": blocks}) is None


def test_the_heard_note_has_no_button_once_a_severity_is_set() -> None:
    _, blocks = build_heard_note(12, Severity.LOW)
    assert [b for b in blocks if "accessory" in b] == []


def test_the_customer_picker_shows_the_four_levels_with_their_impact() -> None:
    view = build_customer_severity_modal(12, "C1")
    assert view["callback_id"] == ids.CUSTOMER_SEVERITY_MODAL
    assert ModalContext.decode(view["private_metadata"]) == ModalContext("C1", "customer_severity", "12")
    [picker] = [b for b in view["blocks"] if b["type"] == "input"]
    assert [o["value"] for o in picker["element"]["options"]] == ["critical", "high", "medium", "low"]
    assert all(o["description"]["text"] for o in picker["element"]["options"])
    assert view_errors(view) == []


@pytest.mark.parametrize("severity", list(Severity))
def test_the_thank_you_names_the_level_and_the_target(severity: Severity) -> None:
    view = build_severity_set_view(123456, severity, timedelta(hours=4))
    text = view["blocks"][0]["text"]["text"]
    assert "#123456" in text and "4 h" in text
    assert view_errors(view) == []
