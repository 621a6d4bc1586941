"""Real-shaped `message` and `reaction_added` events (shapes from Slack's event reference and the
bolt-python scenario fixtures in ../shared/peer-payloads). Wrap one in
`fakeslack.payloads.event_callback` to deliver it."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from fakeslack.workspace import CUSTOMER, CUSTOMER_TEAM, HOST_TEAM

_issued: set[int] = set()
_issued_lock = threading.Lock()


def new_ts(seconds_ago: float = 0.0) -> str:
    """A fresh message ts: the wall clock `seconds_ago` seconds back, to the microsecond, as Slack
    writes it ("1733050000.123456"), and unique within the process (a clash moves it on by 1 µs).
    It never reads earlier than the moment it was made, which the response-clock tests rely on."""
    micros = int((time.time() - seconds_ago) * 1_000_000)
    with _issued_lock:
        while micros in _issued:
            micros += 1
        _issued.add(micros)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


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
