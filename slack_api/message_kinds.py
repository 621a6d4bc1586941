"""What a `message` event is, for a ticket's conversation: a person's reply, or something else.

Customer channels carry more than people's messages: alert bots and other apps, Workflow Builder
posts, edits, deletions, join/leave and huddle notices. Each gets one deliberate answer here
(pure: the payload in, a verdict out), and the README lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from slack_api.identity import event_team


class MessageKind(Enum):
    REPLY = "reply"  # a person wrote in a thread: counts as a reply (staff or customer)
    TOP_LEVEL = "top_level"  # not in a thread (or a thread's root): not a reply to anything
    FROM_AN_APP = "from_an_app"  # bot_message, another app, a workflow, our own posts: neither staff nor customer
    EDIT = "edit"  # message_changed: the same message again, not a new reply
    DELETION = "deletion"  # message_deleted: a recorded reply (and a first response) stands
    NOTICE = "notice"  # channel_join/leave, huddle_thread and other notices Slack writes


# Subtypes that are a person writing: a plain message, a reply also sent to the channel, a file
# (even with no text), a /me message.
PERSON_SUBTYPES = (None, "thread_broadcast", "file_share", "me_message")
EDIT_SUBTYPES = ("message_changed",)
DELETION_SUBTYPES = ("message_deleted",)


@dataclass(frozen=True)
class Reply:
    channel_id: str
    ts: str
    thread_ts: str
    user_id: str
    team_hint: str | None  # the author's team as the event states it (user_team / user_profile.team / team)


SLACKBOT = "USLACKBOT"  # Slackbot's reminders and custom responses: a `user`, no subtype, nobody typing


def is_from_an_app(message: Mapping[str, Any]) -> bool:
    """Posted by an app, a workflow or Slackbot (`bot_id`, `bot_profile`, `workflow_id`, subtype
    bot_message, user USLACKBOT), not typed by a person — even when it also carries a `user`."""
    return bool(
        message.get("subtype") == "bot_message"
        or message.get("user") == SLACKBOT
        or message.get("bot_id")
        or message.get("bot_profile")
        or message.get("workflow_id")
        or message.get("app_id")
    )


def message_kind(event: Mapping[str, Any]) -> MessageKind:
    """What a `message` event is (see MessageKind); only REPLY counts in a ticket's conversation."""
    subtype = event.get("subtype") or None  # some SDKs' samples send "" for a plain message
    if subtype in EDIT_SUBTYPES:
        return MessageKind.EDIT
    if subtype in DELETION_SUBTYPES:
        return MessageKind.DELETION
    if is_from_an_app(event):
        return MessageKind.FROM_AN_APP
    if subtype not in PERSON_SUBTYPES or not event.get("user"):
        return MessageKind.NOTICE
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if not thread_ts or not ts or thread_ts == ts:
        return MessageKind.TOP_LEVEL
    return MessageKind.REPLY


def thread_reply(event: Mapping[str, Any]) -> Reply | None:
    """The reply a message event is, or None if it is not a person's reply in a thread."""
    if message_kind(event) is not MessageKind.REPLY:
        return None
    return Reply(
        channel_id=str(event.get("channel") or ""),
        ts=str(event["ts"]),
        thread_ts=str(event["thread_ts"]),
        user_id=str(event["user"]),
        team_hint=event_team(event),
    )


def top_level_message(event: Mapping[str, Any]) -> Reply | None:
    """A person's top-level message (not in a thread, not from an app, not an edit), as a Reply
    whose `thread_ts` is its own ts; None for anything else."""
    if message_kind(event) is not MessageKind.TOP_LEVEL or not event.get("ts"):
        return None  # no ts: nothing to link to or react on (an edit's inner message can lack it)
    ts = str(event["ts"])
    return Reply(
        channel_id=str(event.get("channel") or ""),
        ts=ts,
        thread_ts=ts,
        user_id=str(event["user"]),
        team_hint=event_team(event),
    )


def readable_text(message: Mapping[str, Any]) -> str:
    """What a message says, for a ticket made from it: its text, or else (alert bots and workflows
    often post only attachments or blocks, a file share may have no text) its attachments', blocks'
    and files' words."""
    text = str(message.get("text") or "").strip()
    if text:
        return text
    parts: list[str] = []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        words = [str(attachment.get(k) or "").strip() for k in ("pretext", "title", "text")]
        words = [w for w in words if w] or [str(attachment.get("fallback") or "").strip()]
        parts.extend(w for w in words if w)
    if not parts:  # many apps (PagerDuty, Datadog, GitHub…) post only blocks
        parts.extend(_block_words(message.get("blocks")))
    if not parts:  # a person's message can arrive with `text` "" and its words only in rich_text
        parts.extend(_rich_text_lines(message.get("blocks")))
    for shared in message.get("files") or []:
        if isinstance(shared, dict) and (shared.get("title") or shared.get("name")):
            parts.append(f"File: {shared.get('title') or shared.get('name')}")
    return "\n".join(parts)


def _block_words(blocks: Any) -> list[str]:
    """The text of an app's header, section (text and fields) and context blocks, in order (still
    Slack's wire format, as `text` is). A person's rich_text blocks repeat their `text`: skipped."""
    words: list[str] = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict) or block.get("type") not in ("header", "section", "context"):
            continue
        objects = [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]
        for obj in objects:
            if isinstance(obj, dict) and obj.get("type") in ("plain_text", "mrkdwn"):
                text = str(obj.get("text") or "").strip()
                if text:
                    words.append(text)
    return words


_WIRE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _rich_text_lines(blocks: Any) -> list[str]:
    """A person's rich_text blocks back in Slack's wire format (as `text` would have carried them):
    one line per section, list item, quote or code block; mentions as `<@U…>`, links as `<url|label>`,
    emoji as `:name:`. Used only when `text` is empty."""
    lines: list[str] = []
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "rich_text":
            _rich_lines(block.get("elements"), lines)
    return [line for line in lines if line.strip()]


def _rich_lines(elements: Any, lines: list[str]) -> None:
    for element in elements if isinstance(elements, list) else []:
        if not isinstance(element, dict):
            continue
        if element.get("type") == "rich_text_list":
            _rich_lines(element.get("elements"), lines)
        else:  # rich_text_section, rich_text_quote, rich_text_preformatted
            lines.extend("".join(_rich_inline(e) for e in element.get("elements") or []).splitlines() or [""])


def _rich_inline(element: Any) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "").translate(_WIRE_ESCAPES)
    if kind == "link":
        url, label = str(element.get("url") or ""), str(element.get("text") or "").translate(_WIRE_ESCAPES)
        return f"<{url}|{label}>" if label else f"<{url}>"
    if kind == "user":
        return f"<@{element.get('user_id', '')}>"
    if kind == "channel":
        return f"<#{element.get('channel_id', '')}>"
    if kind == "usergroup":
        return f"<!subteam^{element.get('usergroup_id', '')}>"
    if kind == "broadcast":
        return f"<!{element.get('range', 'here')}>"
    if kind == "emoji":
        return f":{element.get('name', '')}:"
    return str(element.get("text") or "")
