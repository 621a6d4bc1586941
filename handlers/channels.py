"""A channel's life: the bot added (registered once Slack says what the channel is), staff choosing
whether a channel that is not shared with another org is a customer channel, and the channel
events (archive, unarchive, the bot removed, deleted, renamed, shared, unshared, a new id).

Each event is applied with its event id in one transaction, so a retried event is applied once.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handlers.staff import not_staff
from outbox import enqueue
from services.channels import (
    bot_joined,
    channel_id_changed,
    channel_renamed,
    channel_shared,
    channel_unarchived,
    channel_went_away,
    choose_channel_state,
    open_tickets,
)
from services.deps import Deps
from services.tickets import claim_event
from slack_api.identity import payload_team
from store.models import Customer, CustomerChannel
from tickets.channels import ChannelState, GoneReason
from ui import ids
from ui.blocks import (
    CHANNEL_CHOICE_STAFF_ONLY,
    CHANNEL_NOT_SET_UP,
    NOT_A_CUSTOMER_CHANNEL,
    TRIAGE_IS_NOT_FOR_TICKETS,
    build_channel_choice_made,
)

log = logging.getLogger(__name__)

GONE_EVENTS = {
    "channel_archive": GoneReason.ARCHIVED,
    "group_archive": GoneReason.ARCHIVED,
    "channel_left": GoneReason.REMOVED,
    "group_left": GoneReason.REMOVED,
    "channel_deleted": GoneReason.DELETED,
    "group_deleted": GoneReason.DELETED,
}
BACK_EVENTS = ("channel_unarchive", "group_unarchive")
RENAME_EVENTS = ("channel_rename", "group_rename")
SHARING_EVENTS = ("channel_shared", "channel_unshared")
EVENTS = (
    *GONE_EVENTS,
    *BACK_EVENTS,
    *RENAME_EVENTS,
    *SHARING_EVENTS,
    "member_left_channel",
    "channel_id_changed",
)
ACTIONS = (ids.CHANNEL_USE_AS_CUSTOMER, ids.CHANNEL_MARK_INTERNAL)
CHOICES = {ids.CHANNEL_USE_AS_CUSTOMER: ChannelState.CUSTOMER, ids.CHANNEL_MARK_INTERNAL: ChannelState.INTERNAL}
NOT_IN_CHANNEL = "I am no longer in that channel, so there is nothing to set up."


def staff_channels(deps: Deps) -> set[str]:
    """The triage and digest channels: never customer channels, whatever happens in them."""
    return {c for c in (deps.settings.triage_channel, deps.settings.digest_channel) if c}


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


def _channel_id(event: dict[str, Any]) -> str:
    channel = event.get("channel")
    if isinstance(channel, dict):  # channel_rename / group_rename carry the channel object
        channel = channel.get("id")
    return channel if isinstance(channel, str) else ""


def on_bot_added(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """The bot was added to a channel. No Slack call here: the outbox reads the channel
    (conversations.info) with its retry policy and then registers it (`complete_join`)."""
    channel_id = _channel_id(event)
    if not channel_id or channel_id in staff_channels(deps):
        return  # triage and digest: no welcome, no customer channel
    event_id = body.get("event_id") or event.get("event_ts") or ""
    now = deps.clock()
    with deps.db.transaction() as session:
        if not claim_event(session, body.get("event_id", ""), now):
            return
        enqueue(
            session,
            kind="channel_join",
            dedupe_key=f"channel_join:{channel_id}:{event_id}",
            now=now,
            payload={"channel": channel_id, "inviter": event.get("inviter") or None, "key": event_id},
        )


def register(app: App, deps: Deps) -> None:
    def complete_join(payload: dict[str, Any], answer: dict[str, Any]) -> None:
        """conversations.info answered for a channel the bot joined: register it (idempotent)."""
        info = answer.get("channel") or {}
        with deps.db.transaction() as session:
            channel = bot_joined(
                session,
                channel_id=payload["channel"],
                name=info.get("name") or "",
                is_ext_shared=bool(info.get("is_ext_shared")),
                inviter=payload.get("inviter"),
                now=deps.clock(),
                key=payload.get("key") or "",
            )
            back = open_tickets(session, channel.channel_id)  # added back after a removal: alarms resume
        deps.sync_timers_of(back)

    deps.followups["channel_join"] = complete_join

    def channel_event(event: dict[str, Any], body: dict[str, Any]) -> None:
        kind, channel_id = event.get("type", ""), _channel_id(event)
        if not channel_id:
            return
        if kind == "member_left_channel" and event.get("user") != deps.directory.host().bot_user_id:
            return  # someone else left: nothing changes for the channel
        now, event_id = deps.clock(), body.get("event_id") or event.get("event_ts") or ""
        resync: list[int] = []
        with deps.db.transaction() as session:
            if not claim_event(session, body.get("event_id", ""), now):
                return
            if kind in GONE_EVENTS or kind == "member_left_channel":
                reason = GONE_EVENTS.get(kind, GoneReason.REMOVED)
                resync = channel_went_away(session, channel_id=channel_id, reason=reason, now=now, key=event_id)
            elif kind in BACK_EVENTS:
                resync = channel_unarchived(session, channel_id=channel_id)
            elif kind in RENAME_EVENTS:
                name = (event.get("channel") or {}).get("name") if isinstance(event.get("channel"), dict) else None
                channel_renamed(session, channel_id=channel_id, name=name or "")
            elif kind in SHARING_EVENTS:
                shared = kind == "channel_shared" or bool(event.get("is_ext_shared"))
                channel_shared(session, channel_id=channel_id, is_ext_shared=shared, now=now, key=event_id)
        deps.channels.forget(channel_id)
        deps.sync_timers_of(resync)

    def id_changed(event: dict[str, Any], body: dict[str, Any]) -> None:
        old_id, new_id = event.get("old_channel_id") or "", event.get("new_channel_id") or ""
        if not old_id or not new_id:
            return
        with deps.db.transaction() as session:
            if not claim_event(session, body.get("event_id", ""), deps.clock()):
                return
            tickets, moved_onboarding = channel_id_changed(session, old_id=old_id, new_id=new_id)
        deps.channels.forget(old_id)
        deps.sync_timers_of(tickets)
        if moved_onboarding:
            deps.forget_customer_timers(old_id)
            with deps.db.session() as session:
                customer = session.get(Customer, new_id)
            if customer is not None:
                deps.sync_customer_timers(customer)

    def choose(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        """Runs before the HTTP answer: the choice is stored when Slack hears "ok"."""
        ack()
        user_id = (body.get("user") or {}).get("id", "")
        refusal = not_staff(deps, user_id, CHANNEL_CHOICE_STAFF_ONLY, payload_team(body))
        if refusal:
            context["tell_user"] = refusal
            return
        channel_id, chosen = action.get("value") or "", CHOICES[action["action_id"]]
        if channel_id in staff_channels(deps):
            context["tell_user"] = TRIAGE_IS_NOT_FOR_TICKETS
            return
        with deps.db.transaction() as session:
            channel = choose_channel_state(session, channel_id=channel_id, chosen=chosen, now=deps.clock())
            gone = channel is None or channel.gone
        deps.channels.forget(channel_id)
        if gone:
            context["tell_user"] = NOT_IN_CHANNEL
            return
        context["chosen"] = build_channel_choice_made(channel_id, chosen == ChannelState.CUSTOMER, user_id)

    def answer_choice(context: BoltContext, respond: Respond) -> None:
        if context.get("chosen"):
            respond(text=context["chosen"], replace_original=True)
        elif context.get("tell_user"):
            respond(text=context["tell_user"], response_type="ephemeral", replace_original=False)

    for kind in (*GONE_EVENTS, *BACK_EVENTS, *RENAME_EVENTS, *SHARING_EVENTS, "member_left_channel"):
        app.event(kind)(channel_event)
    app.event("channel_id_changed")(id_changed)
    for action_id in ACTIONS:
        app.action(action_id)(ack=choose, lazy=[answer_choice])
