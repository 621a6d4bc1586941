"""What handlers need, built once by the composition root (bot/app.py) and passed in."""

from __future__ import annotations

import collections
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.oauth.installation_store import InstallationStore

from config.settings import Settings
from onboarding.reminders import ReminderPolicy
from outbox import Outbox
from scheduling.scheduler import Scheduler, Timer
from services.channel_cache import CustomerChannels
from services.onboarding import TIMER_PREFIXES, customer_timers
from services.tickets import (
    SETTLE_AUTHORS_JOB,
    SETTLE_AUTHORS_PREFIX,
    TICKET_TIMER_PREFIXES,
    FiledTicket,
    SlaPolicy,
    customer_channel,
    ticket_timers,
)
from slack_api.identity import Directory
from store.db import Database, Row
from store.models import Customer, Ticket

log = logging.getLogger(__name__)

# New tickets' alarms wait this long on the alarm thread for others to share their job-store
# transaction: when an alarm fires is in its job, not in when the job is written (one due within
# the wait runs that much late, at worst; a first-response alarm is minutes away at least).
NEW_TIMERS_LINGER = 0.05
SETTLE_AUTHORS_MAX_ATTEMPTS = 40  # 2 s, 4 s, ... then every 5 min: about 3 hours of trying


def settle_authors_delay(attempt: int) -> timedelta:
    """How long to wait before look-up `attempt` (1, 2, ...) of a reply's unknown author."""
    return timedelta(seconds=min(2 ** min(attempt, 9), 300))


class FairSlots:
    """A counting semaphore that hands a released slot to the longest waiter (first come, first
    served). `threading.Semaphore` lets a newcomer take a slot that was just released while the
    thread woken for it is still waking: under a burst a waiter can lose that race again and again."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._lock = threading.Lock()
        self._waiters: collections.deque[threading.Lock] = collections.deque()

    def acquire(self, timeout: float) -> bool:
        """Take a slot, waiting up to `timeout` seconds behind earlier callers; False if none came."""
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if waiter.acquire(timeout=timeout):
            return True  # `release` handed its slot to us
        with self._lock:
            try:
                self._waiters.remove(waiter)
            except ValueError:  # handed over between the timeout and here: the slot is ours
                return True
        return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._free += 1


class Background:
    """Worker threads for work done after the request is answered; errors are logged, never raised.

    With `max_waiting`, `submit` first waits (up to `wait_s`) while that many tasks are already queued
    behind busy workers; callers that wait are served in the order they came (`FairSlots`). Under a
    burst this holds the answer to Slack back a little (it leaves when the listener returns:
    process_before_response) instead of letting a queue grow whose tail (a views.open, say) would
    run after its trigger_id had expired. After the wait the task is queued anyway: nothing is
    dropped.
    """

    def __init__(
        self, name: str, workers: int, on_error: str, max_waiting: int | None = None, wait_s: float = 1.0
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._on_error = on_error
        # First come, first served (FairSlots, not threading.Semaphore): issue 19 found the
        # semaphore's barging behind the /ticket ack's p99 (bench/RESULTS.md).
        self._slots = FairSlots(workers + max_waiting) if max_waiting is not None else None
        self._wait_s = wait_s
        self._gather_lock = threading.Lock()
        self._gathered: dict[Callable[[list], None], list] = {}

    def submit(self, fn: Callable[..., None], *args: object) -> None:
        slots = self._slots
        held = slots.acquire(timeout=self._wait_s) if slots is not None else False

        def run() -> None:
            try:
                fn(*args)
            except Exception:
                log.exception(self._on_error)
            finally:
                if held:
                    slots.release()

        self._executor.submit(run)

    def gather(self, fn: Callable[[list], None], items: list, linger: float = 0.0) -> None:
        """Have `fn` called with `items`, and with the items of the other `gather(fn, ...)` calls made
        before that call runs: one task for a burst of them (a burst of new tickets: one job-store
        transaction for all their alarms). The task first waits `linger` seconds for more to join.
        With one worker (the alarm thread), tasks submitted after an item is gathered run after it."""
        with self._gather_lock:
            waiting = self._gathered.get(fn)
            if waiting is not None:  # a task for `fn` is queued and has not started: it takes these too
                waiting.extend(items)
                return
            self._gathered[fn] = waiting = list(items)

        def run() -> None:
            if linger:
                time.sleep(linger)
            with self._gather_lock:
                del self._gathered[fn]  # from here on, new items go to a new task
            fn(waiting)

        self.submit(run)

    def drain(self) -> None:
        """Wait for what is queued (used at shutdown, and by tests that look at the job store)."""
        self._executor.submit(lambda: None).result(timeout=30)

    def stop(self) -> None:
        self._executor.shutdown(wait=True)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    db: Database
    directory: Directory
    outbox: Outbox
    scheduler: Scheduler
    clock: Callable[[], datetime]
    # One thread applies alarm changes after the request has been answered: each change is read
    # from the database when it runs, so they can't apply out of order, and a change lost in a
    # crash is restored by the leader's reconcile (services/timers.py).
    timer_sync: Background
    # Slack calls that follow an ack (views.open after /ticket): the ack doesn't wait for them.
    after_ack: Background
    channels: CustomerChannels
    # Work that finishes a request once Slack answers a read the outbox made for it (the channel the
    # bot joined, the message a 🎫 was put on): bot/app.py registers one use case per outbox kind; the planner
    # (services/posts.py) calls it with the row's payload and Slack's answer (`Post.on_answer`).
    followups: dict[str, Callable[[dict, dict], None]] = field(default_factory=dict)
    # OAuth mode only (SLACK_CLIENT_ID set): customer orgs' installations; None in single-workspace mode.
    installation_store: InstallationStore | None = None

    def __deepcopy__(self, memo: dict[int, object]) -> Deps:
        # Bolt deep-copies a request's context for its lazy listeners; the process's dependencies
        # are shared by every request, never copied (handlers.routing.provide_deps puts them there).
        return self

    @property
    def reminder_policy(self) -> ReminderPolicy:
        s = self.settings
        return ReminderPolicy(s.dashboard_nudge_after, s.dashboard_nudge_every, s.dashboard_nudge_max)

    @functools.cached_property
    def sla_policy(self) -> SlaPolicy:
        """The response targets (with the routing file's tiers), built once: its tiers' targets are kept."""
        return SlaPolicy.from_settings(self.settings)

    def _sync(self, key: str, timers: list[Timer], prefixes: tuple[str, ...]) -> None:
        """After a commit: point the alarms for `key` at what its row now asks for; clear the rest."""
        wanted = {t.job_id for t in timers}
        for prefix in prefixes:
            if f"{prefix}{key}" not in wanted:
                self.scheduler.cancel(f"{prefix}{key}")
        for timer in timers:
            self.scheduler.sync(timer.job_id, timer.when, timer.kind, **timer.params)

    def sync_customer_timers(self, customer: Customer) -> None:
        """Re-point a customer's alarms, off the request thread (see `timer_sync`)."""
        self.sync_customer_timers_of(customer.channel_id)

    def sync_customer_timers_of(self, channel_id: str) -> None:
        """Re-point the alarms of the customer in `channel_id`, off the request thread."""
        self.timer_sync.submit(self._sync_customer_now, channel_id)

    def sync_ticket_timers(self, ticket: Ticket | Row) -> None:
        """Re-point a ticket's alarms, off the request thread (see `timer_sync`)."""
        self.timer_sync.submit(self._sync_ticket_now, ticket.id)

    def set_new_ticket_timers(self, filed: FiledTicket) -> None:
        """Add a new ticket's alarms, off the request thread: it has none yet, so nothing is looked
        up first (a submission seen before re-points its ticket's alarms instead)."""
        if filed.created:
            self.timer_sync.gather(self._add_timers, filed.timers, NEW_TIMERS_LINGER)
        else:
            self.timer_sync.submit(self._sync_ticket_now, filed.number)

    def settle_reply_authors_later(self, ticket_id: int, attempt: int = 1) -> None:
        """Look again (a scheduled job, off the request thread) at the ticket's replies whose author
        Slack could not name; each try waits longer (`settle_authors_delay`)."""
        if attempt > SETTLE_AUTHORS_MAX_ATTEMPTS:
            log.error("gave up naming the authors of replies to ticket %s: they stay unknown", ticket_id)
            return
        when = self.clock() + settle_authors_delay(attempt)
        job_id = f"{SETTLE_AUTHORS_PREFIX}{ticket_id}"
        self.timer_sync.submit(
            lambda: self.scheduler.sync(job_id, when, SETTLE_AUTHORS_JOB, ticket_id=ticket_id, attempt=attempt)
        )

    def _add_timers(self, timers: list[Timer]) -> None:
        self.scheduler.add(timers)

    def _sync_customer_now(self, channel_id: str) -> None:
        with self.db.session() as session:
            customer = session.get(Customer, channel_id)
            timers = customer_timers(customer) if customer is not None else []
        self._sync(channel_id, timers, TIMER_PREFIXES)

    def forget_customer_timers(self, channel_id: str) -> None:
        """Cancel the alarms keyed by a channel id that no longer exists (it changed)."""
        self.timer_sync.submit(self._sync, channel_id, [], TIMER_PREFIXES)

    def sync_timers_of(self, ticket_ids: list[int]) -> None:
        """Re-point several tickets' alarms (a channel archived, back, or moved), off the request thread."""
        for ticket_id in ticket_ids:
            self.timer_sync.submit(self._sync_ticket_now, ticket_id)

    def _sync_ticket_now(self, ticket_id: int) -> None:
        with self.db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            live = ticket is not None and customer_channel(session, ticket.channel_id) is not None
            timers = ticket_timers(ticket) if live else []  # an archived or left channel's tickets: none
        self._sync(str(ticket_id), timers, TICKET_TIMER_PREFIXES)
