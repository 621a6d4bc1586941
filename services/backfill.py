"""Use case: a ticket filed from a message in the middle of a thread (🎫, the Create-ticket
shortcut, a mention) records the thread's earlier messages too (issue 16).

`services.filing` owes a BACKFILL outbox row when it files such a ticket; its delivery reads the
thread (conversations.replies, services/posts.py) and calls `complete_backfill` with Slack's
answer. The earlier messages are recorded as the ticket's history: each a ticket_messages row
(idempotent: unique per ticket and ts), staff or customer as the directory says. History never
moves the ticket: no status change, no first or next response, no reply count. They were written
before the ticket existed, so a staff message among them is not a response to it. An author Slack
cannot name just now is recorded as unknown (from_staff NULL) and settled later by the usual job,
which for a message older than its ticket only records who wrote it (services.tickets.settle_reply_author).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.tickets import lock_ticket, ts_time
from services.unit_of_work import unit_of_work
from slack_api.identity import event_team
from slack_api.message_kinds import is_from_an_app
from store.db import insert_new
from store.models import TicketMessage

if TYPE_CHECKING:
    from services.deps import Deps

log = logging.getLogger(__name__)


def earlier_messages(answer: Mapping[str, Any], before_ts: str) -> list[Mapping[str, Any]]:
    """The people's messages of a thread (conversations.replies' `answer`) posted before `before_ts`,
    oldest first: apps, workflows and the bot itself are left out, as are messages with no author."""
    cutoff = float(before_ts)
    found = []
    for message in answer.get("messages") or []:
        ts = message.get("ts")
        if not isinstance(ts, str) or not message.get("user") or is_from_an_app(message):
            continue
        try:
            if float(ts) < cutoff:
                found.append(message)
        except ValueError:
            continue
    return sorted(found, key=lambda m: float(m["ts"]))


def complete_backfill(deps: Deps, payload: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
    """The outbox's follow-up for a BACKFILL row ({ticket, channel, thread_ts, ts: the filed
    message}): record the thread's messages before the filed one as the ticket's history.
    Idempotent (a retried row records nothing twice); a Slack error raised by the read retries it."""
    ticket_id, filed_ts = int(payload["ticket"]), str(payload["ts"])
    bot_user = deps.directory.host().bot_user_id
    messages = [m for m in earlier_messages(answer, filed_ts) if m["user"] != bot_user]  # our own posts
    if not messages:
        return
    authors = {}
    for message in messages:  # users.info, if it takes one, before any lock is held
        user = message["user"]
        if user not in authors:
            authors[user] = deps.directory.identify(user, event_team(message))
    unsettled = False
    with unit_of_work(deps) as uow:
        ticket = lock_ticket(uow.session, ticket_id)
        if ticket is None:
            return
        for message in messages:
            author = authors[message["user"]]
            row = {
                "ticket_id": ticket_id,
                "ts": message["ts"],
                "user_id": message["user"],
                "from_staff": author.is_staff if author.known else None,
                "posted_at": ts_time(message["ts"], uow.now),
            }
            if insert_new(uow.session, TicketMessage, row) and not author.known:
                unsettled = True
        if unsettled:
            uow.then(lambda: deps.settle_reply_authors_later(ticket_id))
    log.info("ticket %s: recorded %d earlier messages of its thread", ticket_id, len(messages))
