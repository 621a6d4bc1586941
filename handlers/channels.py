"""A channel's life: the bot added (registered once Slack says what the channel is), staff choosing
whether a channel that is not shared with another org is a customer channel, and the channel
events (archive, unarchive, the bot removed, deleted, renamed, shared, unshared, a new id).

Each listener reads the event into plain values and calls one use case (services/channel_events.py),
which applies it with its event id in one transaction, so a retried event is applied once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from handlers.routing import action, event
from services.channel_events import (
    ChannelChoice,
    bot_added,
    channel_back,
    channel_gone,
    channel_moved,
    channel_named,
    choose_channel,
    member_left,
    sharing_changed,
)
from services.channels import is_internal, staff_channels, why_not_here
from services.deps import Deps
from services.staff import not_staff
from slack_api.identity import payload_team
from tickets.channels import ChannelState, GoneReason
from ui import ids
from ui.blocks import (
    CHANNEL_CHOICE_BOT_GONE,
    CHANNEL_CHOICE_STAFF_ONLY,
    TRIAGE_IS_NOT_FOR_TICKETS,
    build_channel_choice_made,
)

# Still imported from here by handlers/tickets.py; they live in services/channels.py.
__all__ = ["is_internal", "on_bot_added", "staff_channels", "why_not_here"]

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
CHOICES = {ids.CHANNEL_USE_AS_CUSTOMER: ChannelState.CUSTOMER, ids.CHANNEL_MARK_INTERNAL: ChannelState.INTERNAL}


def _channel_id(event: dict[str, Any]) -> str:
    channel = event.get("channel")
    if isinstance(channel, dict):  # channel_rename / group_rename carry the channel object
        channel = channel.get("id")
    return channel if isinstance(channel, str) else ""


def _event_id(body: dict[str, Any]) -> str:
    """The id the event is claimed by ("" if Slack sent none: applied, unclaimed)."""
    return body.get("event_id", "")


def _event_key(event: dict[str, Any], body: dict[str, Any]) -> str:
    """What names this event in the outbox's dedupe keys: its id, else its ts."""
    return body.get("event_id") or event.get("event_ts") or ""


def on_bot_added(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """member_joined_channel for the bot itself (routed by handlers/events.py): the outbox reads
    the channel, then registers it (services.channel_events.finish_join)."""
    bot_added(
        deps,
        channel_id=_channel_id(event),
        inviter=event.get("inviter") or None,
        event_id=_event_id(body),
        key=_event_key(event, body),
    )


def went_away(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    """Archived, the bot removed, deleted."""
    if channel_id := _channel_id(event):
        reason = GONE_EVENTS[event["type"]]
        channel_gone(deps, channel_id=channel_id, reason=reason, event_id=_event_id(body), key=_event_key(event, body))


def someone_left(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if channel_id := _channel_id(event):
        member_left(
            deps,
            channel_id=channel_id,
            user_id=event.get("user") or "",
            event_id=_event_id(body),
            key=_event_key(event, body),
        )


def came_back(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if channel_id := _channel_id(event):
        channel_back(deps, channel_id=channel_id, event_id=_event_id(body))


def renamed(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if channel_id := _channel_id(event):
        name = (event.get("channel") or {}).get("name") if isinstance(event.get("channel"), dict) else None
        channel_named(deps, channel_id=channel_id, name=name or "", event_id=_event_id(body))


def sharing(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if channel_id := _channel_id(event):
        shared = event["type"] == "channel_shared" or bool(event.get("is_ext_shared"))
        sharing_changed(
            deps,
            channel_id=channel_id,
            is_ext_shared=shared,
            event_id=_event_id(body),
            key=_event_key(event, body),
        )


def id_changed(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    old_id, new_id = event.get("old_channel_id") or "", event.get("new_channel_id") or ""
    if old_id and new_id:
        channel_moved(deps, old_id=old_id, new_id=new_id, event_id=_event_id(body))


def choose(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Runs before the HTTP answer: the choice is stored when Slack hears "ok"."""
    ack()
    user_id = (body.get("user") or {}).get("id", "")
    refusal = not_staff(deps, user_id, CHANNEL_CHOICE_STAFF_ONLY, payload_team(body))
    if refusal:
        context["tell_user"] = refusal
        return
    channel_id, chosen = action.get("value") or "", CHOICES[action["action_id"]]
    outcome = choose_channel(deps, channel_id=channel_id, chosen=chosen)
    if outcome == ChannelChoice.STAFF_CHANNEL:
        context["tell_user"] = TRIAGE_IS_NOT_FOR_TICKETS
    elif outcome == ChannelChoice.BOT_GONE:
        context["tell_user"] = CHANNEL_CHOICE_BOT_GONE
    else:
        context["chosen"] = build_channel_choice_made(channel_id, chosen == ChannelState.CUSTOMER, user_id)


def answer_choice(context: BoltContext, respond: Respond) -> None:
    if context.get("chosen"):
        respond(text=context["chosen"], replace_original=True)
    elif context.get("tell_user"):
        respond(text=context["tell_user"], response_type="ephemeral", replace_original=False)


ROUTES = (
    *(event(kind, went_away) for kind in GONE_EVENTS),
    event("member_left_channel", someone_left),
    *(event(kind, came_back) for kind in BACK_EVENTS),
    *(event(kind, renamed) for kind in RENAME_EVENTS),
    *(event(kind, sharing) for kind in SHARING_EVENTS),
    event("channel_id_changed", id_changed),
    *(action(action_id, choose, answer_choice) for action_id in CHOICES),
)
