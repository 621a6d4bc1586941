"""Events API events about people in a channel: a reply in a ticket's conversation, and someone
(or the bot) joining a channel. Each is applied in-request, together with its event id, in one
transaction (its use case's unit of work), so a crash means Slack retries it and a retry (to any
replica) is applied at most once. The bot joining a channel is applied as an outbox row that reads
the channel first (handlers/channels.py)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from handlers.channels import on_bot_added
from handlers.routing import event
from services.conversations import CustomerMessage, hear_edit, hear_message
from services.deps import Deps
from services.onboarding_requests import check_channel_size
from services.replies import record_thread_reply
from slack_api.message_kinds import MessageKind, message_kind, readable_text, thread_reply, top_level_message
from tickets.slack_text import plain_text


def member_joined(event: dict[str, Any], body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The bot joined a channel (registered once the outbox has read it), or someone else did (a
    channel under onboarding counts its customer side)."""
    if event.get("user") != deps.directory.host().bot_user_id:
        check_channel_size(deps, client, channel_id=event.get("channel", ""), event_id=body.get("event_id", ""))
        return
    on_bot_added(deps, event, body)


def message(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """A person's reply in a ticket's conversation (the card's thread or the source message's), or
    a top-level message the channel's intake may track (services/conversations.py), or an edit
    that turns a pleasantry into one. Apps, workflows, deletions and notices are neither
    (slack_api/message_kinds.py)."""
    if message_kind(event) is MessageKind.EDIT:
        _edited(event, body, deps)
        return
    reply = thread_reply(event)
    if reply is None:
        _top_level(event, body, deps)
        return
    record_thread_reply(
        deps,
        channel_id=reply.channel_id,
        thread_ts=reply.thread_ts,
        ts=reply.ts,
        user_id=reply.user_id,
        team_hint=reply.team_hint,
        event_id=body.get("event_id", ""),
        text=plain_text(readable_text(event)),
        hear_unowned=not _mentions_bot(event, deps),  # a mention: app_mention files it
    )


def _mentions_bot(event: dict[str, Any], deps: Deps) -> bool:
    return f"<@{deps.directory.host().bot_user_id}" in readable_text(event)


def _top_level(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    said = top_level_message(event)
    if said is None:
        return
    if _mentions_bot(event, deps):
        return  # a mention of the bot: app_mention files it (handlers/tickets.py)
    wire = readable_text(event)
    heard = CustomerMessage(said.channel_id, said.ts, said.user_id, said.team_hint, plain_text(wire))
    hear_message(deps, heard, event_id=body.get("event_id", ""))


def _edited(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """message_changed: the top-level message as edited, and what it said before (our own card
    updates and link unfurls arrive here too: apps' messages and unchanged words are left alone)."""
    now, before = event.get("message"), event.get("previous_message")
    if not isinstance(now, dict) or not isinstance(before, dict):
        return
    edited = {**now, "channel": event.get("channel") or now.get("channel")}
    said = top_level_message(edited)
    if said is None or _mentions_bot(edited, deps):
        return
    heard = CustomerMessage(said.channel_id, said.ts, said.user_id, said.team_hint, plain_text(readable_text(edited)))
    hear_edit(deps, heard, before=plain_text(readable_text(before)), event_id=body.get("event_id", ""))


ROUTES = (
    event("member_joined_channel", member_joined),
    event("message", message),
)
