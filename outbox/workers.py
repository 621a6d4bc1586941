"""The outbox's worker threads: one per partition of the rows (row id modulo the worker count).

With several replicas on PostgreSQL, only the leader delivers (the app starts and stops the
workers with its leadership), so one process paces every channel. Another replica's transaction
that owes a post sends the row ids with NOTIFY as it commits; the leader LISTENs and hands them to
their workers at once (its twice-a-second look for due rows is the fallback).

One worker per partition, ever: a stop waits a while for each worker to finish its Slack call,
but a call may outlast the wait. A worker of the next start then waits for the earlier workers of
its partition to end before it delivers anything, so a re-election never puts two workers (two
Slack calls at once, two pacing decisions) on one partition.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from outbox.delivery import Delivery
from outbox.pacing import Pacer
from outbox.post import Planner
from outbox.rows import DUE_IN_PARTITION, DUE_ROWS, utcnow
from store.db import Database

log = logging.getLogger(__name__)

POLL_EVERY = 0.5  # seconds
NOTIFY_CHANNEL = "support_bot_outbox"  # PostgreSQL: a follower's due row ids, for the leader
_NOTIFY_MAX = 7000  # characters; PostgreSQL takes up to 8000 a payload. Longer lists say "look" ("")
_NOTIFY = text("SELECT pg_notify(:channel, :ids)")
_WAIT_FOR_EARLIER = 0.05  # seconds between a new worker's looks at whether the earlier one has ended


class _Crew:
    """The threads of one `start`, and the event that stops them (and only them)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []


class Outbox:
    """Delivers the outbox's rows from worker threads while started (while this process leads)."""

    def __init__(
        self,
        db: Database,
        client: WebClient,
        planner: Planner,
        *,
        workers: int = 4,
        lease: timedelta = timedelta(seconds=15),
        max_backoff: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
        poll_every: float = POLL_EVERY,
    ) -> None:
        self._db = db
        self._workers = workers
        self._clock = clock
        self._poll_every = poll_every
        self._postgres = db.engine.dialect.name == "postgresql"
        self._wakeups = [threading.Event() for _ in range(workers)]
        self._ready: list[deque[int]] = [deque() for _ in range(workers)]  # ids committed here, due now
        self._soonest = [float("inf")] * workers  # per worker: when its earliest paced row falls due
        self._lifecycle = threading.Lock()  # start and stop, one at a time
        self._crew: _Crew | None = None  # the running start's threads; None while stopped
        # Per partition, every worker thread started for it that may still be running.
        self._partition_threads: list[list[threading.Thread]] = [[] for _ in range(workers)]
        self._delivery = Delivery(
            db,
            client,
            planner,
            pacer=Pacer(),
            clock=clock,
            lease=lease,
            max_backoff=max_backoff,
            wake_at=self._wake_at,
        )

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def delivering(self) -> bool:
        """Whether this process's workers run (the leader's do; a follower's rows go to the leader)."""
        return self._crew is not None

    def start(self) -> None:
        """Start delivering: one worker thread per partition (and, on PostgreSQL, a listener).
        A no-op while started. A worker whose partition still has a worker of an earlier start
        finishing a Slack call waits for it to end first."""
        with self._lifecycle:
            if self._crew is not None:
                return
            crew = _Crew()
            for n in range(self._workers):
                earlier = tuple(t for t in self._partition_threads[n] if t.is_alive())
                thread = threading.Thread(
                    target=self._run, args=(n, crew.stopping, earlier), name=f"outbox-{n}", daemon=True
                )
                self._partition_threads[n] = [*earlier, thread]
                crew.threads.append(thread)
            if self._postgres:
                crew.threads.append(
                    threading.Thread(target=self._listen, args=(crew.stopping,), name="outbox-listen", daemon=True)
                )
            self._crew = crew
            for thread in crew.threads:
                thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop delivering: each thread is given up to `timeout` seconds to finish what it is doing.
        One still in a Slack call after that ends on its own once the call returns, and no worker
        of a later `start` delivers on its partition before then."""
        with self._lifecycle:
            crew = self._crew
            if crew is None:
                return
            crew.stopping.set()
            self.wake()
            for thread in crew.threads:
                thread.join(timeout)
            busy = [thread.name for thread in crew.threads if thread.is_alive()]
            if busy:
                log.warning("outbox: %s still finishing a Slack call; they end when it returns", ", ".join(busy))
            self._crew = None

    def watch(self, db: Database) -> None:
        """Hand each due row to the worker that owns it as soon as the transaction that enqueued it
        commits: here if this process delivers, else to the leader with NOTIFY (PostgreSQL)."""

        def committing(session: Session) -> None:
            if not self._postgres or self.delivering or not session.info.get(DUE_ROWS):
                return
            session.flush()  # rows added with `enqueue` get their ids
            ids = ",".join(str(row if isinstance(row, int) else row.id) for row in session.info[DUE_ROWS])
            session.execute(
                _NOTIFY, {"channel": NOTIFY_CHANNEL, "ids": ids if len(ids) <= _NOTIFY_MAX else ""}
            )  # PostgreSQL sends it when (and only if) the transaction commits

        def committed(session: Session) -> None:
            rows = session.info.pop(DUE_ROWS, ())  # rows (from `enqueue`) or ids
            if self.delivering:
                self._hand_over(row if isinstance(row, int) else row.id for row in rows)

        db.on_commit(committed, lambda session: session.info.pop(DUE_ROWS, None), committing)

    def wake(self) -> None:
        """Deliver what is due now rather than at the next poll (every worker looks)."""
        for wakeup in self._wakeups:
            wakeup.set()

    def _hand_over(self, ids: Iterable[int | None]) -> None:
        for row_id in ids:
            if row_id is not None:
                partition = row_id % self._workers
                self._ready[partition].append(row_id)  # deque.append: safe across threads
                self._wakeups[partition].set()

    def _wake_at(self, row_id: int, delay: float) -> None:
        """The row's worker looks for due rows again in `delay` seconds (a paced row's slot)."""
        partition = row_id % self._workers
        self._soonest[partition] = min(self._soonest[partition], time.monotonic() + delay)

    def _listen(self, stopping: threading.Event) -> None:
        """The leader's ear for NOTIFY: row ids another replica has just committed."""
        import psycopg  # PostgreSQL only

        url = self._db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.wake()  # whatever was committed while nobody listened: look now
                    while not stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.payload:
                                self._hand_over(int(i) for i in note.payload.split(","))
                            else:
                                self.wake()
            except Exception as exc:  # noqa: BLE001 - the database restarting: polling covers the gap
                log.warning("outbox: listening for other replicas' posts failed (%s); retrying", type(exc).__name__)
                stopping.wait(1.0)

    # -- a worker --------------------------------------------------------------------------
    def _run(self, partition: int, stopping: threading.Event, earlier: tuple[threading.Thread, ...]) -> None:
        for thread in earlier:  # an earlier start's worker, still in a Slack call: it goes first
            while thread.is_alive():
                if stopping.is_set():
                    return
                thread.join(_WAIT_FOR_EARLIER)
        wakeup, ready = self._wakeups[partition], self._ready[partition]
        last_look = float("-inf")
        while not stopping.is_set():
            wakeup.clear()
            if ready:
                # Rows this process has just committed: deliver them by id, without looking for
                # due rows first. The look still runs at least every POLL_EVERY, and for paced rows.
                self._deliver_ready(ready, stopping)
                if time.monotonic() - last_look < self._poll_every and self._soonest[partition] > time.monotonic():
                    continue
            last_look = time.monotonic()
            if self._soonest[partition] <= time.monotonic():
                self._soonest[partition] = float("inf")  # that row is due: this pass takes it
            try:
                delivered = self._deliver_due(partition, stopping)
            except Exception:  # the worker must outlive any one bad pass (e.g. the database restarting)
                log.exception("outbox pass failed")
                delivered = 0
            if delivered == 0:
                # Poll twice a second (rows from other replicas, retries), sooner for a paced row.
                wakeup.wait(min(self._poll_every, max(0.0, self._soonest[partition] - time.monotonic())))

    def _deliver_ready(self, ready: deque[int], stopping: threading.Event) -> None:
        ids: set[int] = set()
        while ready:
            ids.add(ready.popleft())
        for row_id in sorted(ids):
            if stopping.is_set():
                return
            try:
                self._delivery.attempt(row_id)  # the claim skips a row that is no longer pending or is leased
            except Exception:
                log.exception("outbox delivery of row %s failed", row_id)

    def _deliver_due(self, partition: int, stopping: threading.Event, limit: int = 20) -> int:
        """Try every due row of the partition once (up to `limit`). Returns how many were attempted.

        Each worker thread takes its own share of rows (`partition`), so threads of one process
        don't race for the same rows; other replicas are kept off by the lease.
        """
        params: dict[str, Any] = {
            "now": self._clock(),
            "limit": limit,
            "workers": self._workers,
            "partition": partition,
        }
        with self._db.session() as session:
            ids = session.scalars(DUE_IN_PARTITION, params).all()
        attempted = 0
        for row_id in ids:
            if stopping.is_set():
                break
            if self._delivery.attempt(row_id):
                attempted += 1
        return attempted
