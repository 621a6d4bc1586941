"""What each scheduled job does when it fires: one transaction, then the alarms are re-pointed."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from outbox import enqueue_triage_note
from scheduling.scheduler import Timer
from services.deps import Deps
from services.digest import DIGEST_JOB, DIGEST_JOB_ID, enqueue_digest
from services.hooks import owe_page_trigger, page_routing_key
from services.onboarding import (
    NUDGE_JOB,
    SCALING_JOB,
    all_timers,
    send_dashboard_nudge,
    send_scaling_checkin,
)
from services.tickets import (
    CLOSED,
    CRITICAL_UPDATE_JOB,
    NEXT_BREACH_JOB,
    NEXT_WARN_JOB,
    PENDING_CLOSE_JOB,
    PENDING_REMIND_JOB,
    SETTLE_AUTHORS_JOB,
    SETTLE_AUTHORS_PREFIX,
    SLA_BREACH_JOB,
    SLA_WARN_JOB,
    close_waiting_ticket,
    customer_channel,
    lock_ticket,
    open_ticket_timers,
    remind_waiting_customer,
    request_card_update,
    settle_reply_author,
    tickets_with_unsettled_replies,
    unsettled_replies,
)
from store.models import Ticket
from tickets.pending import PendingStep, pending_step
from tickets.rules import Status

log = logging.getLogger(__name__)
TICKET_JOBS = (SLA_WARN_JOB, SLA_BREACH_JOB, CRITICAL_UPDATE_JOB, NEXT_WARN_JOB, NEXT_BREACH_JOB)
# Alarms that page or warn about a missing staff reply: a reply whose author was unknown may be it.
_RESPONSE_JOBS = (SLA_WARN_JOB, SLA_BREACH_JOB, NEXT_WARN_JOB, NEXT_BREACH_JOB)
PENDING_JOBS = (PENDING_REMIND_JOB, PENDING_CLOSE_JOB)


class TimerJobs:
    """The scheduled jobs' work: called with a job's kind and parameters when its alarm fires
    (a `scheduling.jobs.JobRunner`), plus the leader's digest schedule and alarm reconcile."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def __call__(self, kind: str, params: dict[str, Any]) -> None:
        if kind == DIGEST_JOB:
            self.digest()
            return
        if kind in TICKET_JOBS:
            self._ticket_timer(kind, int(params["ticket_id"]))
            return
        if kind in PENDING_JOBS:
            self.pending_timer(int(params["ticket_id"]))
            return
        if kind == SETTLE_AUTHORS_JOB:
            self.settle_reply_authors(int(params["ticket_id"]), int(params.get("attempt", 1)))
            return
        deps = self._deps
        channel_id, number = params.get("channel_id", ""), int(params.get("number", 0))
        now = deps.clock()
        with deps.db.transaction() as session:
            if kind == NUDGE_JOB:
                customer = send_dashboard_nudge(
                    session, channel_id=channel_id, number=number, policy=deps.reminder_policy, now=now
                )
            elif kind == SCALING_JOB:
                customer = send_scaling_checkin(session, channel_id=channel_id, number=number, now=now)
            else:
                log.error("unknown job kind %r", kind)
                return
        if customer is not None:
            deps.sync_customer_timers(customer)

    def settle_reply_authors(self, ticket_id: int, attempt: int | None) -> bool:
        """Look up the authors of the ticket's replies recorded as "author unknown" and apply each
        one Slack now names (a staff reply dates the first response to its own ts). If some are
        still unknown, try again later (`attempt` None: don't). True if none is left unknown."""
        deps = self._deps
        with deps.db.session() as session:
            pending = unsettled_replies(session, ticket_id)
        if not pending:
            return True
        decided: dict[str, bool] = {}
        for ts, user_id in pending:
            author = deps.directory.identify(user_id)
            if author.known:
                decided[ts] = author.is_staff
        if decided:
            with deps.db.transaction() as session:
                ticket = lock_ticket(session, ticket_id)
                if ticket is None:
                    return True
                for ts, from_staff in decided.items():
                    settle_reply_author(
                        session, ticket, ts=ts, from_staff=from_staff, now=deps.clock(), sla=deps.sla_policy
                    )
            deps.sync_ticket_timers(ticket)
        if len(decided) == len(pending):
            return True
        if attempt is not None:
            deps.settle_reply_authors_later(ticket_id, attempt + 1)
        return False

    def _ticket_timer(self, kind: str, ticket_id: int) -> None:
        """SLA warning or breach, next-response warning or breach, Critical update reminder: each
        re-checks the ticket, acts at most once."""
        deps = self._deps
        if kind in _RESPONSE_JOBS:
            # A reply whose author was unknown may be the (first or next) response: name it before paging.
            self.settle_reply_authors(ticket_id, None)
        now = deps.clock()
        with deps.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None:
                return
            if customer_channel(session, ticket.channel_id) is None or ticket.status in CLOSED:
                # Archived, or the bot left: no warnings or pages (triage was told once); the
                # alarms are cancelled below and re-derived if the channel comes back. Closed: none.
                kind = ""
            answered = ticket.first_response_at is not None or ticket.status == "resolved"
            if kind == SLA_WARN_JOB and not answered and not ticket.sla_warned and ticket.sla_warn_at <= now:
                ticket.sla_warned = True
                # If it fell due while we were down, the breach escalation says it all.
                if ticket.sla_due_at is None or ticket.sla_due_at > now:
                    enqueue_triage_note(session, "sla_warn", ticket.id, ticket.severity, now)
            elif (
                kind == SLA_BREACH_JOB and not answered and ticket.sla_breached_at is None and ticket.sla_due_at <= now
            ):
                ticket.sla_breached_at = now
                enqueue_triage_note(session, "sla_breach", ticket.id, ticket.severity, now)
                owe_page_trigger(session, ticket, page_routing_key(deps.settings, ticket), now)  # Critical only
                request_card_update(session, ticket, now)
            elif kind in (NEXT_WARN_JOB, NEXT_BREACH_JOB):
                self._next_response_timer(session, kind, ticket, now)
            elif (
                kind == CRITICAL_UPDATE_JOB
                and ticket.next_update_due_at is not None
                and ticket.next_update_due_at <= now
            ):
                ticket.updates_owed += 1
                owed = ticket.updates_owed
                enqueue_triage_note(session, "update_owed", ticket.id, owed, now, count=owed)
                ticket.next_update_due_at = now + deps.sla_policy.for_tier(ticket.tier).critical_update_every
        deps.sync_ticket_timers(ticket)

    def pending_timer(self, ticket_id: int) -> PendingStep | None:
        """A ticket waiting on the customer: remind them, or close it, whichever its row says is due
        now (either alarm may fire: each re-reads the row, so a second firing does nothing). A reply
        whose author was unknown may be the customer's, which reopens it: it is named first.
        Returns what was done, or None."""
        deps = self._deps
        self.settle_reply_authors(ticket_id, None)
        try:  # the audit trail names the bot; if Slack can't say who that is now, it names nobody
            bot_user: str | None = deps.directory.host().bot_user_id
        except Exception:  # noqa: BLE001 - closing the ticket must not wait on auth.test
            log.warning("closing waiting tickets without the bot's user id (auth.test failed)")
            bot_user = None
        now = deps.clock()
        done: PendingStep | None = None
        with deps.db.transaction() as session:
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None:
                return None
            live = customer_channel(session, ticket.channel_id) is not None
            if live and ticket.status == Status.WAITING_ON_CUSTOMER.value:
                step = pending_step(
                    ticket.pending_remind_at, ticket.pending_close_at, ticket.pending_reminded_at is not None, now
                )
                if step == PendingStep.REMIND:
                    acted = remind_waiting_customer(session, ticket, now)
                else:
                    acted = step == PendingStep.CLOSE and bool(
                        close_waiting_ticket(session, ticket, actor=bot_user, now=now, sla=deps.sla_policy)
                    )
                done = step if acted else None
        deps.sync_ticket_timers(ticket)
        return done

    @staticmethod
    def _next_response_timer(session: Session, kind: str, ticket: Ticket, now: datetime) -> None:
        """The customer wrote again after a staff reply and nobody has answered: 75% of the
        next-response target is used (a warning in the triage thread), or it is overdue (the
        escalation). Each once per clock (the note is keyed by the clock's deadline)."""
        due = ticket.next_response_due_at
        if due is None or ticket.waiting_since is None:
            return  # a staff reply stopped the clock
        which = due.isoformat()
        warn_at = ticket.next_response_warn_at
        if kind == NEXT_WARN_JOB and not ticket.next_response_warned and warn_at is not None and warn_at <= now:
            ticket.next_response_warned = True
            if due > now:  # if it fell due while we were down, the breach escalation says it all
                enqueue_triage_note(session, "next_response_warn", ticket.id, which, now)
        elif kind == NEXT_BREACH_JOB and ticket.next_response_breached_at is None and due <= now:
            ticket.next_response_breached_at = now
            enqueue_triage_note(session, "next_response_breach", ticket.id, which, now)

    def digest(self) -> bool:
        """Owe this week's digest to the digest channel (once per minute it fires, whatever happens)."""
        deps = self._deps
        channel = deps.settings.digest_channel
        if channel is None:
            return False
        now = deps.clock()
        with deps.db.transaction() as session:
            return enqueue_digest(session, channel=channel, now=now, key=now.strftime("%Y-%m-%dT%H:%M"))

    def schedule_digest(self) -> None:
        if self._deps.settings.digest_channel:
            self._deps.scheduler.cron(DIGEST_JOB_ID, self._deps.settings.digest_schedule, DIGEST_JOB)
        else:
            self._deps.scheduler.cancel(DIGEST_JOB_ID)

    def reconcile(self) -> int:
        """Re-create any alarm the database asks for but the job store lacks."""
        now = self._deps.clock()
        with self._deps.db.session() as session:
            timers = all_timers(session) + open_ticket_timers(session)
            timers += [
                Timer(f"{SETTLE_AUTHORS_PREFIX}{number}", now, SETTLE_AUTHORS_JOB, {"ticket_id": number, "attempt": 1})
                for number in tickets_with_unsettled_replies(session)
            ]
        return self._deps.scheduler.reconcile(timers)
