"""Use case: a person's reply in a ticket's conversation (its card's thread, or the thread of the
message it was made from), recorded once, in one unit of work with its Slack event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.conversations import CustomerMessage, hear_message
from services.tickets import conversation_has_ticket, record_reply, ticket_row_by_conversation, ticket_timers
from services.unit_of_work import UnitOfWork, unit_of_work
from store.db import Row, save_row
from tickets.intake import is_noise

if TYPE_CHECKING:
    from services.deps import Deps
    from slack_api.identity import Identity


def record_thread_reply(
    deps: Deps,
    *,
    channel_id: str,
    thread_ts: str,
    ts: str,
    user_id: str,
    team_hint: str | None,
    event_id: str,
    text: str | None = None,
    hear_unowned: bool = True,
) -> None:
    """`user_id` (of team `team_hint`, as the event states it) wrote message `ts` in thread
    `thread_ts` of `channel_id`, saying `text` (plain text; None: not known). If that thread is a
    ticket's conversation, the reply is recorded (staff: a response, the customer's wait ends; a
    customer: a waiting or resolved ticket reopens, and after a staff reply a next-response clock
    starts, unless the reply is only a pleasantry, tickets.intake.is_noise). An author Slack can't
    name yet is recorded as unknown and looked up again later (a scheduled job). A reply in a
    thread no ticket owns goes to the channel's intake (services/conversations.hear_message) unless
    `hear_unowned` is False (it mentions the bot: app_mention files it)."""
    pleasantry = text is not None and is_noise(text)
    unowned = CustomerMessage(channel_id, ts, user_id, team_hint, text or "", thread_ts=thread_ts)
    author = deps.directory.identify_cached(user_id, team_hint)
    if author is None:  # users.info it takes: never wait on Slack (a 429's Retry-After) holding the lock
        with deps.db.session() as session:
            owned = conversation_has_ticket(session, channel_id, thread_ts)
        if not owned:
            if hear_unowned and text is not None:
                hear_message(deps, unowned, event_id=event_id)
            return
        author = deps.directory.identify(user_id, team_hint)
    with unit_of_work(deps) as uow:
        ticket = ticket_row_by_conversation(uow.session, channel_id, thread_ts)
        if ticket is not None:
            if uow.claim(event_id):
                _record(deps, uow, ticket, ts=ts, user_id=user_id, author=author, pleasantry=pleasantry)
            return
    if hear_unowned and text is not None:
        # A thread no ticket owns: the channel's intake decides, as for a top-level message.
        hear_message(deps, unowned, event_id=event_id)


def _record(
    deps: Deps, uow: UnitOfWork, ticket: Row, *, ts: str, user_id: str, author: Identity, pleasantry: bool
) -> None:
    """The reply, recorded on its (locked) ticket; its alarms follow if they changed."""
    timers_before = ticket_timers(ticket)
    recorded = record_reply(
        uow.session,
        ticket,
        ts=ts,
        user_id=user_id,
        from_staff=author.is_staff if author.known else None,
        now=uow.now,
        sla=deps.sla_policy,
        pleasantry=pleasantry,
    )
    save_row(uow.session, ticket)
    if ticket_timers(ticket) != timers_before:  # most replies change no alarm: leave the job store be
        uow.resync_ticket(ticket.id)
    if recorded and not author.known:  # Slack could not say who wrote it: look again shortly
        ticket_id = ticket.id
        uow.then(lambda: deps.settle_reply_authors_later(ticket_id))
