"""Use cases of ask mode (issue 16, "Intake modes"): a customer's substantive top-level message in
an `ask` channel gets its author a private "Track this as a ticket? · Open ticket · No thanks",
at most once per person and channel per SUPPORT_ASK_COOLDOWN; "Open ticket" opens the ticket form
filled in from the message (handlers/intake.py), whose submission files a ticket linked to it.

The cooldown is a row per (channel, person) in intake_asks, claimed in the same unit of work as
the event: a first INSERT ... ON CONFLICT DO NOTHING, else an UPDATE that only moves `asked_at`
if it is older than the cooldown. Two replicas hearing two messages at once cannot both win: the
loser's INSERT waits for the winner's row and does nothing, and its UPDATE then sees the new
`asked_at` (PostgreSQL re-checks the WHERE of a row updated concurrently; SQLite serialises
writers).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from outbox import PostKind, enqueue
from services.filing import ASK_SOURCE, shortcut_refusal
from services.unit_of_work import UnitOfWork
from store.db import insert_new
from store.models import IntakeAsk
from ui.blocks import AskedMessage, build_ask_to_track
from ui.messages import ASK_NOT_YOURS, ASK_OUT_OF_DATE

if TYPE_CHECKING:
    from services.conversations import CustomerMessage
    from services.deps import Deps

__all__ = ["ASK_SOURCE", "answer_refusal", "ask_to_track", "claim_ask", "open_ticket_refusal"]

_ASKS = IntakeAsk.__table__
_ASK_AGAIN = (
    update(_ASKS)
    .where(
        _ASKS.c.channel_id == bindparam("channel"),
        _ASKS.c.user_id == bindparam("user"),
        _ASKS.c.asked_at <= bindparam("cutoff"),
    )
    .values(asked_at=bindparam("now"))
)


def claim_ask(session: Session, channel_id: str, user_id: str, now: datetime, cooldown: timedelta) -> bool:
    """Record that `user_id` is asked in `channel_id` now; False if they were asked within `cooldown`."""
    if insert_new(session, IntakeAsk, {"channel_id": channel_id, "user_id": user_id, "asked_at": now}):
        return True
    params = {"channel": channel_id, "user": user_id, "cutoff": now - cooldown, "now": now}
    return session.execute(_ASK_AGAIN, params).rowcount == 1


def ask_to_track(deps: Deps, uow: UnitOfWork, message: CustomerMessage) -> bool:
    """Ask mode: owe the author of `message` a private "Track this as a ticket?", unless they were
    asked in this channel within SUPPORT_ASK_COOLDOWN. Called by `hear_message` inside its unit of
    work (the event claimed, the channel row locked). True if they are asked."""
    session, now = uow.session, uow.now
    if not claim_ask(session, message.channel_id, message.user_id, now, deps.settings.ask_cooldown):
        return False
    text, blocks = build_ask_to_track(AskedMessage(message.user_id, message.ts, message.text))
    payload = {"channel": message.channel_id, "user": message.user_id, "text": text, "blocks": blocks}
    key = f"ask:{message.channel_id}:{message.ts}"
    enqueue(session, kind=PostKind.EPHEMERAL, dedupe_key=key, now=now, payload=payload)
    return True


def answer_refusal(user_id: str, asked: AskedMessage | None) -> str | None:
    """Why `user_id` may not answer the question about `asked` (None: they may): only its author,
    and only with a button we built."""
    if asked is None:
        return ASK_OUT_OF_DATE
    return None if user_id == asked.author_id else ASK_NOT_YOURS


def open_ticket_refusal(deps: Deps, *, channel_id: str, user_id: str, asked: AskedMessage | None) -> str | None:
    """Why "Open ticket" (clicked by `user_id` in `channel_id`) opens no form, or None if it may:
    the author's own question, in a live customer channel, on a message that is not a ticket yet
    (someone may have 🎫'd it since; the Create-ticket shortcut's rules)."""
    refusal = answer_refusal(user_id, asked)
    if refusal or asked is None:
        return refusal
    return shortcut_refusal(deps, channel_id=channel_id, message={"ts": asked.ts, "user": asked.author_id})
