"""The triage summary (ui/triage_summary.py): one line per ticket, linked, within Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fakeslack.rules import message_errors
from outbox.batching import SUMMARY_MAX_ITEMS
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui import ids
from ui.triage_summary import MAX_SHOWN, SummaryItem, build_triage_summary, summary_line

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LINK = "https://host-inc.slack.com/archives/C1/p1700000000000100"


def _ticket(number: int, **changes: object) -> TicketInfo:
    info = TicketInfo(
        number=number,
        channel_id="C1",
        severity=None,  # type: ignore[arg-type]
        title=f"Exports fail {number}",
        description="",
        reporter_id="U1",
        status=Status.NEW,
        assignee_id=None,
        created_at=T0,
        first_response_at=None,
    )
    return replace(info, **changes)


def test_a_line_links_the_customer_thread_with_number_title_and_severity() -> None:
    assert summary_line(SummaryItem(_ticket(12), LINK)) == (
        f"*#12* :grey_question: No severity yet conversation: <{LINK}|Exports fail 12> in <#C1> · "
        "New, nobody has it yet"
    )
    high = _ticket(13, severity=Severity.HIGH, status=Status.IN_PROGRESS, assignee_id="U9")
    taken = summary_line(SummaryItem(high, LINK))
    assert "High ticket" in taken and "In progress, <@U9>" in taken


def test_customer_text_cannot_ping_or_break_the_link() -> None:
    line = summary_line(SummaryItem(_ticket(1, title="<!channel> a|b > <@U1> " + "x" * 500), LINK))
    assert "<!channel>" not in line and "&lt;!channel&gt;" in line and "&lt;@U1&gt;" in line
    assert len(line) < 400  # the title is cut


def test_each_open_line_has_a_cards_actions_in_its_menu() -> None:
    _, blocks = build_triage_summary(
        [
            SummaryItem(_ticket(1, severity=Severity.HIGH, status=Status.OPEN), LINK),
            SummaryItem(_ticket(2, severity=Severity.LOW, assignee_id="U9", status=Status.IN_PROGRESS), LINK),
            SummaryItem(_ticket(3, status=Status.RESOLVED), LINK),
        ]
    )
    items = {b["block_id"]: b for b in blocks if b.get("block_id", "").startswith("summary_item:")}

    def verbs(block: str) -> list[str]:
        menu = items[block]["accessory"]
        assert menu["action_id"] == ids.SUMMARY_ITEM_MENU
        return [option["value"] for option in menu["options"]]

    assert verbs("summary_item:1") == ["take:1", "severity:1", "resolve:1"]
    assert verbs("summary_item:2") == ["severity:2", "resolve:2"]  # somebody has it: no Take it
    assert "accessory" not in items["summary_item:3"]  # resolved: nothing to do
    conversation = build_triage_summary([SummaryItem(_ticket(4, severity=None, status=Status.NEW), LINK)])[1]
    menu = next(b for b in conversation if b.get("block_id") == "summary_item:4")["accessory"]
    assert [o["value"] for o in menu["options"]] == ["take:4", "severity:4", "noise:4", "resolve:4"]
    assert menu["options"][1]["text"]["text"] == "Set severity"


def test_a_full_summary_fits_slack_and_names_every_number_in_its_text() -> None:
    full = [SummaryItem(_ticket(n, title="é🙂" * 400), LINK) for n in range(1, SUMMARY_MAX_ITEMS + 1)]
    text, blocks = build_triage_summary(full)
    assert message_errors({"channel": "C0TRIAGE", "text": text, "blocks": blocks}) is None
    assert len(blocks) == SUMMARY_MAX_ITEMS + 2
    assert text.startswith(f"{SUMMARY_MAX_ITEMS} new tickets and conversations in triage: #1, #2,")


def test_more_items_than_fit_are_counted_not_dropped_silently() -> None:
    many = [SummaryItem(_ticket(n), None) for n in range(1, MAX_SHOWN + 6)]
    text, blocks = build_triage_summary(many)
    assert len(blocks) <= 50 and message_errors({"channel": "C0", "text": text, "blocks": blocks}) is None
    assert "…and 5 more" in blocks[-1]["elements"][0]["text"]


def test_a_refused_customer_post_shows_on_its_line() -> None:
    line = summary_line(SummaryItem(_ticket(4), LINK, ("ticket_ack", "is_archived")))
    assert ":warning: Slack refused the acknowledgement in the ticket's thread" in line and "is_archived" in line
