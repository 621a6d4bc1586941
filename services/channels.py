"""A channel's life: what the bot knows of a channel (read by listeners: may tickets be filed here,
and if not, why), and the steps that change it: the bot joining, staff choosing what a channel is,
archive, removal, deletion, rename, sharing and a changed channel id.

The steps take a session (their use case, in services/channel_events.py, owns the transaction) and
`now`; what Slack must be told goes into the outbox in the same transaction. Steps that stop or
resume a ticket's alarms return the ticket ids, for the use case to re-point after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from config.routing import area_channels
from outbox import PostKind, enqueue
from store.models import Customer, CustomerChannel, OnboardingStep, Ticket
from tickets.channels import ChannelState, GoneReason, on_bot_joined, on_shared, on_staff_choice, parse_state
from tickets.rules import Status
from ui.blocks import CHANNEL_NOT_SET_UP, NOT_A_CUSTOMER_CHANNEL, TRIAGE_IS_NOT_FOR_TICKETS

if TYPE_CHECKING:
    from services.deps import Deps


def staff_channels(deps: Deps) -> set[str]:
    """The triage, digest and product areas' channels: never customer channels, whatever happens in them."""
    return {c for c in (deps.settings.triage_channel, deps.settings.digest_channel) if c} | area_channels(deps.settings)


def is_internal(deps: Deps, channel_id: str) -> bool:
    """Staff said "Internal, ignore" for this channel: the bot stays quiet there."""
    with deps.db.session() as session:
        channel = session.get(CustomerChannel, channel_id) if channel_id else None
        return channel is not None and channel.state == ChannelState.INTERNAL


def why_not_here(deps: Deps, channel_id: str) -> str:
    """Why tickets can't be filed in a channel that is not a customer channel, for the person asking."""
    if channel_id in staff_channels(deps):
        return TRIAGE_IS_NOT_FOR_TICKETS
    with deps.db.session() as session:
        channel = session.get(CustomerChannel, channel_id) if channel_id else None
        pending = channel is not None and not channel.gone and channel.state == ChannelState.PENDING
    return CHANNEL_NOT_SET_UP if pending else NOT_A_CUSTOMER_CHANNEL


def _welcome(session: Session, channel_id: str, key: str, now: datetime) -> None:
    dedupe_key = f"welcome:{channel_id}:{key}"
    enqueue(session, kind=PostKind.WELCOME, dedupe_key=dedupe_key, now=now, payload={"channel": channel_id})


def retire_staff_channels(session: Session, channel_ids: list[str]) -> int:
    """The triage and digest channels are never customer channels. Versions before channel states
    recorded them as such when the bot was invited there (the README's set-up step): they become
    internal. Returns how many rows changed."""
    ids = [c for c in channel_ids if c]
    if not ids:
        return 0
    result = session.execute(
        update(CustomerChannel)
        .where(CustomerChannel.channel_id.in_(ids), CustomerChannel.state != ChannelState.INTERNAL.value)
        .values(state=ChannelState.INTERNAL.value)
    )
    return result.rowcount or 0


def open_tickets(session: Session, channel_id: str) -> list[int]:
    """The ids of the tickets not yet resolved in a channel, oldest first."""
    return list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.channel_id == channel_id, Ticket.status != Status.RESOLVED.value)
            .order_by(Ticket.id)
        )
    )


def bot_joined(
    session: Session,
    *,
    channel_id: str,
    name: str,
    is_ext_shared: bool,
    inviter: str | None,
    now: datetime,
    key: str,
) -> CustomerChannel:
    """The bot is in a channel (conversations.info answered). A channel shared with another org is a
    customer channel and gets the welcome; any other is pending, and the person who added the bot
    is asked (privately) what it is, or triage if Slack did not say who. `key` names this join
    (its event id): the same join applied twice owes each post once."""
    channel = session.get(CustomerChannel, channel_id)
    known = parse_state(channel.state) if channel is not None else None
    outcome = on_bot_joined(known, is_ext_shared)
    if channel is None:
        channel = CustomerChannel(channel_id=channel_id, joined_at=now)
        session.add(channel)
    channel.name = name
    channel.is_ext_shared = is_ext_shared
    channel.active = True
    channel.archived_at = None
    channel.state = outcome.state.value
    session.flush()
    if outcome.welcome:
        _welcome(session, channel_id, key, now)
    if outcome.ask:
        enqueue(
            session,
            kind=PostKind.CHANNEL_QUESTION,
            dedupe_key=f"channel_question:{channel_id}:{key}",
            now=now,
            payload={"channel": channel_id, "user": inviter},
        )
    return channel


def choose_channel_state(
    session: Session, *, channel_id: str, chosen: ChannelState, now: datetime
) -> CustomerChannel | None:
    """Staff chose what a channel is (customer or internal). None if the bot does not know it.

    Becoming a customer channel owes its welcome (once: choosing again changes nothing).
    """
    channel = session.get(CustomerChannel, channel_id, with_for_update=True)
    if channel is None:
        return None
    state, welcome = on_staff_choice(parse_state(channel.state) or ChannelState.PENDING, chosen)
    channel.state = state.value
    if welcome and not channel.gone:
        _welcome(session, channel_id, f"chosen:{now.timestamp():.6f}", now)
    return channel


def channel_went_away(session: Session, *, channel_id: str, reason: GoneReason, now: datetime, key: str) -> list[int]:
    """Archived, the bot removed, or deleted. If it was a live customer channel, triage is told once
    which tickets were open there. Returns those tickets: their alarms must stop."""
    channel = session.get(CustomerChannel, channel_id, with_for_update=True)
    if channel is None:
        return []
    was_live = not channel.gone and channel.state == ChannelState.CUSTOMER
    if reason == GoneReason.ARCHIVED:
        channel.archived_at = channel.archived_at or now
    else:
        channel.active = False
    if not was_live:
        return []  # told already (archived, then the bot removed), or never a customer channel
    still_open = open_tickets(session, channel_id)
    enqueue(
        session,
        kind=PostKind.CHANNEL_GONE,
        dedupe_key=f"channel_gone:{channel_id}:{key}",
        now=now,
        payload={"channel": channel_id, "name": channel.name, "reason": reason.value, "tickets": still_open},
    )
    return still_open


def channel_unarchived(session: Session, *, channel_id: str) -> list[int]:
    """The channel is back: its open tickets' alarms resume (re-derived from the tickets)."""
    channel = session.get(CustomerChannel, channel_id, with_for_update=True)
    if channel is None or channel.archived_at is None:
        return []
    channel.archived_at = None
    return open_tickets(session, channel_id) if not channel.gone else []


def channel_shared(session: Session, *, channel_id: str, is_ext_shared: bool, now: datetime, key: str) -> None:
    """Shared with another org (or no longer): a pending channel that becomes shared is a customer
    channel (welcome); one no longer shared stays what it is (its tickets go on)."""
    channel = session.get(CustomerChannel, channel_id, with_for_update=True)
    if channel is None:
        return
    channel.is_ext_shared = is_ext_shared
    if is_ext_shared:
        state, welcome = on_shared(parse_state(channel.state) or ChannelState.PENDING)
        channel.state = state.value
        if welcome and not channel.gone:
            _welcome(session, channel_id, key, now)


def channel_renamed(session: Session, *, channel_id: str, name: str) -> None:
    channel = session.get(CustomerChannel, channel_id)
    if channel is not None and name:
        channel.name = name


def channel_id_changed(session: Session, *, old_id: str, new_id: str) -> tuple[list[int], bool]:
    """Slack gave the channel a new id (a private channel becoming shared: G… → C…). Its record,
    tickets and onboarding move to the new id. Returns (the open tickets, whether an onboarding
    moved): their alarms are keyed by the channel and must be re-pointed."""
    old = session.get(CustomerChannel, old_id, with_for_update=True)
    if old is None or old_id == new_id:
        return [], False
    if session.get(CustomerChannel, new_id) is None:
        columns = {c.key: getattr(old, c.key) for c in CustomerChannel.__table__.columns}
        session.execute(insert(CustomerChannel), [{**columns, "channel_id": new_id}])
    session.execute(update(Ticket).where(Ticket.channel_id == old_id).values(channel_id=new_id))
    moved_onboarding = False
    customer = session.get(Customer, old_id)
    if customer is not None:
        if session.get(Customer, new_id) is None:
            columns = {c.key: getattr(customer, c.key) for c in Customer.__table__.columns}
            steps = [
                {c.key: getattr(step, c.key) for c in OnboardingStep.__table__.columns}
                for step in session.scalars(select(OnboardingStep).where(OnboardingStep.channel_id == old_id))
            ]
            session.execute(insert(Customer), [{**columns, "channel_id": new_id}])
            if steps:
                session.execute(insert(OnboardingStep), [{**step, "channel_id": new_id} for step in steps])
            moved_onboarding = True
        session.execute(delete(OnboardingStep).where(OnboardingStep.channel_id == old_id))
        session.execute(delete(Customer).where(Customer.channel_id == old_id))
    session.expunge_all()  # the ORM's copies of the old rows are stale now
    session.execute(delete(CustomerChannel).where(CustomerChannel.channel_id == old_id))
    return open_tickets(session, new_id), moved_onboarding


def tickets_refused_here(deps: Deps, channel_id: str, *, remembered: bool = False) -> str | None:
    """None if tickets are filed in `channel_id` now (a live customer channel); else why not, for the
    person asking (`why_not_here`). `remembered`: a "yes" may come from `deps.channels`' memory (the
    /ticket hot path; staff channels are refused first); otherwise the database is read."""
    if remembered and channel_id in staff_channels(deps):
        return TRIAGE_IS_NOT_FOR_TICKETS
    if deps.channels.is_customer_channel(channel_id, fresh=not remembered):
        return None
    return why_not_here(deps, channel_id)
