"""The ticket Block Kit builders (ui/blocks.py): escaping, the modal within Slack's limits, the card and the ack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fakeslack.rules import blocks_errors
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import SEVERITY_LEVELS, Severity
from ui.blocks import (
    ModalContext,
    build_move_modal,
    build_moved_pointer,
    build_ticket_ack,
    build_ticket_card,
    build_ticket_modal,
    escape_text,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("<!channel> hi", "&lt;!channel&gt; hi"),
        ("<@U123> & <!subteam^S1>", "&lt;@U123&gt; &amp; &lt;!subteam^S1&gt;"),
        ("a < b > c", "a &lt; b &gt; c"),
        ("ping @here now", "ping @\u2060here now"),
        ("mail me@herewego.com", "mail me@herewego.com"),
    ],
)
def test_escape_text(typed: str, shown: str) -> None:
    assert escape_text(typed) == shown


def test_modal_fits_slack_limits() -> None:
    view = build_ticket_modal(ModalContext("C1"), title="t" * 400)
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert len(view["blocks"]) <= 100 and len(view["private_metadata"]) <= 3000
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")
    for option in severity["element"]["options"]:
        assert len(option["text"]["text"]) <= 75 and len(option["description"]["text"]) <= 75
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert len(title["element"]["initial_value"]) == title["element"]["max_length"] == 150
    assert ModalContext.decode(view["private_metadata"]) == ModalContext("C1", "command")
    assert ModalContext.decode("not json") is None


def test_ticket_card_and_ack() -> None:
    info = TicketInfo(
        number=7,
        channel_id="C1",
        severity=Severity.CRITICAL,
        title="Down <!here>",
        description="",
        reporter_id="U1",
        status=Status.OPEN,
        assignee_id=None,
        created_at=T0,
        first_response_at=None,
    )
    text, blocks = build_ticket_card(info)
    assert text == "Ticket #7 (Critical): Down &lt;!here&gt;"
    assert [b["type"] for b in blocks] == ["section", "section", "actions", "context"]  # no empty description
    actions = [e["action_id"] for e in blocks[2]["elements"]]
    assert actions == ["ticket_take", "ticket_waiting", "ticket_resolve", "ticket_reassign", "ticket_more"]
    assert "Not yet assigned" in str(blocks)
    ack = build_ticket_ack(info, SEVERITY_LEVELS[Severity.CRITICAL].default_first_response)
    assert "30 min" in ack and "<@U1>" in ack


def test_the_area_picker_follows_the_severity_and_is_optional() -> None:
    areas = [("Session replay", "Recordings, heatmaps, paths"), ("Billing", "")]
    view = build_ticket_modal(ModalContext("C1"), areas=areas)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids.index("severity") < ids.index("area") < ids.index("title")
    picker = view["blocks"][ids.index("area")]
    assert picker["optional"] is True and picker["element"]["type"] == "static_select"
    assert picker["element"]["options"] == [
        {
            "text": {"type": "plain_text", "text": "Session replay", "emoji": True},
            "value": "Session replay",
            "description": {"type": "plain_text", "text": "Recordings, heatmaps, paths", "emoji": True},
        },
        {"text": {"type": "plain_text", "text": "Billing", "emoji": True}, "value": "Billing"},
    ]
    assert blocks_errors(view["blocks"], 100) == []
    assert "area" not in [b.get("block_id") for b in build_ticket_modal(ModalContext("C1"))["blocks"]]


def test_the_move_form_and_the_pointer_fit_slack() -> None:
    info = TicketInfo(
        number=7,
        channel_id="C1",
        severity=Severity.HIGH,
        title="Replays are <!here> blank",
        description="",
        status=Status.OPEN,
        reporter_id="U1",
        assignee_id=None,
        created_at=T0,
        first_response_at=None,
    )
    form = build_move_modal(info, "C0REPLAY", [("Session replay", "Recordings"), ("Billing", "")], "Billing")
    assert form["callback_id"] == "ticket_move_modal" and blocks_errors(form["blocks"], 100) == []
    assert form["blocks"][-1]["element"]["initial_option"]["value"] == "Billing"
    assert ModalContext.decode(form["private_metadata"]) == ModalContext("C0REPLAY", "move", "7")
    text, blocks = build_moved_pointer(7, "Replays are <!here> blank", "C0BILLING", "U0STAFF")
    assert "<!here>" not in text and "<#C0BILLING>" in text and "<@U0STAFF>" in text
    assert blocks_errors(blocks, 50) == [] and [b["type"] for b in blocks] == ["section"]
