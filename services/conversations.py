"""Use case: a top-level message in a customer channel is heard (issue 16, "every customer
message is heard").

By the channel's intake mode (tickets/intake.py): `all` tracks every substantive customer message
as a conversation (a ticket with source "message", no severity, status new, 👀 on the message);
`ask` asks its author privately whether to track it; `explicit` leaves it to /ticket, 🎫 and the
rest. Staff, the bot, apps and pleasantries are never conversations. A customer's top-level
messages within SUPPORT_MESSAGE_GROUPING of their open conversation's latest join it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select

from outbox import enqueue_fresh, reaction_post
from services.intake_asks import ask_to_track
from services.tickets import (
    NewTicket,
    add_conversation_thread,
    claim_then_latest_conversation,
    file_ticket,
    record_reply,
    ticket_row_by_conversation,
    ticket_timers,
    ts_time,
)
from services.unit_of_work import UnitOfWork, unit_of_work
from store.db import save_row
from store.models import CustomerChannel
from tickets.channels import ChannelState
from tickets.intake import CONVERSATION_SOURCE, HEARD_EMOJI, IntakeMode, is_noise, joins_conversation
from tickets.rules import description_from_message, title_from_message

if TYPE_CHECKING:
    from services.deps import Deps


@dataclass(frozen=True)
class CustomerMessage:
    """A person's top-level message in a channel (slack_api.message_kinds), its text as plain text."""

    channel_id: str
    ts: str
    user_id: str
    team_hint: str | None
    text: str  # plain text (tickets.slack_text.plain_text of what the person wrote)
    # A reply in a thread no ticket owns (a customer's question under a staff announcement, the
    # problem under their own "Hi team"): the thread's root. None: a top-level message.
    thread_ts: str | None = None

    @property
    def thread(self) -> str:
        """The thread whose later replies join the conversation: the root, or the message itself."""
        return self.thread_ts or self.ts


_CHANNELS = CustomerChannel.__table__
_INTAKE = select(_CHANNELS.c.intake_mode).where(
    _CHANNELS.c.channel_id == bindparam("channel_id"),
    _CHANNELS.c.active.is_(True),
    _CHANNELS.c.state == ChannelState.CUSTOMER.value,
    _CHANNELS.c.archived_at.is_(None),
)
_INTAKE_LOCKED = _INTAKE.with_for_update()


def _mode(found: tuple | None, default: IntakeMode) -> IntakeMode | None:
    """The channel's intake mode (None: not a live customer channel)."""
    if found is None:
        return None
    return IntakeMode(found[0]) if found[0] else default


def hear_message(deps: Deps, message: CustomerMessage, *, event_id: str) -> None:
    """Track, group, ask about or ignore a customer's message, once per `event_id` and message: a
    top-level one, or a reply in a thread no ticket owns (`message.thread_ts`, services/replies.py).

    Nothing happens outside a live customer channel, for noise, or for staff. An author Slack
    cannot name right now is taken for a customer: a message is never lost for a failed look-up
    (staff can close it with "Not a ticket").
    """
    if is_noise(message.text):
        return
    default_mode, params = deps.settings.intake_mode, {"channel_id": message.channel_id}
    author = deps.directory.identify_cached(message.user_id, message.team_hint)
    if author is None:  # it takes users.info: not for internal channels and explicit ones, so look first
        with deps.db.session() as session:
            if _mode(session.execute(_INTAKE, params).first(), default_mode) in (None, IntakeMode.EXPLICIT):
                return
        author = deps.directory.identify(message.user_id, message.team_hint)
    # (Known without a call, the channel is read once, below, locked: a transaction fewer.)
    if author.known and author.is_staff:
        return
    with unit_of_work(deps) as uow:
        session = uow.session
        # The channel row is locked: one customer's messages arriving at once group, never race.
        mode = _mode(session.execute(_INTAKE_LOCKED, params).first(), default_mode)
        if mode in (None, IntakeMode.EXPLICIT):
            return
        if mode is IntakeMode.ASK:
            if uow.claim(event_id):
                ask_to_track(deps, uow, message)
            return
        claimed, latest = claim_then_latest_conversation(
            session, event_id, message.channel_id, message.user_id, uow.now
        )
        if not claimed:
            return
        window = deps.settings.message_grouping
        if latest is not None and joins_conversation(latest[1], ts_time(message.ts, uow.now), window):
            _join(deps, uow, latest[0], message)
            return
        new = NewTicket(
            channel_id=message.channel_id,
            reporter_id=message.user_id,
            reporter_is_staff=False,
            severity=None,
            title=title_from_message(message.text),
            description=description_from_message(message.text),
            source=CONVERSATION_SOURCE,
            submission_key=f"msg:{message.channel_id}:{message.ts}",
            reporter_team_id=author.team_id or message.team_hint,
            source_ts=message.ts,
            source_thread_ts=message.thread_ts,
        )
        filed = file_ticket(session, new, uow.now, deps.sla_policy)
        uow.then(lambda: deps.set_new_ticket_timers(filed))


def hear_edit(deps: Deps, message: CustomerMessage, *, before: str, event_id: str) -> None:
    """An edit of a message whose text was `before` (plain text). Only an edit that turns a
    pleasantry into something substantive ("thanks!" → "thanks! but the export still fails") is
    heard, as the message it now is; any other edit changes nothing (what was substantive was
    heard when it was written)."""
    if is_noise(before):
        hear_message(deps, message, event_id=event_id)


def _join(deps: Deps, uow: UnitOfWork, ticket_id: int, message: CustomerMessage) -> None:
    """A customer's next top-level message joins their open conversation: its thread joins too,
    it is recorded as a customer message (a next-response clock may start), and gets 👀."""
    session, now = uow.session, uow.now
    if not add_conversation_thread(session, ticket_id, message.channel_id, message.thread, message.user_id, now):
        return  # seen before
    ticket = ticket_row_by_conversation(session, message.channel_id, message.thread)
    if ticket is None:
        return
    timers_before = ticket_timers(ticket)
    record_reply(
        session, ticket, ts=message.ts, user_id=message.user_id, from_staff=False, now=now, sla=deps.sla_policy
    )
    save_row(session, ticket)
    heard = reaction_post(message.channel_id, message.ts, HEARD_EMOJI, "add", now)
    enqueue_fresh(session, [heard], now=now, ticket_id=ticket_id)
    if ticket_timers(ticket) != timers_before:
        uow.resync_ticket(ticket_id)
