"""What each kind of outbox row posts, rendered from the database at delivery time.

Rendering late means a card always shows the ticket as it is now, and a retried update is
harmless (it renders the same state again).

A burst of triage mirrors becomes one summary post (outbox/batching.py has the rule and the
design): `_plan_triage_mirror` lists the ticket in a summary instead of posting its card
(`_join_summary`); `_plan_triage_summary` posts and re-renders summaries; a listed ticket's mirror
updates re-render its summary, and its notes go in the summary's thread (`_triage_thread`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import Session

from config.routing import Route, find_tier, tier_plan
from onboarding.customer import PLAN_LABELS, Plan
from outbox import (
    CUSTOMER_TICKET_POSTS,
    Abandon,
    Defer,
    OutboxRow,
    Post,
    PostKind,
    Settled,
    checklist_post_prefix,
    enqueue,
    summary_update_key,
    ticket_post_key,
    triage_summary_key,
    triage_summary_prefix,
)
from outbox.batching import (
    SUMMARY_MAX_ITEMS,
    SUMMARY_UPDATE_EVERY,
    LatestSummary,
    place,
    update_bucket,
)
from services.assignment import ASSIGNED_DM, plan_assignment
from services.hooks import HookPlans
from services.onboarding import load_checklist
from services.tickets import CLOSED, HEARD_NOTE, SlaPolicy, severity_of, ticket_info
from slack_api.identity import Directory
from store.db import Row, insert_new_key
from store.models import Customer, OutboxMessage, Ticket, TriageBatch
from tickets.intake import CONVERSATION_SOURCE, HEARD_EMOJI, RESOLVED_EMOJI
from tickets.pending import PendingStep
from tickets.rules import Status
from tickets.severity import Severity
from tickets.sla import sla_state
from ui.blocks import (
    build_assigned_dm,
    build_channel_gone_note,
    build_channel_question,
    build_heard_note,
    build_moved_pointer,
    build_rating_request,
    build_reduced_post,
    build_refusal_note,
    build_ticket_ack,
    build_ticket_card,
    build_triage_mirror,
    build_triage_note,
    build_welcome,
)
from ui.messages import pending_closed, pending_reminder
from ui.onboarding import (
    build_a_team_guidance,
    build_channel_size_warning,
    build_checklist,
    build_nudge,
    build_scaling_checkin,
)
from ui.triage_summary import SummaryItem, build_triage_summary

_SLACK_ERROR = re.compile(r"[a-z_]+(\Z|, then )")  # an error code as Slack gives it (not our own Abandon reasons)
# A ticket is read (and its card's or mirror's ts written) for every post about it: prebuilt Core.
_TICKETS = Ticket.__table__
_BY_TICKET_ID = _TICKETS.c.id == bindparam("ticket_id")
_TICKET = select(_TICKETS).where(_BY_TICKET_ID)
_SET_THREAD_TS = update(_TICKETS).where(_BY_TICKET_ID).values(thread_ts=bindparam("ts"))
_SET_TRIAGE_TS = (
    update(_TICKETS).where(_BY_TICKET_ID).values(triage_channel_id=bindparam("channel"), triage_ts=bindparam("ts"))
)
# Triage summaries (outbox/batching.py).
_OUTBOX = OutboxMessage.__table__
_BATCHES = TriageBatch.__table__
_BY_BATCH_ID = _BATCHES.c.id == bindparam("batch")
# Triage mirrors waiting to go out (their ticket has its customer thread), by the tickets' area:
# each triage channel counts its own (a burst for one team must not fold another's cards).
_WAITING_MIRRORS = (
    select(_TICKETS.c.area, func.count())
    .select_from(_OUTBOX.join(_TICKETS, _TICKETS.c.id == _OUTBOX.c.ticket_id))
    .where(
        _OUTBOX.c.kind == PostKind.TRIAGE_MIRROR.value,
        _OUTBOX.c.state == "pending",
        _TICKETS.c.thread_ts.is_not(None),
    )
    .group_by(_TICKETS.c.area)
)
_LATEST_BATCH = (
    select(_BATCHES.c.id, _BATCHES.c.seq, _BATCHES.c.item_count, _BATCHES.c.last_joined_at)
    .where(_BATCHES.c.channel_id == bindparam("channel"))
    .order_by(_BATCHES.c.seq.desc())
    .limit(1)
)
_BATCH_BY_SEQ = select(_BATCHES.c.id).where(
    _BATCHES.c.channel_id == bindparam("channel"), _BATCHES.c.seq == bindparam("seq")
)
# Each change to show locks the summary's row (UPDATE) before it looks for a pending render.
_JOIN_BATCH = (
    update(_BATCHES)
    .where(_BY_BATCH_ID, _BATCHES.c.item_count < SUMMARY_MAX_ITEMS)
    .values(item_count=_BATCHES.c.item_count + 1, version=_BATCHES.c.version + 1, last_joined_at=bindparam("at"))
    .returning(_BATCHES.c.rendered_at)
)
_BUMP_BATCH = (
    update(_BATCHES).where(_BY_BATCH_ID).values(version=_BATCHES.c.version + 1).returning(_BATCHES.c.rendered_at)
)
_BATCH_SHOWN = (
    update(_BATCHES)
    .where(_BY_BATCH_ID)
    .values(
        ts=func.coalesce(_BATCHES.c.ts, bindparam("ts")),
        shown_version=case(
            (_BATCHES.c.shown_version < bindparam("shown"), bindparam("shown")), else_=_BATCHES.c.shown_version
        ),
        rendered_at=bindparam("at"),
    )
    .returning(_BATCHES.c.version, _BATCHES.c.shown_version)
)
# A listed ticket's triage message is its summary (triage_ts stays NULL until the summary is out).
_SET_TICKET_BATCH = (
    update(_TICKETS)
    .where(_BY_TICKET_ID)
    .values(
        triage_batch_id=bindparam("batch"),
        triage_channel_id=bindparam("channel"),
        triage_ts=select(_BATCHES.c.ts).where(_BY_BATCH_ID).scalar_subquery(),
    )
)
_SET_BATCH_TICKETS_TS = (
    update(_TICKETS)
    .where(_TICKETS.c.triage_batch_id == bindparam("batch"), _TICKETS.c.triage_ts.is_(None))
    .values(triage_ts=bindparam("ts"))
)


class PostPlanner:
    def __init__(
        self,
        directory: Directory,
        triage_channel: str,
        sla: SlaPolicy,
        clock: Callable[[], datetime],
        oncall: str | None = None,
        followups: Mapping[str, Callable[[dict, dict], None]] | None = None,
        hooks: HookPlans | None = None,
        route: Callable[[str | None], Route] | None = None,
        movable: bool = False,
    ) -> None:
        self._movable = movable  # product areas exist: triage cards offer "Move to…"
        self._hooks = hooks
        # A ticket's route from its area (config.routing.ticket_route); none given: one route for all.
        self._route = route or (lambda area: Route(triage_channel, oncall))
        self._followups = followups if followups is not None else {}
        self._directory = directory
        self._triage_channel = triage_channel
        self._sla = sla  # the response targets, per tier: what the acknowledgement quotes
        self._clock = clock

    def triage_channel_of(self, ticket: Ticket) -> str:
        """The triage channel of this ticket: its area's (the routing file), else the default one."""
        return self._route(ticket.area).channel

    def _tier(self, ticket: Ticket) -> tuple[Plan | None, bool]:
        """(the plan, onboarding?) of the tier whose targets the ticket's clocks run on; (None,
        False): the global targets (no tier, or one no longer in the routing file)."""
        tier = find_tier(self._sla.tiers, ticket.tier)
        if tier is None:
            return None, False
        plan = tier_plan(tier.name)
        return plan, plan is None  # a tier that is no plan is the onboarding one (config.routing)

    def _tier_label(self, ticket: Ticket) -> str | None:
        """The triage card's short word on the ticket's tier: "Enterprise plan", "Onboarding", or None."""
        plan, onboarding = self._tier(ticket)
        if onboarding:
            return "Onboarding"
        return None if plan is None else f"{PLAN_LABELS[plan]} plan"

    def _sla_text(self, ticket: Ticket) -> str | None:
        """The card's "First response" line; none for a ticket closed before anyone answered
        (it read "first response due in 7 h" on a conversation closed as not a ticket)."""
        if ticket.sla_due_at is None or (ticket.first_response_at is None and ticket.status in CLOSED):
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
            movable=self._movable,
            tier=self._tier_label(ticket),
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
                # Due at once, not at triage's next free slot: its plan decides first whether it
                # goes into a summary (a burst), and is paced only if it is posted on its own.
                (ticket_post_key(PostKind.TRIAGE_MIRROR, ticket.id), None),
            ),
        )

    def _plan_ticket_ack(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        if ticket.thread_ts is None:
            if self._card_error(session, ticket):
                raise Abandon("the ticket card was never posted, so there is no thread to answer in")
            raise Defer("waiting for the ticket card")
        info = ticket_info(ticket)
        target = self._sla.for_tier(ticket.tier).first_response_target(info.severity)
        plan, onboarding = self._tier(ticket)
        text = build_ticket_ack(info, target, PLAN_LABELS[plan] if plan is not None else None, onboarding)
        return Post(
            "chat.postMessage",
            {"channel": ticket.channel_id, "thread_ts": ticket.thread_ts, "text": text},
            pace_key=ticket.channel_id,
        )

    def _plan_triage_mirror(self, session: Session, row: OutboxRow) -> Post:
        ticket = self._ticket(session, row)
        channel = self.triage_channel_of(ticket)
        if ticket.triage_ts is not None and ticket.triage_channel_id == channel:
            # Moved twice before the first move's card was out: every owed card would go to the
            # latest area's channel, and the first one out is its card.
            raise Settled(f"ticket {ticket.id} has its triage card in {channel} already")
        card_error = None
        if ticket.thread_ts is None:
            card_error = self._card_error(session, ticket)
            if card_error is None:
                raise Defer("waiting for the ticket card")
        # A burst: listed in a summary instead. Never a Critical ticket (its card pings the channel),
        # one whose card failed (its mirror says so), nor a retry (an earlier attempt may have
        # reached Slack: delivery finds that card rather than post it again).
        if card_error is None and ticket.severity != Severity.CRITICAL and row.attempts == 0:
            batch_id = self._join_summary(session, ticket)
            if batch_id is not None:
                raise Settled(f"ticket {ticket.id} is listed in triage summary {batch_id}")
        link = self._directory.host().permalink(ticket.channel_id, ticket.thread_ts) if ticket.thread_ts else None
        text, blocks = build_triage_mirror(
            ticket_info(ticket),
            link,
            card_error,
            refused=self._refused_post(session, ticket),
            conversation=ticket.source == CONVERSATION_SOURCE,
            movable=self._movable,
            tier=self._tier_label(ticket),
        )

        def on_sent(s: Session, ts: str) -> None:
            s.execute(_SET_TRIAGE_TS, {"ticket_id": ticket.id, "channel": channel, "ts": ts})

        return Post(
            "chat.postMessage",
            {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False},
            on_sent,
            pace_key=channel,
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
        if ticket.triage_batch_id is not None:
            self._summary_changed(session, ticket.triage_batch_id)
            raise Settled(f"ticket {ticket.id} is listed in triage summary {ticket.triage_batch_id}: it is re-rendered")
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

    def _plan_mirror_moved(self, session: Session, row: OutboxRow) -> Post:
        """A ticket moved to another area: its old triage card (payload channel, ts) now points to
        the new area's channel (payload "to") and names who moved it (payload "by")."""
        ticket = self._ticket(session, row)
        payload = row.payload
        text, blocks = build_moved_pointer(ticket.id, ticket.title, payload["to"], payload["by"])
        return Post("chat.update", {"channel": payload["channel"], "ts": payload["ts"], "text": text, "blocks": blocks})

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

    def _plan_pending_note(self, session: Session, row: OutboxRow) -> Post:
        """A ticket waiting on the customer: the reminder (not sent if they have replied since it was
        owed) or the note that it was closed for want of a reply, in the ticket's thread."""
        ticket = self._ticket(session, row)
        note = row.payload.get("note")
        if ticket.thread_ts is None:
            if self._card_error(session, ticket):
                raise Abandon("the ticket card was never posted")
            raise Defer("waiting for the ticket card")
        if note == PendingStep.REMIND:
            if ticket.status != Status.WAITING_ON_CUSTOMER.value:
                raise Settled(f"ticket {ticket.id} is {ticket.status} now: no reminder")
            text = pending_reminder(ticket.id, ticket.reporter_id, timedelta(seconds=row.payload["closes_in"]))
        elif note == PendingStep.CLOSE:
            text = pending_closed(ticket.id, ticket.reporter_id, timedelta(seconds=row.payload["waited"]))
        else:
            raise Abandon(f"unknown pending note {note!r}")
        return Post(
            "chat.postMessage",
            {"channel": ticket.channel_id, "thread_ts": ticket.thread_ts, "text": text},
            pace_key=ticket.channel_id,
        )

    def _plan_triage_note(self, session: Session, row: OutboxRow) -> Post:
        """A note about a ticket in triage: in the triage card's thread, except escalations, which are
        posted in the channel itself so the on-call person sees them."""
        ticket = self._ticket(session, row)
        note = row.payload["note"]
        top_level = note in ("sla_breach", "next_response_breach")
        thread = None if top_level else self._triage_thread(session, ticket)
        text = build_triage_note(
            note,
            ticket_info(ticket),
            user=row.payload.get("user"),
            oncall=self._route(ticket.area).oncall,
            sla_text=self._sla_text(ticket),
            thread_link=self._link(ticket),
            count=row.payload.get("count", 0),
            problem=row.payload.get("problem"),
        )
        channel = self.triage_channel_of(ticket)
        args = {"channel": channel, "text": text}
        if thread:
            args["thread_ts"] = thread
        return Post("chat.postMessage", args, pace_key=channel)

    def _plan_post_refused(self, session: Session, row: OutboxRow) -> Post:
        """Triage hears that Slack refused a post: in the ticket's triage thread if it has one."""
        payload = row.payload
        ticket = self._ticket(session, row) if row.ticket_id is not None else None
        thread = self._triage_thread(session, ticket) if ticket is not None else None
        text = build_refusal_note(
            payload.get("what", ""),
            payload.get("channel"),
            payload.get("error", ""),
            reduced=bool(payload.get("reduced")),
            ticket_number=ticket.id if ticket is not None else None,
        )
        channel = self.triage_channel_of(ticket) if ticket is not None else self._triage_channel
        args = {"channel": channel, "text": text}
        if thread and payload.get("what") != PostKind.TRIAGE_MIRROR:
            args["thread_ts"] = thread
        return Post("chat.postMessage", args, pace_key=channel)

    # -- triage summaries (a burst; outbox/batching.py) ----------------------------------------------
    def _triage_thread(self, session: Session, ticket: Ticket) -> str | None:
        """The triage thread notes about the ticket go in: its card's, or its summary's (either is
        `triage_ts` once out). None: top level (neither was ever posted). Raises Defer while the
        one it will have is on its way."""
        if ticket.triage_ts:
            return ticket.triage_ts
        if ticket.triage_batch_id is not None:
            ts = session.scalar(select(_BATCHES.c.ts).where(_BATCHES.c.id == ticket.triage_batch_id))
            if ts:
                return ts
            if self._summary_post_failed(session, ticket.triage_batch_id):
                return None
            raise Defer("waiting for the triage summary")
        if self._mirror_failed(session, ticket):
            return None
        raise Defer("waiting for the triage mirror")

    @staticmethod
    def _summary_post_failed(session: Session, batch_id: int) -> bool:
        return (
            session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.dedupe_key == triage_summary_key(batch_id), OutboxMessage.state == "failed"
                )
            )
            is not None
        )

    def _join_summary(self, session: Session, ticket: Ticket) -> int | None:
        """List the ticket in a triage summary if triage is in a burst (`batching.place`): the id of
        that summary, or None (the ticket gets its own card). In the mirror row's claim."""
        now = self._clock()
        channel = self.triage_channel_of(ticket)
        waiting = sum(n for area, n in session.execute(_WAITING_MIRRORS) if self._route(area).channel == channel)
        found = session.execute(_LATEST_BATCH, {"channel": channel}).first()
        placement = place(waiting, LatestSummary(*found) if found is not None else None, now)
        if placement is None:
            return None
        batch_id, seq = placement.batch_id, placement.seq
        for _ in range(3):  # a summary that filled up meanwhile: the next one
            if batch_id is None:
                values = {
                    "channel_id": channel,
                    "seq": seq,
                    "opened_at": now,
                    "last_joined_at": now,
                    "item_count": 0,
                    "version": 0,
                    "shown_version": 0,
                }
                batch_id = insert_new_key(session, TriageBatch, values)
                if batch_id is not None:  # opened here: this transaction owes its one post
                    key = triage_summary_key(batch_id)
                    enqueue(session, kind=PostKind.TRIAGE_SUMMARY, dedupe_key=key, now=now, payload={"batch": batch_id})
                else:  # another worker or replica opened it first (its insert waited for theirs)
                    batch_id = session.scalar(_BATCH_BY_SEQ, {"channel": channel, "seq": seq})
            joined = session.execute(_JOIN_BATCH, {"batch": batch_id, "at": now}).first()
            if joined is not None:
                params = {"ticket_id": ticket.id, "batch": batch_id, "channel": channel}
                session.execute(_SET_TICKET_BATCH, params)
                self._owe_summary_render(session, batch_id, joined[0], now)
                return batch_id
            batch_id, seq = None, seq + 1
        return None

    def _summary_changed(self, session: Session, batch_id: int) -> None:
        """Something a summary shows changed (a listed ticket was taken, resolved...): re-render it."""
        bumped = session.execute(_BUMP_BATCH, {"batch": batch_id}).first()
        if bumped is not None:
            self._owe_summary_render(session, batch_id, bumped[0], self._clock())

    @staticmethod
    def _owe_summary_render(session: Session, batch_id: int, rendered_at: datetime | None, now: datetime) -> None:
        """Owe the summary an update unless a render of it is pending already; due no sooner than
        SUMMARY_UPDATE_EVERY after its latest. Called holding the summary's row lock (see
        outbox/batching.py), so a render being sent right now records its version after this."""
        pending = session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == "pending",
                OutboxMessage.kind.in_((PostKind.TRIAGE_SUMMARY, PostKind.SUMMARY_UPDATE)),
                OutboxMessage.dedupe_key.startswith(triage_summary_prefix(batch_id)),
            )
            .limit(1)
        )
        if pending is not None:
            return
        due = max(now, rendered_at + SUMMARY_UPDATE_EVERY) if rendered_at is not None else now
        bucket = update_bucket(due)
        for later in range(4):  # that bucket's update was sent already: the next bucket's
            key = summary_update_key(batch_id, bucket + later)
            payload = {"batch": batch_id}
            if enqueue(session, kind=PostKind.SUMMARY_UPDATE, dedupe_key=key, now=now, payload=payload, due_at=due):
                return

    def _summary_items(self, session: Session, batch_id: int) -> list[SummaryItem]:
        tickets = [
            Row(_TICKETS, found)
            for found in session.execute(
                select(_TICKETS).where(_TICKETS.c.triage_batch_id == batch_id).order_by(_TICKETS.c.id)
            ).mappings()
        ]
        refused = self._refused_posts(session, [t.id for t in tickets])
        return [
            SummaryItem(ticket_info(t), self._link(t), refused.get(t.id))  # type: ignore[arg-type]
            for t in tickets
        ]

    @staticmethod
    def _refused_posts(session: Session, ticket_ids: list[int]) -> dict[int, tuple[str, str]]:
        """Per ticket, (kind, Slack's error) of its latest customer-channel post Slack refused for good."""
        if not ticket_ids:
            return {}
        found = session.execute(
            select(OutboxMessage.ticket_id, OutboxMessage.kind, OutboxMessage.last_error)
            .where(
                OutboxMessage.ticket_id.in_(ticket_ids),
                OutboxMessage.state == "failed",
                OutboxMessage.kind.in_(CUSTOMER_TICKET_POSTS),
            )
            .order_by(OutboxMessage.id)
        ).all()
        return {ticket_id: (kind, error) for ticket_id, kind, error in found if error and _SLACK_ERROR.match(error)}

    def _plan_triage_summary(self, session: Session, row: OutboxRow) -> Post:
        """A triage summary's post (TRIAGE_SUMMARY) or update (SUMMARY_UPDATE), listing every
        ticket in it now. Once Slack has it, `_summary_shown` records the version it showed."""
        batch_id = int(row.payload["batch"])
        batch = session.execute(select(_BATCHES).where(_BATCHES.c.id == batch_id)).mappings().first()
        if batch is None:
            raise Abandon(f"triage summary {batch_id} not found")
        version = batch["version"]  # read before the items: a change after it owes another render
        text, blocks = build_triage_summary(self._summary_items(session, batch_id))
        channel = batch["channel_id"]
        # A retry may find the post an earlier attempt left in Slack (an older render): then
        # record nothing as shown, so an update follows.
        shown = version if row.attempts == 0 else 0

        def on_sent(s: Session, ts: str) -> None:
            self._summary_shown(s, batch_id, ts, shown)

        if row.kind == PostKind.TRIAGE_SUMMARY:
            args = {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}
            return Post("chat.postMessage", args, on_sent, pace_key=channel)
        if batch["ts"] is None:
            if self._summary_post_failed(session, batch_id):
                raise Abandon("the triage summary was never posted")
            raise Defer("waiting for the triage summary")
        return Post("chat.update", {"channel": channel, "ts": batch["ts"], "text": text, "blocks": blocks}, on_sent)

    def _summary_shown(self, session: Session, batch_id: int, ts: str, version: int) -> None:
        """Slack shows the summary at `version`: record it (and its ts), under the summary's row
        lock; if something changed since that render read it, owe another."""
        now = self._clock()
        found = session.execute(
            _BATCH_SHOWN, {"batch": batch_id, "ts": ts or None, "shown": version, "at": now}
        ).first()
        if ts:  # the listed tickets' triage message (those that joined before it was out)
            session.execute(_SET_BATCH_TICKETS_TS, {"batch": batch_id, "ts": ts})
        if found is not None and found[0] > found[1]:
            self._owe_summary_render(session, batch_id, now, now)

    def _plan_welcome(self, session: Session, row: OutboxRow) -> Post:
        text, blocks = build_welcome()
        channel = row.payload["channel"]
        return Post("chat.postMessage", {"channel": channel, "text": text, "blocks": blocks}, pace_key=channel)

    def _plan_message(self, session: Session, row: OutboxRow) -> Post:
        """A message to a channel or a user's DM: rendered now from `render`, or given as text/blocks."""
        payload = row.payload
        render = payload.get("render")
        if render == ASSIGNED_DM:
            return self._plan_assigned_dm(session, row)
        if render is None:
            args = {k: v for k, v in payload.items() if k in ("channel", "text", "blocks", "thread_ts")}
        else:
            text, blocks = self._render(session, render, payload)
            args = {"channel": payload["channel"], "text": text}
            if blocks:
                args["blocks"] = blocks
        return Post("chat.postMessage", args, pace_key=args["channel"])

    def _plan_assigned_dm(self, session: Session, row: OutboxRow) -> Post:
        """The DM to the person the bot assigned a ticket to (payload "channel": their user id,
        "reason": the policy), with the link to the ticket's thread once its card is out. Not
        sent if the ticket has been given to someone else since."""
        ticket = self._ticket(session, row)
        user = row.payload["channel"]
        if ticket.assignee_id != user:
            raise Settled(f"ticket {ticket.id} is not {user}'s any more")
        if ticket.thread_ts is None and self._card_error(session, ticket) is None:
            raise Defer("waiting for the ticket card")
        text = build_assigned_dm(ticket_info(ticket), self._link(ticket), row.payload.get("reason", ""))
        return Post("chat.postMessage", {"channel": user, "text": text}, pace_key=user)

    def _plan_assign(self, session: Session, row: OutboxRow) -> Post:
        """A ticket's automatic assignment (services/assignment.py): the Slack read that names who
        may get it; its answer completes the assignment."""
        ticket = self._ticket(session, row)
        finish = self._followups.get(PostKind.ASSIGN)
        if finish is None:
            raise Abandon("nothing registered to finish an assignment")
        return plan_assignment(session, row, ticket, self._route(ticket.area), finish, self._clock())

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
        if row.ticket_id is not None:
            ticket = self._ticket(session, row)
            wanted = _reactions_wanted(ticket.status).get(payload["name"])
            if wanted is not None and wanted != (payload.get("op") == "add"):
                # Superseded: the conversation has moved on since this row was owed (a 👀 held back
                # by a 429 while staff resolved it). Its later rows set the state it is in now.
                raise Settled(f"{payload['op']} {payload['name']}: the conversation is {ticket.status} now")
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

    def _plan_webhook(self, session: Session, row: OutboxRow) -> Post:
        if self._hooks is None:
            raise Abandon("webhooks are not configured")
        return self._hooks.webhook(session, row)

    def _plan_page(self, session: Session, row: OutboxRow) -> Post:
        if self._hooks is None:
            raise Abandon("paging is not configured")
        return self._hooks.page(session, row)


def _reactions_wanted(status: str) -> dict[str, bool]:
    """Which of the bot's reactions a conversation in `status` shows: 👀 while open, ✅ once resolved."""
    return {HEARD_EMOJI: status not in CLOSED, RESOLVED_EMOJI: status == Status.RESOLVED.value}


# Each kind of row and the plan that delivers it.
_PLANS: Mapping[str, Callable[[PostPlanner, Session, OutboxRow], Post]] = MappingProxyType(
    {
        PostKind.TICKET_CARD: PostPlanner._plan_ticket_card,
        PostKind.TICKET_ACK: PostPlanner._plan_ticket_ack,
        PostKind.TRIAGE_MIRROR: PostPlanner._plan_triage_mirror,
        PostKind.CARD_UPDATE: PostPlanner._plan_card_update,
        PostKind.MIRROR_UPDATE: PostPlanner._plan_mirror_update,
        PostKind.MIRROR_MOVED: PostPlanner._plan_mirror_moved,
        PostKind.RATING_REQUEST: PostPlanner._plan_rating_request,
        PostKind.PENDING_NOTE: PostPlanner._plan_pending_note,
        PostKind.TRIAGE_NOTE: PostPlanner._plan_triage_note,
        PostKind.POST_REFUSED: PostPlanner._plan_post_refused,
        PostKind.TRIAGE_SUMMARY: PostPlanner._plan_triage_summary,
        PostKind.SUMMARY_UPDATE: PostPlanner._plan_triage_summary,
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
        PostKind.WEBHOOK: PostPlanner._plan_webhook,
        PostKind.PAGE: PostPlanner._plan_page,
        PostKind.ASSIGN: PostPlanner._plan_assign,
    }
)
if set(_PLANS) != set(PostKind):  # a kind nobody can deliver would only fail at its first post
    raise RuntimeError(f"outbox kinds without a plan: {sorted(set(PostKind) - set(_PLANS))}")
