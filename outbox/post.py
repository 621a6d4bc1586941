"""What the outbox asks of its planner: a row in, the one Web API call that delivers it out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from outbox.http import HttpRequest


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An outbox row as its delivery sees it (read by the claim itself, with no second query)."""

    id: int
    kind: str  # a PostKind's value (or any kind a caller's own planner knows)
    dedupe_key: str
    ticket_id: int | None
    payload: dict[str, Any]
    attempts: int
    last_error: str | None


@dataclass
class Post:
    """One Web API call that delivers an outbox row, and what to record once Slack accepts it (or,
    with `http`, one POST elsewhere)."""

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
    # When Slack refuses the post as invalid (too long, blocks it will not take): given the args
    # as sent, the smaller args to send once instead, or None if there is nothing smaller. Only
    # for chat.postMessage and chat.update; None: the refusal fails the row.
    reduce: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    # Slack errors that mean the call's effect is already there (reactions.add's already_reacted,
    # reactions.remove's no_reaction): the row counts as sent.
    done_errors: tuple[str, ...] = ()
    # Errors that fail the row quietly: logged, triage is not told (a reaction on a message the
    # customer has since deleted is nobody's problem).
    quiet: bool = False
    # Not a Slack call: a POST to a webhook receiver or PagerDuty (method "http"), sent as it is.
    # Its answer is classified by outbox/http.py; a refusal fails the row with a log line only.
    http: HttpRequest | None = None


class Defer(Exception):
    """The row cannot be delivered yet (it waits on another row, or on pacing); try again shortly."""

    def __init__(self, reason: str, delay: float = 0.5) -> None:
        super().__init__(reason)
        self.delay = delay  # seconds until the row is due again


class Settled(Exception):
    """The row needs no Web API call of its own (a triage mirror listed in a summary instead, an
    update folded into the summary's next render): it counts as sent, and what the planner wrote
    in the claim's transaction is committed with it. The reason is logged."""


class Abandon(Exception):
    """The row can never be delivered; record why."""


# Plans a row's delivery, in the claim's transaction: raises Defer (not yet), Settled (nothing to
# send) or Abandon (never).
Planner = Callable[[Session, OutboxRow], Post]
