"""One attempt at one outbox row: claim it, plan it, pace it, send it, record what happened.

429 waits for Retry-After, 5xx and connection errors back off and retry for as long as an outage
lasts, other API errors fail the row for good (logged, and triage is told). Rows are claimed with a
lease, so two workers never post the same row at once, and every post carries the row id in its
message metadata: if an attempt may have reached Slack (the process died mid-call, the call timed
out, or Slack answered 5xx after storing it), the next attempt looks for that message first and
records it instead of posting again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outbox.http import Refused, Unavailable, post_json
from outbox.kinds import (
    CUSTOMER_TICKET_POSTS,
    PostKind,
    gone_channel_note_key,
    refusal_note_key,
    refused_mirror_update_key,
    refused_webhook_note_key,
)
from outbox.pacing import EARLY_OK, Pacer
from outbox.post import Abandon, Defer, OutboxRow, Planner, Post, Settled
from outbox.rows import CLAIM, COL, DEFER, DUE_ROWS, MAKE_DUE, OUTBOX, SENT, START, enqueue
from outbox.slack_errors import CHANNEL_GONE, REFUSED_AS_INVALID, error_code, is_server_error, retry_after
from store.db import Database
from store.models import OutboxMessage

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "support_bot_post"
# The kind that tells triage about a refused post (a refusal of it is not reported again).
REFUSAL_NOTE = PostKind.POST_REFUSED


class Delivery:
    """Delivers rows one attempt at a time, for whichever worker thread calls `attempt`.

    `wake_at(row_id, seconds)` is told when a row is put off (paced, or waiting on another row),
    so the worker that owns it looks again then.
    """

    def __init__(
        self,
        db: Database,
        client: WebClient,
        planner: Planner,
        *,
        pacer: Pacer,
        clock: Callable[[], datetime],
        lease: timedelta,
        max_backoff: float,
        wake_at: Callable[[int, float], None],
    ) -> None:
        self._db = db
        self._client = client
        self._planner = planner
        self._pacer = pacer
        self._clock = clock
        self._lease = lease
        self._max_backoff = max_backoff
        self._wake_at = wake_at

    def attempt(self, row_id: int) -> bool:
        """One attempt at one row. False if the row was not ours to attempt (another worker or
        replica holds its lease, or it is no longer pending)."""
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
                session.execute(DEFER, {"row_id": row_id, "at": self._clock() + timedelta(seconds=defer.delay)})
                self._wake_at(row_id, defer.delay)
                return True
            except Settled as settled:
                # Nothing to send: done, in the claim's transaction (with what the planner wrote).
                session.execute(SENT, {"row_id": row_id, "at": self._clock(), "ts": None})
                log.debug("outbox row %s settled without a post: %s", row_id, settled)
                return True
            except Abandon as abandon:
                abandoned = str(abandon)
            else:
                abandoned = None
                session.execute(START, {"row_id": row_id})
        if abandoned is not None:
            log.error("outbox row %s abandoned: %s", row_id, abandoned)
            self._release(row_id, delay=0, error=abandoned, failed=True)
            return True
        if post.http is not None:
            return self._send_http(row, post)
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
                    if error_code(error) in post.done_errors:
                        response = error.response  # already so: nothing more to do
                    else:
                        smaller = self._reduced(row_id, kind, post, error)
                        if smaller is None:
                            raise
                        refused = error_code(error)
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
            session.execute(SENT, {"row_id": row_id, "at": sent_at, "ts": ts})
            if post.on_sent is not None:
                post.on_sent(session, ts)
            self._make_due(session, post.then, sent_at)
            if refused is not None:
                self._tell_triage(session, row, post, refused, reduced=True)
        return True

    def _send_http(self, row: OutboxRow, post: Post) -> bool:
        """Deliver a row that is a POST elsewhere (a webhook, PagerDuty). A crash mid-call sends it
        again on the next attempt: its receiver de-duplicates (the event id, PagerDuty's dedup_key).
        A refusal for good fails the row and tells triage (`_tell_triage`), never only a log line."""
        assert post.http is not None
        row_id, kind = row.id, row.kind
        try:
            post_json(post.http)
        except Refused as refused:
            log.error(
                "outbox row %s (%s) refused for good by %s: HTTP %s", row_id, kind, post.http.host, refused.status
            )
            said = f"HTTP {refused.status} from {post.http.host}"
            self._release(row_id, delay=0, error=str(refused), failed=True, refused=(row, post, said))
            return True
        except Unavailable as busy:
            if busy.retry_after is not None:
                log.warning(
                    "outbox row %s (%s): %s asks us to wait %.1fs", row_id, kind, post.http.host, busy.retry_after
                )
                self._release(row_id, delay=busy.retry_after, error=str(busy))
            else:
                self._retry(row_id, f"{post.http.host}: {busy}")
            return True
        except Exception as error:  # connection refused, timeouts, DNS: the outage case
            self._retry(row_id, f"{post.http.host}: {type(error).__name__}")
            return True
        with self._db.transaction() as session:
            session.execute(SENT, {"row_id": row_id, "at": self._clock(), "ts": None})
        return True

    def _claim(self, session: Session, row_id: int) -> OutboxRow | None:
        """Lease the row for this attempt, in the caller's transaction; None if another worker or
        replica holds it, or it is no longer pending."""
        now = self._clock()
        found = session.execute(CLAIM, {"row_id": row_id, "now": now, "until": now + self._lease}).first()
        return None if found is None else OutboxRow(*found)

    def _make_due(self, session: Session, then: tuple[tuple[str, str | None], ...], now: datetime) -> None:
        """The pending rows of `then` fall due, each at its channel's next free slot: a row whose
        channel is free is handed to its worker when the caller commits; one that must wait keeps
        its slot and is due (and its worker wakes) then, so it is not claimed only to wait."""
        if not then:
            return
        pace_keys = dict(then)
        due, later = [], []
        for row_id, dedupe_key in session.execute(MAKE_DUE, {"keys": list(pace_keys), "at": now}):
            pace_key = pace_keys.get(dedupe_key)
            wait = self._pacer.reserve(pace_key, row_id) if pace_key is not None else 0.0
            if wait > EARLY_OK:
                later.append({"row_id": row_id, "at": now + timedelta(seconds=wait)})
                self._wake_at(row_id, wait)
            else:
                due.append(row_id)
        if later:
            session.execute(DEFER, later)
        session.info.setdefault(DUE_ROWS, []).extend(due)

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
            session.execute(update(OUTBOX).where(COL.id == row_id).values(values))
            if failed:
                self._make_due(session, then, now)  # what waited on this row learns it never will be sent
            if failed and refused is not None:
                self._tell_triage(session, *refused, reduced=False)

    @staticmethod
    def _reduced(row_id: int, kind: str, post: Post, error: SlackApiError) -> dict[str, Any] | None:
        """The smaller post to send once when Slack refuses one as invalid, else None."""
        code = error_code(error)
        if (
            post.reduce is None
            or code not in REFUSED_AS_INVALID
            or post.method not in ("chat.postMessage", "chat.update")
        ):
            return None
        smaller = post.reduce(post.args)
        if smaller is not None:
            log.warning(
                "outbox row %s (%s): Slack refused it (%s: %s); sending a reduced version",
                row_id,
                kind,
                code,
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
        if row.kind == PostKind.EPHEMERAL and reason not in REFUSED_AS_INVALID:
            return  # a private note to someone who left, say: the log line is enough
        now = self._clock()
        if row.kind == PostKind.WEBHOOK:
            # One note a day per receiver and answer: a broken receiver refuses every event.
            key = refused_webhook_note_key(code, now)
            enqueue(session, kind=REFUSAL_NOTE, dedupe_key=key, now=now, payload={"what": row.kind, "error": code})
            return
        channel = (post.args.get("channel") if post is not None else None) or row.payload.get("channel")
        if row.ticket_id is not None and row.kind in CUSTOMER_TICKET_POSTS and not reduced:
            enqueue(
                session,
                kind=PostKind.MIRROR_UPDATE,
                dedupe_key=refused_mirror_update_key(row.ticket_id, row.id),
                now=now,
                ticket_id=row.ticket_id,
            )
            if reason not in REFUSED_AS_INVALID:
                return  # the triage card says it; a note per refused update would be noise
        # Once per ticket/channel and reason when the channel is gone; once per row otherwise.
        about = row.ticket_id if row.ticket_id is not None else channel
        key = gone_channel_note_key(about, reason) if reason in CHANNEL_GONE else refusal_note_key(row.id)
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
        wait = retry_after(error)
        code = error_code(error)
        if wait is not None:
            log.warning("outbox row %s rate limited, retrying in %.1fs", row_id, wait)
            self._release(row_id, delay=wait, error="ratelimited")
        elif is_server_error(error):
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
                refused=(row, post, str(code)) if row is not None and not (post and post.quiet) else None,
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
            if retry_after(error) is not None or is_server_error(error):
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
