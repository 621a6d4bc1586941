"""Real-shaped `message` and `reaction_added` events (shapes from Slack's event reference and the
bolt-python scenario fixtures in ../shared/peer-payloads). Wrap one in
`fakeslack.payloads.event_callback` to deliver it."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from fakeslack.workspace import CUSTOMER, CUSTOMER_TEAM, HOST_TEAM

_n = itertools.count(1)


def new_ts(seconds_ago: float = 0.0) -> str:
    """A fresh message ts (unique within the test run)."""
    return f"{int(time.time() - seconds_ago)}.{next(_n):06d}"


def rich_text(text: str) -> list[dict[str, Any]]:
    """The `rich_text` blocks a Slack client sends with a plain message `text`."""
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


def person_message(
    channel: str,
    user: str,
    text: str,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = HOST_TEAM,
    **extra: Any,
) -> dict[str, Any]:
    """A person's message as a Slack Connect channel delivers it (`team`, `user_team`, `source_team`)."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text(text),
        "team": team,
        "user_team": team,
        "source_team": team,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = CUSTOMER
    return {**event, **extra}


def ticket_reaction(channel: str, ts: str, user: str, reaction: str = "ticket", **extra: Any) -> dict[str, Any]:
    """reaction_added, as in Slack's event reference (item_user is the message's author)."""
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": extra.pop("item_user", CUSTOMER),
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
        **extra,
    }


def customer_message(channel: str, text: str, **kwargs: Any) -> dict[str, Any]:
    """A message of the customer `CUSTOMER`, from the customer's organisation (see `person_message`)."""
    return person_message(channel, CUSTOMER, text, team=CUSTOMER_TEAM, **kwargs)


def edited_message(before: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    """The message_changed event Slack sends when `before` (a message event) is edited to say
    `text` (`extra`: other fields of the edited message, e.g. an unfurl's `attachments`)."""
    ts = new_ts()
    after = {**before, "text": text, "edited": {"user": before.get("user"), "ts": ts}, **extra}
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": before.get("channel"),
        "ts": ts,
        "event_ts": ts,
        "hidden": True,
        "message": after,
        "previous_message": before,
    }
