"""The triage summary: one post listing the tickets of a burst, updated in place as it grows
(outbox/batching.py says when). One section per ticket, linked to its customer thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tickets.model import TicketInfo
from tickets.rules import CLOSED_STATUSES, STATUS_LABELS, Status
from tickets.slack_text import slack_length
from ui import ids
from ui.blocks import REFUSED_POSTS, SECTION_TEXT_LIMIT, fit_escaped, severity_label

Blocks = list[dict[str, Any]]
SUMMARY_TITLE_MAX = 150  # a title's share of its line (Slack characters, after escaping)
MAX_SHOWN = 45  # items shown at most: + a header and a footer stays inside Slack's 50 blocks
FOOTER = (
    "More tickets arrived at once than Slack lets me post one by one, so they are listed here. "
    "Notes about each (SLA warnings, replies) follow in this thread; each line's ⋯ menu takes, sets the "
    "severity of, or resolves it."
)


@dataclass(frozen=True)
class SummaryItem:
    """One ticket of a summary, and the link to its customer thread (None: not known)."""

    ticket: TicketInfo
    link: str | None
    refused: tuple[str, str] | None = None  # (outbox kind, Slack's error): a customer-channel post Slack refused


def summary_line(item: SummaryItem) -> str:
    """'#12 :large_orange_circle: High · <link|Title> in <#C1> · Open, unassigned' (mrkdwn)."""
    ticket = item.ticket
    title = fit_escaped(ticket.title, SUMMARY_TITLE_MAX) or f"Ticket #{ticket.number}"
    shown_title = f"<{item.link}|{title}>" if item.link else title
    what = "conversation" if ticket.severity is None else "ticket"
    state = STATUS_LABELS.get(ticket.status, str(ticket.status))
    who = f"<@{ticket.assignee_id}>" if ticket.assignee_id else "nobody has it yet"
    line = (
        f"*#{ticket.number}* {severity_label(ticket.severity)} {what}: {shown_title} "
        f"in <#{ticket.channel_id}> · {state}, {who}"
    )
    if item.refused is not None:
        line += (
            f"\n:warning: Slack refused {REFUSED_POSTS.get(item.refused[0], 'a post')} there "
            f"(`{fit_escaped(item.refused[1], 100)}`): answer the customer directly."
        )
    if slack_length(line) > SECTION_TEXT_LIMIT:  # cannot happen with the limits above; never let Slack refuse it
        line = f"*#{ticket.number}* {severity_label(ticket.severity)} {what} in <#{ticket.channel_id}>"
    return line


def _item_block(item: SummaryItem) -> dict[str, Any]:
    ticket = item.ticket
    block: dict[str, Any] = {
        "type": "section",
        "block_id": f"summary_item:{ticket.number}",
        "text": {"type": "mrkdwn", "text": summary_line(item)},
    }
    if ticket.status not in CLOSED_STATUSES:
        block["accessory"] = {"type": "overflow", "action_id": ids.SUMMARY_ITEM_MENU, "options": _item_actions(ticket)}
    return block


def _item_actions(ticket: TicketInfo) -> list[dict[str, Any]]:
    """What a card's buttons do, as a line's ⋯ menu (a section takes one accessory): Take it (while
    nobody has it), Set or Change severity, Not a ticket (a conversation), Resolve."""

    def option(label: str, verb: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": f"{verb}:{ticket.number}"}

    options = [] if ticket.assignee_id else [option("Take it", "take")]
    options.append(option("Set severity" if ticket.severity is None else "Change severity", "severity"))
    if ticket.severity is None or ticket.status == Status.NEW:
        options.append(option("Not a ticket", "noise"))
    options.append(option("Resolve", "resolve"))
    return options


def build_triage_summary(items: Sequence[SummaryItem]) -> tuple[str, Blocks]:
    """The summary post (and each of its updates): a header, a line per ticket (oldest first), a
    footer. The `text` fallback names every number, so a notification says what arrived."""
    shown = list(items)[:MAX_SHOWN]
    count = len(items)
    noun = "ticket or conversation" if count == 1 else "tickets and conversations"
    header = f":inbox_tray: *{count} new {noun} at once*"
    blocks: Blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": header}}]
    blocks += [_item_block(item) for item in shown]
    footer = FOOTER
    if count > len(shown):
        footer = f"…and {count - len(shown)} more, listed in the ticket export. " + footer
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    numbers = ", ".join(f"#{i.ticket.number}" for i in shown)
    text = f"{count} new {noun} in triage: {numbers}"
    return text, blocks
