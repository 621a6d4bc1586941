"""What each kind of outbox row posts, rendered from the database at delivery time.

Rendering late means a card always shows the ticket as it is now, and a retried update is
harmless (it renders the same state again).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from outbox import (
    CUSTOMER_TICKET_POSTS,
    Abandon,
    Defer,
    OutboxRow,
    Post,
    PostKind,
    checklist_post_prefix,
    ticket_post_key,
)
from services.onboarding import load_checklist
from services.tickets import HEARD_NOTE, severity_of, ticket_info
from slack_api.identity import Directory
from store.db import Row
from store.models import Customer, OutboxMessage, Ticket
from tickets.intake import CONVERSATION_SOURCE
from tickets.severity import Severity
from tickets.sla import sla_state
from ui.blocks import (
    build_channel_gone_note,
    build_channel_question,
    build_heard_note,
    build_rating_request,
    build_reduced_post,
    build_refusal_note,
    build_ticket_ack,
    build_ticket_card,
    build_triage_mirror,
    build_triage_note,
    build_welcome,
)
from ui.onboarding import (
    build_a_team_guidance,
    build_channel_size_warning,
    build_checklist,
    build_nudge,
    build_scaling_checkin,
)

_SLACK_ERROR = re.compile(r"[a-z_]+(\Z|, then )")  # an error code as Slack gives it (not our own Abandon reasons)
# A ticket is read (and its card's or mirror's ts written) for every post about it: prebuilt Core.
_TICKETS = Ticket.__table__
_BY_TICKET_ID = _TICKETS.c.id == bindparam("ticket_id")
_TICKET = select(_TICKETS).where(_BY_TICKET_ID)
_SET_THREAD_TS = update(_TICKETS).where(_BY_TICKET_ID).values(thread_ts=bindparam("ts"))
_SET_TRIAGE_TS = (
    update(_TICKETS).where(_BY_TICKET_ID).values(triage_channel_id=bindparam("channel"), triage_ts=bindparam("ts"))
)


class PostPlanner:
    def __init__(
        self,
        directory: Directory,
        triage_channel: str,
        sla_targets: Mapping[Severity, timedelta],
        clock: Callable[[], datetime],
        oncall: str | None = None,
        followups: Mapping[str, Callable[[dict, dict], None]] | None = None,
    ) -> None:
        self._followups = followups if followups is not None else {}
        self._directory = directory
        self._triage_channel = triage_channel
        self._sla_targets = sla_targets
        self._clock = clock
        self._oncall = oncall

    def _sla_text(self, ticket: Ticket) -> str | None:
        if ticket.sla_due_at is None:
            return None
        return sla_state(
            created_at=ticket.created_at,
            first_response_at=ticket.first_response_at,
            due_at=ticket.sla_due_at,
            now=self._clock(),
        ).text

    def _card(self, ticket: Ticket) -> tuple[str, list]:
        source = self._directory.host().permalink(ticket.channel_id, ticket.source_ts) if ticket.source_ts else None
        return build_ticket_card(ticket_info(ticket), self._sla_text(ticket), source)

    def _link(self, ticket: Ticket) -> str | None:
        return self._directory.host().permalink(ticket.channel_id, ticket.thread_ts) if ticket.thread_ts else None

    def _mirror(
        self, ticket: Ticket, card_error: str | None, refused: tuple[str, str] | None = None
    ) -> tuple[str, list]:
        rating = (ticket.rating, ticket.rating_comment) if ticket.rating else None
        return build_triage_mirror(
            ticket_info(ticket),
            self._link(ticket),
            card_error,
            self._sla_text(ticket),
            rating,
            refused,
            conversation=ticket.source == CONVERSATION_SOURCE,
        )

    @staticmethod
    def _refused_post(session: Session, ticket: Ticket) -> tuple[str, str] | None:
        """(kind, Slack's error) of the latest post in the customer channel about this ticket that
        Slack refused for good, or None. Rows given up for our own reasons (no card) don't count."""
        found = session.execute(
            select(OutboxMessage.kind, OutboxMessage.last_error)
            .where(
                OutboxMessage.ticket_id == ticket.id,
                OutboxMessage.state == "failed",
                OutboxMessage.kind.in_(CUSTOMER_TICKET_POSTS),
            )
            .order_by(OutboxMessage.id.desc())
        ).all()
        for kind, error in found:
            if error and _SLACK_ERROR.match(error):
                return kind, error
        return None

    def __call__(self, session: Session, row: OutboxRow) -> Post:
        """The post that delivers `row` (its kind's plan, `_PLANS`), rendered from the database now.
        Raises Defer while it waits on another post, Abandon if it can never be sent."""
        plan = _PLANS.get(row.kind)
        if plan is None:
            raise Abandon(f"unknown outbox kind {row.kind!r}")
        post = plan(self, session, row)
        if post.method in ("chat.postMessage", "chat.update"):
            post.reduce = build_reduced_post  # what to send instead if Slack refuses it as invalid
        return post

    @staticmethod
    def _ticket(session: Session, row: OutboxRow) -> Ticket:
        """The ticket as a plain read-only object with a Ticket's columns."""
        found = None
        if row.ticket_id is not None:
            found = session.execute(_TICKET, {"ticket_id": row.ticket_id}).mappings().first()
        if found is None:
            raise Abandon(f"ticket {row.ticket_id} not found")
        return Row(_TICKETS, found)  # type: ignore[return-value]

    @staticmethod
    def _card_error(session: Session, ticket: Ticket) -> str | None:
        """Why the ticket card failed for good, or None while it may still be posted."""
        return session.scalar(
            select(OutboxMessage.last_error).where(
                OutboxMessage.dedupe_key == ticket_post_key(PostKind.TICKET_CARD, ticket.id),
                OutboxMessage.state == "failed",
            )
        )

    def _plan_ticket_card(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        text, blocks = self._card(ticket)

        def on_sent(s: Session, ts: str) -> None:
            s.execute(_SET_THREAD_TS, {"ticket_id": ticket.id, "ts": ts})

        return Post(
            "chat.postMessage",
            {"channel": ticket.channel_id, "text": text, "blocks": blocks, "unfurl_links": False},
            on_sent,
            pace_key=ticket.channel_id,
            then=(
                (ticket_post_key(PostKind.TICKET_ACK, ticket.id), ticket.channel_id),
                (ticket_post_key(PostKind.TRIAGE_MIRROR, ticket.id), self._triage_channel),
            ),
        )

    def _plan_ticket_ack(self, session: Session, row: OutboxRow) -> Post:
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

    def _plan_triage_mirror(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        card_error = None
        if ticket.thread_ts is None:
            card_error = self._card_error(session, ticket)
            if card_error is None:
                raise Defer("waiting for the ticket card")
        link = self._directory.host().permalink(ticket.channel_id, ticket.thread_ts) if ticket.thread_ts else None
        text, blocks = build_triage_mirror(
            ticket_info(ticket),
            link,
            card_error,
            refused=self._refused_post(session, ticket),
            conversation=ticket.source == CONVERSATION_SOURCE,
        )

        def on_sent(s: Session, ts: str) -> None:
            s.execute(_SET_TRIAGE_TS, {"ticket_id": ticket.id, "channel": self._triage_channel, "ts": ts})

        return Post(
            "chat.postMessage",
            {"channel": self._triage_channel, "text": text, "blocks": blocks, "unfurl_links": False},
            on_sent,
            pace_key=self._triage_channel,
        )

    def _plan_card_update(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        if ticket.thread_ts is None:
            if self._card_error(session, ticket):
                raise Abandon("the ticket card was never posted")
            raise Defer("waiting for the ticket card")
        text, blocks = self._card(ticket)
        return Post(
            "chat.update", {"channel": ticket.channel_id, "ts": ticket.thread_ts, "text": text, "blocks": blocks}
        )

    def _mirror_failed(self, session: Session, ticket: Ticket) -> bool:
        return (
            session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.dedupe_key == ticket_post_key(PostKind.TRIAGE_MIRROR, ticket.id),
                    OutboxMessage.state == "failed",
                )
            )
            is not None
        )

    def _plan_mirror_update(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        if ticket.triage_ts is None:
            if self._mirror_failed(session, ticket):
                raise Abandon("the triage mirror was never posted")
            raise Defer("waiting for the triage mirror")
        card_error = self._card_error(session, ticket) if ticket.thread_ts is None else None
        text, blocks = self._mirror(ticket, card_error, self._refused_post(session, ticket))
        return Post(
            "chat.update",
            {
                "channel": ticket.triage_channel_id or self._triage_channel,
                "ts": ticket.triage_ts,
                "text": text,
                "blocks": blocks,
            },
        )

    def _plan_rating_request(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        if ticket.thread_ts is None:  # a ticket resolved before its card was out (or it never will be)
            if self._card_error(session, ticket):
                raise Abandon("the ticket card was never posted")
            raise Defer("waiting for the ticket card")
        text, blocks = build_rating_request(ticket_info(ticket))
        return Post(
            "chat.postMessage",
            {"channel": ticket.channel_id, "thread_ts": ticket.thread_ts, "text": text, "blocks": blocks},
            pace_key=ticket.channel_id,
        )

    def _plan_triage_note(self, session: Session, row: OutboxRow) -> Post:
        """A note about a ticket in triage: in the triage card's thread, except escalations, which are
        posted in the channel itself so the on-call person sees them."""
        ticket = self._ticket(session, row)
        note = row.payload["note"]
        top_level = note in ("sla_breach", "next_response_breach")
        if ticket.triage_ts is None and not top_level and not self._mirror_failed(session, ticket):
            raise Defer("waiting for the triage mirror")
        text = build_triage_note(
            note,
            ticket_info(ticket),
            user=row.payload.get("user"),
            oncall=self._oncall,
            sla_text=self._sla_text(ticket),
            thread_link=self._link(ticket),
            count=row.payload.get("count", 0),
        )
        args = {"channel": self._triage_channel, "text": text}
        if ticket.triage_ts and not top_level:
            args["thread_ts"] = ticket.triage_ts
        return Post("chat.postMessage", args, pace_key=self._triage_channel)

    def _plan_post_refused(self, session: Session, row: OutboxRow) -> Post:
        """Triage hears that Slack refused a post: in the ticket's triage thread if it has one."""
        payload = row.payload
        ticket = self._ticket(session, row) if row.ticket_id is not None else None
        if ticket is not None and ticket.triage_ts is None and not self._mirror_failed(session, ticket):
            raise Defer("waiting for the triage mirror")
        text = build_refusal_note(
            payload.get("what", ""),
            payload.get("channel"),
            payload.get("error", ""),
            reduced=bool(payload.get("reduced")),
            ticket_number=ticket.id if ticket is not None else None,
        )
        args = {"channel": self._triage_channel, "text": text}
        if ticket is not None and ticket.triage_ts and payload.get("what") != PostKind.TRIAGE_MIRROR:
            args["thread_ts"] = ticket.triage_ts
        return Post("chat.postMessage", args, pace_key=self._triage_channel)

    def _plan_welcome(self, session: Session, row: OutboxRow) -> Post:
        text, blocks = build_welcome()
        channel = row.payload["channel"]
        return Post("chat.postMessage", {"channel": channel, "text": text, "blocks": blocks}, pace_key=channel)

    def _plan_message(self, session: Session, row: OutboxRow) -> Post:
        """A message to a channel or a user's DM: rendered now from `render`, or given as text/blocks."""
        payload = row.payload
        render = payload.get("render")
        if render is None:
            args = {k: v for k, v in payload.items() if k in ("channel", "text", "blocks", "thread_ts")}
        else:
            text, blocks = self._render(session, render, payload)
            args = {"channel": payload["channel"], "text": text}
            if blocks:
                args["blocks"] = blocks
        return Post("chat.postMessage", args, pace_key=args["channel"])

    def _render(self, session: Session, render: str, payload: dict) -> tuple[str, list | None]:
        if render == "a_team":
            return build_a_team_guidance()
        customer = session.get(Customer, payload.get("customer", ""))
        if customer is None:
            raise Abandon(f"customer {payload.get('customer')} not found")
        if render == "nudge":
            return build_nudge(
                customer.company, customer.channel_id, customer.started_at, payload["number"], payload["max"]
            )
        if render == "scaling":
            return build_scaling_checkin(customer.company, customer.channel_id, payload["number"])
        if render == "size_warning":
            return build_channel_size_warning(customer.channel_id, payload["count"], payload["max"]), None
        raise Abandon(f"unknown message {render!r}")

    def _plan_ephemeral(self, session: Session, row: OutboxRow) -> Post:
        """A note only one user sees in a channel (it is not kept, so it is not paced): given as
        text (with its blocks, if any: ask mode's "Track this as a ticket?" buttons), or rendered
        now (a conversation's "heard" note: its Set severity button only while it has no severity)."""
        payload = row.payload
        args = {"channel": payload["channel"], "user": payload["user"]}
        if payload.get("render") == HEARD_NOTE:
            ticket = self._ticket(session, row)
            args["text"], args["blocks"] = build_heard_note(ticket.id, severity_of(ticket))
        else:
            args["text"] = payload["text"]
            if payload.get("blocks"):
                args["blocks"] = payload["blocks"]
        return Post("chat.postEphemeral", args)

    def _plan_reaction(self, session: Session, row: OutboxRow) -> Post:
        """The bot's reaction on a customer's message: 👀 when it is tracked, ✅ when resolved.
        Already there (or already gone) counts as done; a message deleted since fails quietly."""
        payload = row.payload
        method = "reactions.add" if payload.get("op") == "add" else "reactions.remove"
        return Post(
            method,
            {"channel": payload["channel"], "timestamp": payload["ts"], "name": payload["name"]},
            done_errors=("already_reacted", "no_reaction"),
            quiet=True,
        )

    # -- channels ----------------------------------------------------------------------------------
    def _followup(self, row: OutboxRow) -> Callable[[dict], None]:
        followup = self._followups.get(row.kind)
        if followup is None:
            raise Abandon(f"nothing registered to finish {row.kind!r}")
        return functools.partial(followup, row.payload)

    def _plan_channel_join(self, session: Session, row: OutboxRow) -> Post:
        """The bot joined a channel: read it (shared with another org?), then register it."""
        return Post(
            "conversations.info", {"channel": row.payload["channel"]}, on_answer=self._followup(row), as_form=True
        )

    def _plan_intake(self, session: Session, row: OutboxRow) -> Post:
        """A 🎫 on a message: read the message, then file the ticket (services/filing.complete_intake)."""
        ts = row.payload["ts"]
        args = {"channel": row.payload["channel"], "latest": ts, "oldest": ts, "inclusive": "true", "limit": 1}
        return Post("conversations.history", args, on_answer=self._followup(row), as_form=True)

    def _plan_backfill(self, session: Session, row: OutboxRow) -> Post:
        """A ticket filed from a thread reply: read the thread, then record the messages before it
        (services/backfill.complete_backfill)."""
        args = {"channel": row.payload["channel"], "ts": row.payload["thread_ts"], "limit": 1000}
        return Post("conversations.replies", args, on_answer=self._followup(row), as_form=True)

    def _plan_channel_question(self, session: Session, row: OutboxRow) -> Post:
        """Is it a customer channel? Privately to whoever added the bot, else in triage."""
        channel, user = row.payload["channel"], row.payload.get("user")
        text, blocks = build_channel_question(channel, user)
        if user:
            return Post("chat.postEphemeral", {"channel": channel, "user": user, "text": text, "blocks": blocks})
        args = {"channel": self._triage_channel, "text": text, "blocks": blocks}
        return Post("chat.postMessage", args, pace_key=self._triage_channel)

    def _plan_channel_gone(self, session: Session, row: OutboxRow) -> Post:
        """A customer channel was archived, left or deleted: which tickets were open there."""
        payload = row.payload
        ids = [int(i) for i in payload.get("tickets") or []]
        found = session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)).all() if ids else []
        text = build_channel_gone_note(
            payload["channel"], payload.get("name") or "", payload.get("reason") or "", [ticket_info(t) for t in found]
        )
        return Post("chat.postMessage", {"channel": self._triage_channel, "text": text}, pace_key=self._triage_channel)

    @staticmethod
    def _customer(session: Session, row: OutboxRow) -> Customer:
        customer = session.get(Customer, row.payload.get("channel", ""))
        if customer is None:
            raise Abandon(f"no onboarding in {row.payload.get('channel')}")
        return customer

    def _plan_checklist_post(self, session: Session, row: OutboxRow) -> Post:
        customer = self._customer(session, row)
        text, blocks = build_checklist(
            customer.company, load_checklist(session, customer.channel_id), customer.started_at
        )
        channel_id = customer.channel_id

        def on_sent(s: Session, ts: str) -> None:
            s.get(Customer, channel_id).checklist_ts = ts  # type: ignore[union-attr]

        return Post(
            "chat.postMessage", {"channel": channel_id, "text": text, "blocks": blocks}, on_sent, pace_key=channel_id
        )

    def _plan_checklist_update(self, session: Session, row: OutboxRow) -> Post:
        customer = self._customer(session, row)
        if customer.checklist_ts is None:
            waiting = session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.kind == PostKind.CHECKLIST_POST,
                    OutboxMessage.state == "pending",
                    OutboxMessage.payload.is_not(None),
                    OutboxMessage.dedupe_key.startswith(checklist_post_prefix(customer.channel_id)),
                )
            )
            if waiting is not None:
                raise Defer("waiting for the checklist post")
            # No post pending: either it never will be, or it was sent and committed after the
            # customer row above was read (PostgreSQL reads each statement's latest commit).
            session.refresh(customer)
            if customer.checklist_ts is None:
                raise Abandon("the checklist was never posted")
        text, blocks = build_checklist(
            customer.company, load_checklist(session, customer.channel_id), customer.started_at
        )
        return Post(
            "chat.update", {"channel": customer.channel_id, "ts": customer.checklist_ts, "text": text, "blocks": blocks}
        )


# Each kind of row and the plan that delivers it.
_PLANS: Mapping[str, Callable[[PostPlanner, Session, OutboxRow], Post]] = MappingProxyType(
    {
        PostKind.TICKET_CARD: PostPlanner._plan_ticket_card,
        PostKind.TICKET_ACK: PostPlanner._plan_ticket_ack,
        PostKind.TRIAGE_MIRROR: PostPlanner._plan_triage_mirror,
        PostKind.CARD_UPDATE: PostPlanner._plan_card_update,
        PostKind.MIRROR_UPDATE: PostPlanner._plan_mirror_update,
        PostKind.RATING_REQUEST: PostPlanner._plan_rating_request,
        PostKind.TRIAGE_NOTE: PostPlanner._plan_triage_note,
        PostKind.POST_REFUSED: PostPlanner._plan_post_refused,
        PostKind.WELCOME: PostPlanner._plan_welcome,
        PostKind.MESSAGE: PostPlanner._plan_message,
        PostKind.EPHEMERAL: PostPlanner._plan_ephemeral,
        PostKind.CHANNEL_JOIN: PostPlanner._plan_channel_join,
        PostKind.INTAKE: PostPlanner._plan_intake,
        PostKind.REACTION: PostPlanner._plan_reaction,
        PostKind.BACKFILL: PostPlanner._plan_backfill,
        PostKind.CHANNEL_QUESTION: PostPlanner._plan_channel_question,
        PostKind.CHANNEL_GONE: PostPlanner._plan_channel_gone,
        PostKind.CHECKLIST_POST: PostPlanner._plan_checklist_post,
        PostKind.CHECKLIST_UPDATE: PostPlanner._plan_checklist_update,
    }
)
if set(_PLANS) != set(PostKind):  # a kind nobody can deliver would only fail at its first post
    raise RuntimeError(f"outbox kinds without a plan: {sorted(set(PostKind) - set(_PLANS))}")
