"""Channel rules (tickets/channels.py) and the channel builders (ui/blocks.py): pure code tested
directly (the migration that adds channel state: tests/integration/test_channel_migration.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tickets.channels import ChannelState, JoinOutcome, on_bot_joined, on_shared, on_staff_choice, parse_state
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui.blocks import build_channel_choice_made, build_channel_gone_note, build_channel_question

CUSTOMER, PENDING, INTERNAL = ChannelState.CUSTOMER, ChannelState.PENDING, ChannelState.INTERNAL


@pytest.mark.parametrize(
    ("known", "shared", "expected"),
    [
        (None, True, JoinOutcome(CUSTOMER, welcome=True, ask=False)),
        (None, False, JoinOutcome(PENDING, welcome=False, ask=True)),
        (PENDING, False, JoinOutcome(PENDING, welcome=False, ask=True)),
        (CUSTOMER, False, JoinOutcome(CUSTOMER, welcome=True, ask=False)),  # staff chose before: stands
        (INTERNAL, True, JoinOutcome(INTERNAL, welcome=False, ask=False)),
        (INTERNAL, False, JoinOutcome(INTERNAL, welcome=False, ask=False)),
    ],
)
def test_joining_a_channel(known: ChannelState | None, shared: bool, expected: JoinOutcome) -> None:
    assert on_bot_joined(known, shared) == expected


def test_a_pending_channel_shared_with_another_org_becomes_a_customer_channel() -> None:
    assert on_shared(PENDING) == (CUSTOMER, True)
    assert on_shared(CUSTOMER) == (CUSTOMER, False)
    assert on_shared(INTERNAL) == (INTERNAL, False)  # staff's "internal" stands


def test_staff_choice_welcomes_once_and_refuses_pending() -> None:
    assert on_staff_choice(PENDING, CUSTOMER) == (CUSTOMER, True)
    assert on_staff_choice(CUSTOMER, CUSTOMER) == (CUSTOMER, False)
    assert on_staff_choice(INTERNAL, CUSTOMER) == (CUSTOMER, True)
    assert on_staff_choice(PENDING, INTERNAL) == (INTERNAL, False)
    with pytest.raises(ValueError, match="customer or internal"):
        on_staff_choice(CUSTOMER, PENDING)


def test_parse_state_tolerates_unknown_values() -> None:
    assert parse_state("customer") == CUSTOMER
    assert parse_state(None) is None and parse_state("archived") is None


def test_the_question_carries_the_channel_on_both_buttons() -> None:
    text, blocks = build_channel_question("C0GUESTS", "U0STAFF")
    assert text == "Is <#C0GUESTS> a customer channel?"
    actions = blocks[-1]
    assert actions["block_id"] == "channel_choice"
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("channel_use_as_customer", "C0GUESTS", "Use as a customer channel"),
        ("channel_mark_internal", "C0GUESTS", "Internal, ignore"),
    ]
    assert "did not say by whom" in build_channel_question("C0X", None)[1][0]["text"]["text"]


def test_choice_made_says_who_and_what() -> None:
    assert "<@U0STAFF> set up <#C0A> as a customer channel" in build_channel_choice_made("C0A", True, "U0STAFF")
    assert "as internal" in build_channel_choice_made("C0A", False, "U0STAFF")


def _ticket(number: int, title: str) -> TicketInfo:
    return TicketInfo(
        number=number,
        channel_id="C0A",
        severity=Severity.HIGH,
        title=title,
        description="",
        reporter_id="U0CUST",
        status=Status.OPEN,
        assignee_id=None,
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        first_response_at=None,
    )


def test_gone_note_lists_open_tickets_escaped_and_capped() -> None:
    note = build_channel_gone_note("C0A", "acme", "archived", [_ticket(1, "<!here> & exports")])
    assert note.startswith(":file_cabinet: Customer channel #acme was archived")
    assert "• #1 (High, Open): &lt;!here&gt; &amp; exports" in note
    many = build_channel_gone_note("C0A", "acme", "deleted", [_ticket(n, f"t{n}") for n in range(1, 46)])
    assert "was deleted" in many and "Open there (45)" in many and "…and 5 more." in many
    assert "#41 " not in many
    assert "No tickets were open there." in build_channel_gone_note("C0A", "", "removed", [])
