"""Use cases for a channel's life, one per thing that happens to a channel: the bot added (and,
once the outbox has read the channel, registered), staff choosing what a channel is, and Slack's
channel events (gone, back, renamed, sharing changed, a new id).

Each runs in one unit of work: a Slack event is claimed in the transaction that applies it (a
retried event is applied once), and the alarms of the tickets and customers it touched are
re-pointed after the commit. The steps themselves are in services/channels.py.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from outbox import PostKind, enqueue
from services.channels import (
    bot_joined,
    channel_id_changed,
    channel_renamed,
    channel_shared,
    channel_unarchived,
    channel_went_away,
    choose_channel_state,
    open_tickets,
    staff_channels,
)
from services.tickets import restart_customer_waits
from services.unit_of_work import UnitOfWork, unit_of_work
from tickets.channels import ChannelState, GoneReason

if TYPE_CHECKING:
    from services.deps import Deps


def bot_added(deps: Deps, *, channel_id: str, inviter: str | None, event_id: str, key: str) -> None:
    """The bot was added to `channel_id` (by `inviter`, if Slack said). No Slack call here: the
    outbox reads the channel (conversations.info, with its retry policy), then `finish_join`
    registers it. `key` names this join in the outbox (the event id, else the event's ts).
    Triage and digest channels get nothing: no welcome, never a customer channel."""
    if not channel_id or channel_id in staff_channels(deps):
        return
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        enqueue(
            uow.session,
            kind=PostKind.CHANNEL_JOIN,
            dedupe_key=f"channel_join:{channel_id}:{key}",
            now=uow.now,
            payload={"channel": channel_id, "inviter": inviter, "key": key},
        )


def finish_join(deps: Deps, payload: dict[str, Any], answer: dict[str, Any]) -> None:
    """The outbox's follow-up for a "channel_join" row: conversations.info answered (`answer`) for
    the channel in `payload` (written by `bot_added`); register it (idempotent: keyed by the join).
    A channel the bot is added back to resumes its open tickets' alarms."""
    info = answer.get("channel") or {}
    with unit_of_work(deps) as uow:
        channel = bot_joined(
            uow.session,
            channel_id=payload["channel"],
            name=info.get("name") or "",
            is_ext_shared=bool(info.get("is_ext_shared")),
            inviter=payload.get("inviter"),
            now=uow.now,
            key=payload.get("key") or "",
        )
        _resync(uow, open_tickets(uow.session, channel.channel_id))


def channel_gone(deps: Deps, *, channel_id: str, reason: GoneReason, event_id: str, key: str) -> None:
    """The channel was archived, the bot removed from it, or it was deleted: triage is told once
    (`key` names the telling) and its open tickets' alarms stop."""
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        stopped = channel_went_away(uow.session, channel_id=channel_id, reason=reason, now=uow.now, key=key)
        _changed(deps, uow, channel_id, stopped)


def member_left(deps: Deps, *, channel_id: str, user_id: str, event_id: str, key: str) -> None:
    """`user_id` left the channel: if that is the bot, the channel is gone for it (`channel_gone`,
    removed); anyone else leaving changes nothing for the channel."""
    if user_id != deps.directory.host().bot_user_id:
        return
    channel_gone(deps, channel_id=channel_id, reason=GoneReason.REMOVED, event_id=event_id, key=key)


def channel_back(deps: Deps, *, channel_id: str, event_id: str) -> None:
    """The channel was unarchived: its open tickets' alarms resume, and the tickets waiting on the
    customer start their wait over (reminder, then close)."""
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        ticket_ids = channel_unarchived(uow.session, channel_id=channel_id)
        # Nobody could answer in an archived channel: a ticket waiting on the customer waits anew.
        restart_customer_waits(uow.session, ticket_ids, deps.sla_policy.pending, deps.clock())
        _changed(deps, uow, channel_id, ticket_ids)


def channel_named(deps: Deps, *, channel_id: str, name: str, event_id: str) -> None:
    """The channel was renamed to `name` (an empty name changes nothing)."""
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        channel_renamed(uow.session, channel_id=channel_id, name=name)
        _changed(deps, uow, channel_id, [])


def sharing_changed(deps: Deps, *, channel_id: str, is_ext_shared: bool, event_id: str, key: str) -> None:
    """The channel became shared with another org, or stopped being: a pending channel that becomes
    shared is a customer channel and owes its welcome (`key` names it)."""
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        channel_shared(uow.session, channel_id=channel_id, is_ext_shared=is_ext_shared, now=uow.now, key=key)
        _changed(deps, uow, channel_id, [])


def channel_moved(deps: Deps, *, old_id: str, new_id: str, event_id: str) -> None:
    """Slack gave the channel a new id (G… → C…): its record, tickets and onboarding move; the
    alarms keyed by the old id go, the tickets' and the customer's are re-pointed at the new one."""
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):
            return
        tickets, moved_onboarding = channel_id_changed(uow.session, old_id=old_id, new_id=new_id)
        _changed(deps, uow, old_id, tickets)
        if moved_onboarding:
            uow.then(lambda: deps.forget_customer_timers(old_id))
            uow.resync_customer(new_id)


class ChannelChoice(Enum):
    """What came of staff choosing what a channel is."""

    MADE = "made"
    STAFF_CHANNEL = "staff_channel"  # triage or digest: never a customer channel
    BOT_GONE = "bot_gone"  # the bot is not in it (or never was): nothing to set up


def choose_channel(deps: Deps, *, channel_id: str, chosen: ChannelState) -> ChannelChoice:
    """Staff chose `chosen` (customer or internal) for `channel_id`; becoming a customer channel
    owes its welcome once. The caller has checked that the chooser is staff."""
    if channel_id in staff_channels(deps):
        return ChannelChoice.STAFF_CHANNEL
    with unit_of_work(deps) as uow:
        channel = choose_channel_state(uow.session, channel_id=channel_id, chosen=chosen, now=uow.now)
        gone = channel is None or channel.gone
        _changed(deps, uow, channel_id, [])
    return ChannelChoice.BOT_GONE if gone else ChannelChoice.MADE


def _resync(uow: UnitOfWork, ticket_ids: list[int]) -> None:
    for ticket_id in ticket_ids:
        uow.resync_ticket(ticket_id)


def _changed(deps: Deps, uow: UnitOfWork, channel_id: str, ticket_ids: list[int]) -> None:
    """After the commit: the /ticket memory forgets the channel (it may no longer be a customer
    channel), and the alarms of `ticket_ids` are re-pointed."""
    uow.then(lambda: deps.channels.forget(channel_id))
    _resync(uow, ticket_ids)
