"""The transactional outbox: every Slack post the bot owes is a row first, then a delivery.

A row is written in the same transaction as the change that owes it (a ticket, a nudge...), so
nothing owed is lost when Slack is down or the process dies. Worker threads deliver due rows:
429 waits for Retry-After, 5xx and connection errors back off and retry for as long as an outage
lasts, other API errors fail the row for good (logged). Rows are claimed with a lease, so two
workers never post the same row at once, and every post carries the row id in its message
metadata: if an attempt may have reached Slack (the process died mid-call, the call timed out, or
Slack answered 5xx after storing it), the next attempt looks for that message first and records
it instead of posting again.

With several replicas on PostgreSQL, only the leader delivers (the app starts and stops the
workers with its leadership), so one process paces every channel. Another replica's transaction
that owes a post sends the row ids with NOTIFY as it commits; the leader LISTENs and hands them to
their workers at once (its twice-a-second look for due rows is the fallback).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import inf
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, insert, or_, select, text, update
from sqlalchemy.orm import Session

from store.db import Database
from store.models import OutboxMessage

log = logging.getLogger(__name__)

IN_FLIGHT = "in flight"
METADATA_EVENT_TYPE = "support_bot_post"
# Slack allows about one message per second per channel; the margin absorbs the jitter between
# two posts leaving here and reaching Slack.
POST_INTERVAL_PER_CHANNEL = 1.05  # seconds
POLL_EVERY = 0.5  # seconds
EARLY_OK = 0.01  # seconds: well inside the interval's margin
_DUE_ROWS = "support_bot_outbox_due_rows"  # Session.info key: rows (or ids) enqueued, due now, not yet committed
NOTIFY_CHANNEL = "support_bot_outbox"  # PostgreSQL: a follower's due row ids, for the leader
_NOTIFY_MAX = 7000  # characters; PostgreSQL takes up to 8000 a payload. Longer lists say "look" ("")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Post:
    """One Web API call that delivers an outbox row, and what to record once Slack accepts it."""

    method: str  # "chat.postMessage" or "chat.update"
    args: dict[str, Any]
    on_sent: Callable[[Session, str], None] | None = None
    pace_key: str | None = field(default=None)  # the channel (or user) a new message lands in
    # Rows that wait on this one (a ticket's acknowledgement waits for its card), as (dedupe key,
    # the channel each will post to): they fall due as soon as this row is sent or has failed for
    # good, each at its channel's next free pacing slot, and their workers wake then.
    then: tuple[tuple[str, str | None], ...] = ()
    # A read whose answer finishes a request (conversations.info after the bot joined, the message
    # a 🎫 was put on): called with Slack's answer, outside any transaction, before the row counts
    # as sent. It must be idempotent; a SlackApiError or outage it raises retries the row as usual.
    on_answer: Callable[[dict[str, Any]], None] | None = None
    as_form: bool = False  # send args form-encoded: Slack's read methods (conversations.*) take no JSON body


class Defer(Exception):
    """The row cannot be delivered yet (it waits on another row, or on pacing); try again shortly."""

    def __init__(self, reason: str, delay: float = 0.5) -> None:
        super().__init__(reason)
        self.delay = delay


class Abandon(Exception):
    """The row can never be delivered; record why."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An outbox row as its delivery sees it (read by the claim itself, with no second query)."""

    id: int
    kind: str
    dedupe_key: str
    ticket_id: int | None
    payload: dict[str, Any]
    attempts: int
    last_error: str | None


Planner = Callable[[Session, OutboxRow], Post]


class Pacer:
    """At most one new message per channel per `interval`, in the order rows first asked.

    A row that must wait is given its own slot (the channel's next free one), so a backlog of N
    rows for one channel is re-tried N times in all, not N times a second. A row goes when its slot
    has come and the channel's last post left at least `interval` ago.
    """

    def __init__(self, interval: float = POST_INTERVAL_PER_CHANNEL, clock: Callable[[], float] = time.monotonic):
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last_sent: dict[str, float] = {}
        self._next_free: dict[str, float] = {}
        self._slots: dict[int, float] = {}  # row id -> its reserved time

    def wait(self, key: str, row_id: int) -> float:
        """Seconds until the row may post to `key`; 0 means now (then call `sent` as it leaves)."""
        with self._lock:
            now = self._clock()
            earliest = self._last_sent.get(key, -inf) + self._interval
            slot = self._slots.get(row_id)
            if slot is None:
                slot = max(now, earliest, self._next_free.get(key, -inf))
                self._next_free[key] = slot + self._interval
                self._slots[row_id] = slot
                self._forget_before(now - 300.0)
            ready = max(slot, earliest)
            if ready > now + EARLY_OK:  # a row re-read a few ms early (clocks) need not wait again
                return ready - now
            del self._slots[row_id]
            self._last_sent[key] = now  # taken now; `sent` moves it to when the post actually leaves
            return 0.0

    def reserve(self, key: str, row_id: int) -> float:
        """Give the row its slot now, without taking it: seconds until the slot (0: free now)."""
        with self._lock:
            now = self._clock()
            slot = self._slots.get(row_id)
            if slot is None:
                slot = max(now, self._last_sent.get(key, -inf) + self._interval, self._next_free.get(key, -inf))
                self._next_free[key] = slot + self._interval
                self._slots[row_id] = slot
            return max(0.0, slot - now)

    def sent(self, key: str) -> None:
        with self._lock:
            self._last_sent[key] = self._clock()

    def _forget_before(self, horizon: float) -> None:
        """Drop slots of rows that never came back (another replica took them, or they failed)."""
        if len(self._slots) > 10_000:
            self._slots = {row: at for row, at in self._slots.items() if at > horizon}
        if len(self._last_sent) > 10_000:
            self._last_sent = {k: at for k, at in self._last_sent.items() if at > horizon}
            self._next_free = {k: at for k, at in self._next_free.items() if at > horizon}


def enqueue(
    session: Session,
    *,
    kind: str,
    dedupe_key: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    ticket_id: int | None = None,
    due_at: datetime | None = None,
) -> OutboxMessage | None:
    """Owe a post. A second row with the same dedupe key is not added (returns None).

    A row due now wakes its delivery worker when the transaction commits (see `Outbox.watch`).
    """
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    row = OutboxMessage(
        kind=kind,
        dedupe_key=dedupe_key,
        ticket_id=ticket_id,
        payload=payload or {},
        state="pending",
        attempts=0,
        next_attempt_at=due_at or now,
        created_at=now,
    )
    session.add(row)
    if due_at is None or due_at <= now:
        session.info.setdefault(_DUE_ROWS, []).append(row)
    return row


# Delivery runs once per post, so its statements are built once, in Core: an ORM load and flush
# of the row cost several times the CPU (the outbox was two thirds of the server's CPU per ticket).
_OUTBOX = OutboxMessage.__table__
_COL = _OUTBOX.c
_BY_ID = _COL.id == bindparam("row_id")
_INSERT_DUE = insert(_OUTBOX).returning(_COL.id, sort_by_parameter_order=True)
_UNLEASED = or_(_COL.lease_until.is_(None), _COL.lease_until < bindparam("now"))
_CLAIM = (
    update(_OUTBOX)
    .where(_BY_ID, _COL.state == "pending", _UNLEASED)
    .values(lease_until=bindparam("until"))
    .returning(*(_COL[name] for name in OutboxRow.__slots__))
)
_START = update(_OUTBOX).where(_BY_ID).values(attempts=_COL.attempts + 1, last_error=IN_FLIGHT)
_DEFER = update(_OUTBOX).where(_BY_ID).values(lease_until=None, next_attempt_at=bindparam("at"))
_SENT = (
    update(_OUTBOX)
    .where(_BY_ID)
    .values(state="sent", sent_at=bindparam("at"), result_ts=bindparam("ts"), lease_until=None, last_error=None)
)
_MAKE_DUE = (
    update(_OUTBOX)
    .where(_COL.dedupe_key.in_(bindparam("keys", expanding=True)), _COL.state == "pending")
    .values(next_attempt_at=bindparam("at"))
    .returning(_COL.id, _COL.dedupe_key)
)
_NOTIFY = text("SELECT pg_notify(:channel, :ids)")
_DUE = select(_COL.id).where(_COL.state == "pending", _COL.next_attempt_at <= bindparam("now"), _UNLEASED)
_DUE_ANY = _DUE.order_by(_COL.id).limit(bindparam("limit"))
_DUE_IN_PARTITION = (
    _DUE.where(_COL.id % bindparam("workers") == bindparam("partition")).order_by(_COL.id).limit(bindparam("limit"))
)


def enqueue_fresh(
    session: Session, posts: list[tuple[str, str, datetime]], *, now: datetime, ticket_id: int
) -> list[int]:
    """Owe several posts, each `(kind, dedupe_key, due_at)`, in one INSERT, with no look for an
    earlier row: the keys must name something made in this very transaction. Returns the ids."""
    rows = [
        {
            "kind": kind,
            "dedupe_key": key,
            "ticket_id": ticket_id,
            "payload": {},
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": due_at,
            "created_at": now,
        }
        for kind, key, due_at in posts
    ]
    ids = list(session.scalars(_INSERT_DUE, rows))
    session.info.setdefault(_DUE_ROWS, []).extend(
        i for i, row in zip(ids, rows, strict=True) if row["next_attempt_at"] <= now
    )
    return ids


def _retry_after(error: SlackApiError) -> float | None:
    response = error.response
    status = getattr(response, "status_code", None)
    if status == 429 or (isinstance(response.data, dict) and response.data.get("error") == "ratelimited"):
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        raw = headers.get("retry-after")
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        try:
            return max(float(raw), 0.0) if raw is not None else 1.0
        except ValueError:
            return 1.0
    return None


# Slack refused the post itself (too long, blocks it will not take): a smaller one may go.
REFUSED_AS_INVALID = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "msg_too_long",
        "too_many_attachments",
        "invalid_attachments",
        "no_text",
    }
)
# The channel itself will not take posts: the rows about it fail for good.
CHANNEL_GONE = frozenset({"is_archived", "not_in_channel", "channel_not_found"})
# Posts in a ticket's customer channel: when one fails for good, the triage card says so.
CUSTOMER_TICKET_POSTS = ("ticket_card", "ticket_ack", "card_update", "rating_request")
REFUSAL_NOTE = "post_refused"  # the outbox kind that tells triage about a refused post


def _error_code(error: SlackApiError) -> str | None:
    return error.response.data.get("error") if isinstance(error.response.data, dict) else None


def _is_server_error(error: SlackApiError) -> bool:
    status = getattr(error.response, "status_code", 200)
    overloaded = ("internal_error", "fatal_error", "service_unavailable", "request_timeout")
    return status >= 500 or _error_code(error) in overloaded


class Outbox:
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
        self._client = client
        self._planner = planner
        self._workers = workers
        self._lease = lease
        self._max_backoff = max_backoff
        self._clock = clock
        self._poll_every = poll_every
        self._postgres = db.engine.dialect.name == "postgresql"
        self._wakeups = [threading.Event() for _ in range(workers)]
        self._ready: list[deque[int]] = [deque() for _ in range(workers)]  # ids committed here, due now
        self._soonest = [float("inf")] * workers  # per worker: when its earliest paced row falls due
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pacer = Pacer()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def delivering(self) -> bool:
        """Whether this process's workers run (the leader's do; a follower's rows go to the leader)."""
        return bool(self._threads)

    def start(self) -> None:
        if self._threads:
            return
        self._stopping.clear()
        for n in range(self._workers):
            thread = threading.Thread(target=self._run, args=(n,), name=f"outbox-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self._postgres:
            thread = threading.Thread(target=self._listen, name="outbox-listen", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def watch(self, db: Database) -> None:
        """Hand each due row to the worker that owns it as soon as the transaction that enqueued it
        commits: here if this process delivers, else to the leader with NOTIFY (PostgreSQL)."""

        def committing(session: Session) -> None:
            if not self._postgres or self.delivering or not session.info.get(_DUE_ROWS):
                return
            session.flush()  # rows added with `enqueue` get their ids
            ids = ",".join(str(row if isinstance(row, int) else row.id) for row in session.info[_DUE_ROWS])
            session.execute(
                _NOTIFY, {"channel": NOTIFY_CHANNEL, "ids": ids if len(ids) <= _NOTIFY_MAX else ""}
            )  # PostgreSQL sends it when (and only if) the transaction commits

        def committed(session: Session) -> None:
            rows = session.info.pop(_DUE_ROWS, ())  # rows (from `enqueue`) or ids
            if self.delivering:
                self._hand_over(row if isinstance(row, int) else row.id for row in rows)

        db.on_commit(committed, lambda session: session.info.pop(_DUE_ROWS, None), committing)

    def _hand_over(self, ids: Iterable[int | None]) -> None:
        for row_id in ids:
            if row_id is not None:
                partition = row_id % self._workers
                self._ready[partition].append(row_id)  # deque.append: safe across threads
                self._wakeups[partition].set()

    def _listen(self) -> None:
        """The leader's ear for NOTIFY: row ids another replica has just committed."""
        import psycopg  # PostgreSQL only

        url = self._db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.wake()  # whatever was committed while nobody listened: look now
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.payload:
                                self._hand_over(int(i) for i in note.payload.split(","))
                            else:
                                self.wake()
            except Exception as exc:  # noqa: BLE001 - the database restarting: polling covers the gap
                log.warning("outbox: listening for other replicas' posts failed (%s); retrying", type(exc).__name__)
                self._stopping.wait(1.0)

    def wake(self) -> None:
        """Deliver what is due now rather than at the next poll (every worker looks)."""
        for wakeup in self._wakeups:
            wakeup.set()

    def _run(self, partition: int) -> None:
        wakeup, ready = self._wakeups[partition], self._ready[partition]
        last_look = float("-inf")
        while not self._stopping.is_set():
            wakeup.clear()
            if ready:
                # Rows this process has just committed: deliver them by id, without looking for
                # due rows first. The look still runs at least every POLL_EVERY, and for paced rows.
                self._deliver_ready(ready)
                if time.monotonic() - last_look < self._poll_every and self._soonest[partition] > time.monotonic():
                    continue
            last_look = time.monotonic()
            if self._soonest[partition] <= time.monotonic():
                self._soonest[partition] = float("inf")  # that row is due: this pass takes it
            try:
                delivered = self.deliver_due(partition=partition)
            except Exception:  # the worker must outlive any one bad pass (e.g. the database restarting)
                log.exception("outbox pass failed")
                delivered = 0
            if delivered == 0:
                # Poll twice a second (rows from other replicas, retries), sooner for a paced row.
                wakeup.wait(min(self._poll_every, max(0.0, self._soonest[partition] - time.monotonic())))

    def _deliver_ready(self, ready: deque[int]) -> None:
        ids: set[int] = set()
        while ready:
            ids.add(ready.popleft())
        for row_id in sorted(ids):
            if self._stopping.is_set():
                return
            try:
                self._deliver(row_id)  # the claim skips a row that is no longer pending or is leased
            except Exception:
                log.exception("outbox delivery of row %s failed", row_id)

    # -- delivery --------------------------------------------------------------------------
    def deliver_due(self, limit: int = 20, partition: int | None = None) -> int:
        """Try every due row once (up to `limit`). Returns how many were attempted.

        Each worker thread takes its own share of rows (`partition`), so threads of one process
        don't race for the same rows; other replicas are kept off by the lease.
        """
        params: dict[str, Any] = {"now": self._clock(), "limit": limit}
        if partition is not None:
            params.update(workers=self._workers, partition=partition)
        with self._db.session() as session:
            ids = session.scalars(_DUE_ANY if partition is None else _DUE_IN_PARTITION, params).all()
        attempted = 0
        for row_id in ids:
            if self._stopping.is_set():
                break
            if self._deliver(row_id):
                attempted += 1
        return attempted

    def _claim(self, session: Session, row_id: int) -> OutboxRow | None:
        """Lease the row for this attempt, in the caller's transaction; None if another worker or
        replica holds it, or it is no longer pending."""
        now = self._clock()
        found = session.execute(_CLAIM, {"row_id": row_id, "now": now, "until": now + self._lease}).first()
        return None if found is None else OutboxRow(*found)

    def _make_due(self, session: Session, then: tuple[tuple[str, str | None], ...], now: datetime) -> None:
        """The pending rows of `then` fall due, each at its channel's next free slot: a row whose
        channel is free is handed to its worker when the caller commits; one that must wait keeps
        its slot and is due (and its worker wakes) then, so it is not claimed only to wait."""
        if not then:
            return
        pace_keys = dict(then)
        due, later = [], []
        for row_id, dedupe_key in session.execute(_MAKE_DUE, {"keys": list(pace_keys), "at": now}):
            pace_key = pace_keys.get(dedupe_key)
            wait = self._pacer.reserve(pace_key, row_id) if pace_key is not None else 0.0
            if wait > EARLY_OK:
                later.append({"row_id": row_id, "at": now + timedelta(seconds=wait)})
                self._wake_at(row_id, wait)
            else:
                due.append(row_id)
        if later:
            session.execute(_DEFER, later)
        session.info.setdefault(_DUE_ROWS, []).extend(due)

    def _wake_at(self, row_id: int, delay: float) -> None:
        """The row's worker looks for due rows again in `delay` seconds (a paced row's slot)."""
        partition = row_id % self._workers
        self._soonest[partition] = min(self._soonest[partition], time.monotonic() + delay)

    def _release(
        self,
        row_id: int,
        *,
        delay: float,
        error: str | None = None,
        failed: bool = False,
        then: tuple[tuple[str, str | None], ...] = (),
        refused: tuple[OutboxRow, Post | None, str] | None = None,
    ) -> None:
        now = self._clock()
        values: dict[str, Any] = {"lease_until": None, "next_attempt_at": now + timedelta(seconds=delay)}
        if error is not None:
            values["last_error"] = error[:500]
        if failed:
            values["state"] = "failed"
        with self._db.transaction() as session:
            session.execute(update(_OUTBOX).where(_COL.id == row_id).values(values))
            if failed:
                self._make_due(session, then, now)  # what waited on this row learns it never will be sent
            if failed and refused is not None:
                self._tell_triage(session, *refused, reduced=False)

    def _deliver(self, row_id: int) -> bool:
        """One attempt at one row. False if the row was not ours to attempt."""
        with self._db.transaction() as session:
            row = self._claim(session, row_id)
            if row is None:
                return False
            try:
                post = self._planner(session, row)
                pace_key = post.pace_key if post.method == "chat.postMessage" else None
                wait = self._pacer.wait(pace_key, row_id) if pace_key is not None else 0.0
                if wait > 0:
                    raise Defer("paced", delay=wait)
            except Defer as defer:
                # Back to pending, due when it may go, in the claim's own transaction.
                session.execute(_DEFER, {"row_id": row_id, "at": self._clock() + timedelta(seconds=defer.delay)})
                self._wake_at(row_id, defer.delay)
                return True
            except Abandon as abandon:
                abandoned = str(abandon)
            else:
                abandoned = None
                session.execute(_START, {"row_id": row_id})
        if abandoned is not None:
            log.error("outbox row %s abandoned: %s", row_id, abandoned)
            self._release(row_id, delay=0, error=abandoned, failed=True)
            return True
        # Did an earlier attempt maybe reach Slack? A crash mid-call, a timeout or a 5xx after
        # Slack stored the message all look the same from here; only a 429 is a clear "no".
        maybe_posted = row.attempts > 0 and row.last_error != "ratelimited"
        kind = row.kind
        refused: str | None = None  # Slack refused the full post as invalid, and took a reduced one

        try:
            ts = self._find_earlier_post(row_id, post) if maybe_posted else None
            if ts is None:
                if post.method == "chat.postMessage":
                    post.args["metadata"] = {
                        "event_type": METADATA_EVENT_TYPE,
                        "event_payload": {"outbox_id": row_id},
                    }
                if pace_key is not None:
                    self._pacer.sent(pace_key)  # the interval counts from the moment the post leaves
                try:
                    if post.as_form:  # Slack's read methods take a form, not a JSON body
                        response = self._client.api_call(post.method, data=post.args)
                    else:
                        response = self._client.api_call(post.method, json=post.args)
                except SlackApiError as error:
                    smaller = self._reduced(row_id, kind, post, error)
                    if smaller is None:
                        raise
                    refused = _error_code(error)
                    response = self._client.api_call(post.method, json=smaller)
                ts = response.get("ts") or post.args.get("ts") or ""
                if post.on_answer is not None:
                    post.on_answer(response.data if isinstance(response.data, dict) else {})
        except SlackApiError as error:
            self._after_api_error(row_id, kind, error, post.then, row=row, post=post, refused=refused)
            return True
        except Exception as error:  # connection refused, timeouts, DNS: the outage case
            self._retry(row_id, f"{type(error).__name__}: {error}")
            return True

        with self._db.transaction() as session:
            sent_at = self._clock()
            session.execute(_SENT, {"row_id": row_id, "at": sent_at, "ts": ts})
            if post.on_sent is not None:
                post.on_sent(session, ts)
            self._make_due(session, post.then, sent_at)
            if refused is not None:
                self._tell_triage(session, row, post, refused, reduced=True)
        return True

    @staticmethod
    def _reduced(row_id: int, kind: str, post: Post, error: SlackApiError) -> dict[str, Any] | None:
        """The smaller post to send once when Slack refuses one as invalid, else None."""
        from ui.blocks import build_reduced_post

        if _error_code(error) not in REFUSED_AS_INVALID or post.method not in ("chat.postMessage", "chat.update"):
            return None
        smaller = build_reduced_post(post.args)
        if smaller is not None:
            log.warning(
                "outbox row %s (%s): Slack refused it (%s: %s); sending a reduced version",
                row_id,
                kind,
                _error_code(error),
                "; ".join(str(e) for e in (error.response.data or {}).get("errors") or [])[:300],
            )
        return smaller

    def _tell_triage(self, session: Session, row: OutboxRow, post: Post | None, code: str, *, reduced: bool) -> None:
        """Slack refused a post for good (or took only a reduced one): triage hears of it, never
        only a log line. A ticket's customer-channel post shows on its triage card; a post refused
        as invalid, or one not about a ticket, is also a note (`REFUSAL_NOTE`) to triage."""
        if row.kind == REFUSAL_NOTE:
            return  # a note about a note would loop
        reason = code.split(",")[0]  # "invalid_blocks, then … for the reduced version": the first
        if row.kind == "ephemeral" and reason not in REFUSED_AS_INVALID:
            return  # a private note to someone who left, say: the log line is enough
        now = self._clock()
        channel = (post.args.get("channel") if post is not None else None) or row.payload.get("channel")
        if row.ticket_id is not None and row.kind in CUSTOMER_TICKET_POSTS and not reduced:
            enqueue(
                session,
                kind="mirror_update",
                dedupe_key=f"mirror_update:{row.ticket_id}:refused:{row.id}",
                now=now,
                ticket_id=row.ticket_id,
            )
            if reason not in REFUSED_AS_INVALID:
                return  # the triage card says it; a note per refused update would be noise
        # Once per ticket/channel and reason when the channel is gone; once per row otherwise.
        about = row.ticket_id if row.ticket_id is not None else channel
        key = f"{REFUSAL_NOTE}:{about}:{reason}" if reason in CHANNEL_GONE else f"{REFUSAL_NOTE}:{row.id}"
        enqueue(
            session,
            kind=REFUSAL_NOTE,
            dedupe_key=key,
            now=now,
            ticket_id=row.ticket_id,
            payload={"what": row.kind, "channel": channel, "error": code, "reduced": reduced},
        )

    def _after_api_error(
        self,
        row_id: int,
        kind: str,
        error: SlackApiError,
        then: tuple[tuple[str, str | None], ...] = (),
        *,
        row: OutboxRow | None = None,
        post: Post | None = None,
        refused: str | None = None,
    ) -> None:
        retry_after = _retry_after(error)
        code = _error_code(error)
        if retry_after is not None:
            log.warning("outbox row %s rate limited, retrying in %.1fs", row_id, retry_after)
            self._release(row_id, delay=retry_after, error="ratelimited")
        elif _is_server_error(error):
            self._retry(row_id, f"HTTP {error.response.status_code} {code}")
        else:
            if refused is not None:  # the reduced version was refused as well
                code = f"{refused}, then {code} for the reduced version"
            log.error("outbox row %s (%s) failed for good: %s", row_id, kind, code)
            self._release(
                row_id,
                delay=0,
                error=str(code),
                failed=True,
                then=then,
                refused=(row, post, str(code)) if row is not None else None,
            )

    def _retry(self, row_id: int, error: str) -> None:
        with self._db.transaction() as session:
            attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row_id)) or 1
        delay = min(self._max_backoff, 0.5 * 2 ** min(attempts - 1, 10)) * random.uniform(0.75, 1.0)
        log.warning("outbox row %s not delivered (%s), retry %d in %.1fs", row_id, error, attempts, delay)
        self._release(row_id, delay=delay, error=error)

    def _find_earlier_post(self, row_id: int, post: Post) -> str | None:
        """After a crash mid-post: the ts of this row's message if Slack already has it."""
        if post.method != "chat.postMessage":
            return None  # updates are idempotent: sending one again is harmless
        channel = post.args["channel"]
        try:
            if "thread_ts" in post.args:
                answer = self._client.conversations_replies(
                    channel=channel, ts=post.args["thread_ts"], include_all_metadata=True, limit=200
                )
            else:
                answer = self._client.conversations_history(channel=channel, include_all_metadata=True, limit=200)
        except SlackApiError as error:
            if _retry_after(error) is not None or _is_server_error(error):
                raise  # Slack is struggling: retry the whole delivery later
            # History is not readable here (a DM addressed by user id, a missing scope): posting
            # again risks a duplicate, which beats losing the message.
            log.warning("outbox row %s: cannot check for an earlier post (%s)", row_id, error.response.get("error"))
            return None
        for message in answer.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("outbox_id") == row_id
            ):
                return message.get("ts")
        return None
