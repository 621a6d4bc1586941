"""Ticket events for the world outside Slack: signed webhooks (docs/webhooks.md) and PagerDuty pages.

Both are outbox rows written in the transaction that makes the change, so they are retried with the
outbox's backoff, never lost, and owed once (their dedupe keys). What a row sends is fixed when it
is owed (the webhook's body, the PagerDuty routing key); the signature and its timestamp are made
at each attempt.

Whether a transaction owes webhooks or pages is on its session (`session_flags`, given to the
Database by the composition root), so the places that record ticket events need no settings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.routing import ticket_route
from config.settings import Settings
from outbox import Abandon, Defer, OutboxRow, Post, PostKind, Settled, enqueue, page_key, webhook_key
from outbox.http import HttpRequest
from store.models import OutboxMessage, Ticket
from tickets.severity import Severity

WEBHOOKS_ON = "support_bot_webhooks"  # Session.info key: each ticket event owes a webhook row
PAGING_ON = "support_bot_paging"  # Session.info key: a page may be owed (a resolve looks for its trigger)
SIGNATURE_VERSION = "v1"
HTTP_TIMEOUT = 10.0  # seconds for one POST (a webhook receiver or PagerDuty)
PAGE_SOURCE = "support-bot"


class TicketLike(Protocol):
    """The columns of a ticket a webhook shows (a `Ticket`, or a `Row` of the tickets table)."""

    id: int
    channel_id: str
    severity: str | None
    status: str
    assignee_id: str | None
    title: str
    reporter_id: str
    source: str
    created_at: datetime
    thread_ts: str | None
    tier: str | None


def session_flags(settings: Settings) -> dict[str, bool]:
    """The Session.info every write transaction starts with: whether ticket events owe webhooks
    (SUPPORT_WEBHOOK_URL is set) and whether pages may be owed (a PagerDuty routing key is set)."""
    return {WEBHOOKS_ON: settings.webhook_url is not None, PAGING_ON: settings.pagerduty_routing_key is not None}


def ticket_snapshot(ticket: TicketLike) -> dict[str, Any]:
    """The ticket as a webhook shows it, at the moment of the event (times: ISO 8601, UTC)."""
    return {
        "number": ticket.id,
        "channel": ticket.channel_id,
        "severity": ticket.severity,
        "status": ticket.status,
        "assignee": ticket.assignee_id,
        "title": ticket.title,
        "reporter": ticket.reporter_id,
        "source": ticket.source,
        "created_at": ticket.created_at.isoformat(),
        "tier": ticket.tier,
    }


def owe_webhook(
    session: Session, event_type: str, ticket: TicketLike, *, event_id: str, at: datetime, data: dict[str, Any]
) -> None:
    """Owe the webhook of one ticket event, in the caller's transaction (nothing if webhooks are off).

    `event_type`: "created", "message", "status", "severity", "assignee", "area", "resolved" or "rated"
    (sent as "ticket.<type>"); `event_id`: unique and stable for the event (the receiver
    de-duplicates by it, and it is the row's dedupe key); `at`: when it happened; `data`: its details.
    """
    if not session.info.get(WEBHOOKS_ON):
        return
    body = {
        "id": event_id,
        "type": f"ticket.{event_type}",
        "created_at": at.isoformat(),
        "ticket": ticket_snapshot(ticket),
        "data": data,
    }
    enqueue(
        session,
        kind=PostKind.WEBHOOK,
        dedupe_key=webhook_key(event_id),
        now=at,
        ticket_id=ticket.id,
        payload={"body": body},
    )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Support-Signature header's value: "v1=" and the hex HMAC-SHA256 of "{timestamp}.{body}"
    (`timestamp`: unix seconds, as in X-Support-Timestamp; `body`: the exact bytes sent)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


# -- PagerDuty --------------------------------------------------------------------------------------


def dedup_key(ticket_id: int) -> str:
    """PagerDuty's dedup_key for a ticket's page: the trigger and its resolve share it."""
    return f"support-bot-ticket-{ticket_id}"


def page_routing_key(settings: Settings, ticket: TicketLike) -> str | None:
    """The PagerDuty routing key a ticket's page goes to, or None (no paging): its area's key in the
    routing file, else the global SUPPORT_PAGERDUTY_ROUTING_KEY (config.routing.ticket_route).
    Decided when the page is owed and kept in the row, so its resolve goes to the same service."""
    return ticket_route(settings, getattr(ticket, "area", None)).pagerduty_routing_key


def owe_page_trigger(session: Session, ticket: TicketLike, routing_key: str | None, now: datetime) -> None:
    """A Critical ticket passed its first-response target unanswered: owe PagerDuty a `trigger`,
    once per ticket (nothing if `routing_key` is None or the ticket is not Critical)."""
    if routing_key is None or ticket.severity != Severity.CRITICAL.value:
        return
    payload = {
        "event_action": "trigger",
        "routing_key": routing_key,
        "dedup_key": dedup_key(ticket.id),
        "summary": f"Support ticket #{ticket.id} (Critical) has no first response: {ticket.title}"[:1024],
        "custom_details": {**ticket_snapshot(ticket), "breached_at": now.isoformat()},
    }
    enqueue(
        session,
        kind=PostKind.PAGE,
        dedupe_key=page_key("trigger", ticket.id),
        now=now,
        ticket_id=ticket.id,
        payload=payload,
    )


def owe_page_resolve(session: Session, ticket_id: int, now: datetime) -> None:
    """The ticket got its first staff response or was closed: owe PagerDuty a `resolve` for its
    page, once, if a trigger was owed (same routing key and dedup_key). Nothing if paging is off."""
    if not session.info.get(PAGING_ON):
        return
    trigger = session.scalar(
        select(OutboxMessage.payload).where(OutboxMessage.dedupe_key == page_key("trigger", ticket_id))
    )
    if trigger is None:
        return
    payload = {"event_action": "resolve", "routing_key": trigger["routing_key"], "dedup_key": trigger["dedup_key"]}
    enqueue(
        session,
        kind=PostKind.PAGE,
        dedupe_key=page_key("resolve", ticket_id),
        now=now,
        ticket_id=ticket_id,
        payload=payload,
    )


class HookPlans:
    """Plans the outbox rows that go outside Slack: a webhook row (signed now) and a page.

    `webhook`: (URL, secret) or None; `pagerduty_url`: the Events API v2 enqueue URL;
    `permalink(channel_id, ts)`: a Slack link to a message; `clock`: now, UTC.
    """

    def __init__(
        self,
        webhook: tuple[str, str] | None,
        pagerduty_url: str,
        permalink: Callable[[str, str], str],
        clock: Callable[[], datetime],
    ) -> None:
        self._webhook = webhook
        self._pagerduty_url = pagerduty_url
        self._permalink = permalink
        self._clock = clock

    def webhook(self, session: Session, row: OutboxRow) -> Post:
        """The signed POST of a webhook row. Abandon if webhooks have been turned off since."""
        if self._webhook is None:
            raise Abandon("SUPPORT_WEBHOOK_URL is not set any more")
        url, secret = self._webhook
        body = json.dumps(row.payload["body"], separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(self._clock().timestamp())
        headers = {"X-Support-Timestamp": str(timestamp), "X-Support-Signature": sign(secret, timestamp, body)}
        return Post("http", {}, http=HttpRequest(url, body, headers, HTTP_TIMEOUT))

    def page(self, session: Session, row: OutboxRow) -> Post:
        """The Events API v2 POST of a page row. A resolve waits while its trigger is still owed
        (rows are delivered in parallel), and is not sent if the trigger failed for good."""
        payload = row.payload
        event: dict[str, Any] = {
            "routing_key": payload["routing_key"],
            "event_action": payload["event_action"],
            "dedup_key": payload["dedup_key"],
        }
        if payload["event_action"] == "trigger":
            event["payload"] = {
                "summary": payload["summary"],
                "source": PAGE_SOURCE,
                "severity": "critical",
                "timestamp": payload["custom_details"].get("breached_at"),
                "custom_details": payload["custom_details"],
            }
            link = self._thread_link(session, row.ticket_id)
            if link is not None:
                event["links"] = [{"href": link, "text": f"Ticket #{row.ticket_id} in Slack"}]
            event["client"] = PAGE_SOURCE
        else:
            assert row.ticket_id is not None
            trigger = session.scalar(
                select(OutboxMessage.state).where(OutboxMessage.dedupe_key == page_key("trigger", row.ticket_id))
            )
            if trigger == "pending":
                raise Defer("waiting for its trigger", delay=1.0)
            if trigger != "sent":
                raise Settled("its trigger was never sent")
        body = json.dumps(event, separators=(",", ":")).encode()
        return Post("http", {}, http=HttpRequest(self._pagerduty_url, body, {}, HTTP_TIMEOUT))

    def _thread_link(self, session: Session, ticket_id: int | None) -> str | None:
        found = session.execute(select(Ticket.channel_id, Ticket.thread_ts).where(Ticket.id == ticket_id)).first()
        if found is None or found.thread_ts is None:
            return None
        try:
            return self._permalink(found.channel_id, found.thread_ts)
        except Exception:  # noqa: BLE001 - Slack unreachable for auth.test: page without the link
            return None
