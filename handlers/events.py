"""Events API events. Each is applied in-request, together with its event id, in one transaction,
so a crash means Slack retries it and a retry (to any replica) is applied at most once. The bot
joining a channel is applied as an outbox row that reads the channel first (handlers/channels.py)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.channels import on_bot_added
from handlers.message_kinds import thread_reply
from services.deps import Deps
from services.onboarding import warn_channel_size
from services.tickets import (
    claim_event,
    conversation_has_ticket,
    record_reply,
    ticket_row_by_conversation,
    ticket_timers,
)
from store.db import save_row
from store.models import Customer

log = logging.getLogger(__name__)

EVENTS = ("member_joined_channel", "message")


def register(app: App, deps: Deps) -> None:
    def member_joined(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("user") != deps.directory.host().bot_user_id:
            check_channel_size(event, body, client)
            return
        on_bot_added(deps, event, body)  # registered once the outbox has read the channel

    def check_channel_size(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """Someone joined a channel that is onboarding: is the customer's side past the A-team size?"""
        channel_id = event.get("channel", "")
        with deps.db.session() as session:
            customer = session.get(Customer, channel_id)
            if customer is None or customer.size_warned:
                return
        bot_user = deps.directory.host().bot_user_id
        members: list[str] = []
        try:
            for page in client.conversations_members(channel=channel_id, limit=200):
                members.extend(page.get("members") or [])
        except (SlackApiError, SlackClientError, OSError) as exc:
            # Best effort: the next member joining counts again (a 500 here would only be retried).
            log.warning("could not count the members of %s: %s", channel_id, type(exc).__name__)
            return
        count = sum(1 for m in members if m != bot_user and not deps.directory.is_staff(m))
        with deps.db.transaction() as session:
            if not claim_event(session, body.get("event_id", ""), deps.clock()):
                return
            warn_channel_size(
                session,
                channel_id=channel_id,
                count=count,
                max_members=deps.settings.max_customer_members,
                now=deps.clock(),
            )

    def message(event: dict[str, Any], body: dict[str, Any]) -> None:
        """A person's reply in a ticket's conversation: the card's thread or the source message's.
        Apps, workflows, edits, deletions and notices are not replies (handlers/message_kinds.py)."""
        reply = thread_reply(event)
        if reply is None:
            return
        author = deps.directory.identify_cached(reply.user_id, reply.team_hint)
        if author is None:  # users.info it takes: never wait on Slack (a 429's Retry-After) holding the lock
            with deps.db.session() as session:
                if not conversation_has_ticket(session, reply.channel_id, reply.thread_ts):
                    return
            author = deps.directory.identify(reply.user_id, reply.team_hint)
        with deps.db.transaction() as session:
            ticket = ticket_row_by_conversation(session, reply.channel_id, reply.thread_ts)
            if ticket is None or not claim_event(session, body.get("event_id", ""), deps.clock()):
                return
            timers_before = ticket_timers(ticket)
            recorded = record_reply(
                session,
                ticket,
                ts=reply.ts,
                user_id=reply.user_id,
                from_staff=author.is_staff if author.known else None,
                now=deps.clock(),
                sla=deps.sla_policy,
            )
            save_row(session, ticket)
            timers_changed = ticket_timers(ticket) != timers_before
        if timers_changed:  # most replies change no alarm: don't touch the job store for them
            deps.sync_ticket_timers(ticket)
        if recorded and not author.known:  # Slack could not say who wrote it: look again shortly
            deps.settle_reply_authors_later(ticket.id)

    app.event("member_joined_channel")(member_joined)
    app.event("message")(message)
