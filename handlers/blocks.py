"""Block Kit builders: pure functions from plain values to Slack payloads.

Every bit of text a customer typed goes through `escape_text` before it is put into mrkdwn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from handlers import ids
from tickets.model import TicketInfo
from tickets.rules import DESCRIPTION_MAX, STATUS_LABELS, TITLE_MAX, humanize_duration
from tickets.severity import SEVERITY_LEVELS, Severity

Blocks = list[dict[str, Any]]
_BROADCAST_WORDS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape_text(text: str) -> str:
    """Make user text inert in mrkdwn: it shows as typed and can never ping anyone.

    `&`, `<` and `>` are escaped (so `<!channel>`, `<@U123>`, `<!subteam^S1>` stay plain text);
    bare `@here`-style words get a zero-width joiner after the `@` for clients that link them.
    """
    escaped = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST_WORDS.sub(lambda m: "@\u2060" + m.group(1), escaped)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


@dataclass(frozen=True)
class ModalContext:
    """Where a ticket modal was opened from; it travels in the view's private_metadata."""

    channel_id: str
    source: str = "command"

    def encode(self) -> str:
        return json.dumps({"c": self.channel_id, "s": self.source})

    @staticmethod
    def decode(raw: str | None) -> ModalContext | None:
        try:
            data = json.loads(raw or "")
            return ModalContext(channel_id=str(data["c"]), source=str(data.get("s", "command")))
        except (ValueError, KeyError, TypeError):
            return None


def severity_label(severity: Severity) -> str:
    level = SEVERITY_LEVELS[severity]
    return f"{level.emoji} {level.label}"


def build_ticket_modal(context: ModalContext, title: str = "") -> dict[str, Any]:
    """The /ticket modal: severity (with impact), examples, title, description."""
    options = [
        {
            "text": _plain(severity_label(level.severity)),
            "value": level.severity.value,
            "description": _plain(_truncate(level.impact, 75)),
        }
        for level in SEVERITY_LEVELS.values()
    ]
    examples = [_mrkdwn(f"*{level.label}*: " + ", ".join(level.examples)) for level in SEVERITY_LEVELS.values()]
    title_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.TITLE_BLOCK,
        "max_length": TITLE_MAX,
        "placeholder": _plain("Dashboards are not loading"),
    }
    if title.strip():
        title_element["initial_value"] = _truncate(title.strip(), TITLE_MAX)
    return {
        "type": "modal",
        "callback_id": ids.TICKET_MODAL,
        "private_metadata": context.encode(),
        "title": _plain("File a ticket"),
        "submit": _plain("File ticket"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn("Tell us what is wrong. Pick the severity that matches the impact on you."),
            },
            {
                "type": "input",
                "block_id": ids.SEVERITY_BLOCK,
                "label": _plain("Severity"),
                "element": {"type": "radio_buttons", "action_id": ids.SEVERITY_BLOCK, "options": options},
            },
            {"type": "context", "block_id": "severity_examples", "elements": examples},
            {
                "type": "input",
                "block_id": ids.TITLE_BLOCK,
                "label": _plain("Title"),
                "element": title_element,
            },
            {
                "type": "input",
                "block_id": ids.DESCRIPTION_BLOCK,
                "optional": True,
                "label": _plain("Description"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.DESCRIPTION_BLOCK,
                    "multiline": True,
                    "max_length": DESCRIPTION_MAX,
                    "placeholder": _plain("What happened, what you expected, links, and since when"),
                },
            },
        ],
    }


def build_ticket_card(ticket: TicketInfo) -> tuple[str, Blocks]:
    """The ticket card in the customer channel: the thread root of the conversation."""
    title = escape_text(ticket.title)
    fields = [
        _mrkdwn(f"*Severity*\n{severity_label(ticket.severity)}"),
        _mrkdwn(f"*Status*\n{STATUS_LABELS[ticket.status]}"),
        _mrkdwn(f"*Reported by*\n<@{ticket.reporter_id}>"),
        _mrkdwn(f"*Assignee*\n{f'<@{ticket.assignee_id}>' if ticket.assignee_id else 'Not yet assigned'}"),
    ]
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(f"*Ticket #{ticket.number}: {title}*")},
        {"type": "section", "fields": fields},
    ]
    if ticket.description.strip():
        blocks.append({"type": "section", "text": _mrkdwn(_truncate(escape_text(ticket.description), 2900))})
    blocks.append({"type": "context", "elements": [_mrkdwn("Reply in this thread: the team sees every message here.")]})
    text = f"Ticket #{ticket.number} ({SEVERITY_LEVELS[ticket.severity].label}): {title}"
    return text, blocks


def build_ticket_ack(ticket: TicketInfo, target: timedelta) -> str:
    """The first message in the ticket's thread: we have it, and when to expect an answer."""
    label = SEVERITY_LEVELS[ticket.severity].label
    return (
        f"Thanks <@{ticket.reporter_id}>, ticket #{ticket.number} is with the team. "
        f"For a {label} ticket we aim to give you a first response within {humanize_duration(target)}. "
        "Add anything else that helps (screenshots, links, when it started) right here in this thread."
    )


def build_triage_mirror(
    ticket: TicketInfo, thread_link: str | None, card_error: str | None = None
) -> tuple[str, Blocks]:
    """The ticket's mirror in the internal triage channel, linking to the customer thread."""
    level = SEVERITY_LEVELS[ticket.severity]
    ping = "<!here> " if ticket.severity == Severity.CRITICAL else ""
    title = escape_text(ticket.title)
    headline = f"{ping}{level.emoji} *{level.label}* ticket #{ticket.number} in <#{ticket.channel_id}>: {title}"
    details = [f"Reported by <@{ticket.reporter_id}>", f"Status: {STATUS_LABELS[ticket.status]}"]
    if thread_link:
        details.append(f"<{thread_link}|Open the customer thread>")
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(headline)},
        {"type": "context", "elements": [_mrkdwn(" · ".join(details))]},
    ]
    if card_error:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(
                    f":warning: The ticket card could not be posted in <#{ticket.channel_id}> "
                    f"(`{escape_text(card_error)}`): answer the customer there directly."
                ),
            }
        )
    text = f"{ping}{level.label} ticket #{ticket.number}: {title}"
    return text, blocks


def build_welcome() -> tuple[str, Blocks]:
    """Posted when the bot joins a customer channel: how to file a ticket, with a button."""
    text = (
        ":wave: Hi! I help this channel's support run smoothly. To report a problem or ask for help, "
        "press *File a ticket* below (anyone in this channel can), type `/ticket` if your workspace "
        "has the app installed, or react to any message with :ticket:. "
        "Every ticket gets a thread here, and the team is notified straight away."
    )
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(text)},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.FILE_TICKET_BUTTON,
                    "text": _plain("File a ticket"),
                    "style": "primary",
                    "value": "open",
                }
            ],
        },
    ]
    return "Hi! Press File a ticket (or type /ticket) to report a problem.", blocks


NOT_A_CUSTOMER_CHANNEL = (
    "Tickets are filed in a support channel that I am a member of. "
    "Run `/ticket` there, or ask your account team to add me to your shared channel."
)
TICKET_SAVE_FAILED = "We could not save your ticket just now. Please press File ticket again in a moment."
MODAL_OPEN_FAILED = (
    "Sorry, I could not open the form just now (Slack did not answer in time). Please try again in a few seconds."
)
