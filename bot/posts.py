"""What each kind of outbox row posts, rendered from the database at delivery time.

Rendering late means a card always shows the ticket as it is now, and a retried update is
harmless (it renders the same state again).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.identity import Directory
from bot.models import OutboxMessage, Ticket
from bot.outbox import Abandon, Defer, Post
from bot.services import ticket_info
from handlers.blocks import build_ticket_ack, build_ticket_card, build_triage_mirror, build_welcome
from tickets.severity import Severity


class PostPlanner:
    def __init__(self, directory: Directory, triage_channel: str, sla_targets: Mapping[Severity, timedelta]):
        self._directory = directory
        self._triage_channel = triage_channel
        self._sla_targets = sla_targets

    def __call__(self, session: Session, row: OutboxMessage) -> Post:
        plan = getattr(self, f"_plan_{row.kind}", None)
        if plan is None:
            raise Abandon(f"unknown outbox kind {row.kind!r}")
        return plan(session, row)

    @staticmethod
    def _ticket(session: Session, row: OutboxMessage) -> Ticket:
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
        if ticket is None:
            raise Abandon(f"ticket {row.ticket_id} not found")
        return ticket

    @staticmethod
    def _card_error(session: Session, ticket: Ticket) -> str | None:
        """Why the ticket card failed for good, or None while it may still be posted."""
        return session.scalar(
            select(OutboxMessage.last_error).where(
                OutboxMessage.dedupe_key == f"ticket_card:{ticket.id}", OutboxMessage.state == "failed"
            )
        )

    def _plan_ticket_card(self, session: Session, row: OutboxMessage) -> Post:
        ticket = self._ticket(session, row)
        text, blocks = build_ticket_card(ticket_info(ticket))

        def on_sent(s: Session, ts: str) -> None:
            s.get(Ticket, ticket.id).thread_ts = ts  # type: ignore[union-attr]

        return Post(
            "chat.postMessage",
            {"channel": ticket.channel_id, "text": text, "blocks": blocks, "unfurl_links": False},
            on_sent,
            pace_key=ticket.channel_id,
        )

    def _plan_ticket_ack(self, session: Session, row: OutboxMessage) -> Post:
        ticket = self._ticket(session, row)
        if ticket.thread_ts is None:
            if self._card_error(session, ticket):
                raise Abandon("the ticket card was never posted, so there is no thread to answer in")
            raise Defer("waiting for the ticket card")
        info = ticket_info(ticket)
        text = build_ticket_ack(info, self._sla_targets[info.severity])
        return Post(
            "chat.postMessage",
            {"channel": ticket.channel_id, "thread_ts": ticket.thread_ts, "text": text},
            pace_key=ticket.channel_id,
        )

    def _plan_triage_mirror(self, session: Session, row: OutboxMessage) -> Post:
        ticket = self._ticket(session, row)
        card_error = None
        if ticket.thread_ts is None:
            card_error = self._card_error(session, ticket)
            if card_error is None:
                raise Defer("waiting for the ticket card")
        link = self._directory.host().permalink(ticket.channel_id, ticket.thread_ts) if ticket.thread_ts else None
        text, blocks = build_triage_mirror(ticket_info(ticket), link, card_error)

        def on_sent(s: Session, ts: str) -> None:
            saved = s.get(Ticket, ticket.id)
            saved.triage_channel_id = self._triage_channel  # type: ignore[union-attr]
            saved.triage_ts = ts  # type: ignore[union-attr]

        return Post(
            "chat.postMessage",
            {"channel": self._triage_channel, "text": text, "blocks": blocks, "unfurl_links": False},
            on_sent,
            pace_key=self._triage_channel,
        )

    def _plan_card_update(self, session: Session, row: OutboxMessage) -> Post:
        ticket = self._ticket(session, row)
        if ticket.thread_ts is None:
            if self._card_error(session, ticket):
                raise Abandon("the ticket card was never posted")
            raise Defer("waiting for the ticket card")
        text, blocks = build_ticket_card(ticket_info(ticket))
        return Post(
            "chat.update", {"channel": ticket.channel_id, "ts": ticket.thread_ts, "text": text, "blocks": blocks}
        )

    def _plan_welcome(self, session: Session, row: OutboxMessage) -> Post:
        text, blocks = build_welcome()
        channel = row.payload["channel"]
        return Post("chat.postMessage", {"channel": channel, "text": text, "blocks": blocks}, pace_key=channel)

    def _plan_message(self, session: Session, row: OutboxMessage) -> Post:
        """A message rendered when it was owed: payload holds channel, text and optional blocks."""
        args = {k: v for k, v in row.payload.items() if k in ("channel", "text", "blocks", "thread_ts")}
        return Post("chat.postMessage", args, pace_key=args["channel"])
