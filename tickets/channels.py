"""Which channels are customer channels, through their whole life: pure rules, no I/O.

A channel the bot is in is in one of three states:

- ``customer``: tickets are filed there (a Slack Connect channel, or one staff chose);
- ``pending``: not shared with another org, and nobody on staff has said yet what it is;
- ``internal``: staff said "internal, ignore".

Independently of its state a channel can be *gone* for the bot: archived, the bot removed, or
deleted. A gone channel gets no posts, no SLA warnings or pages; triage is told once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChannelState(StrEnum):
    CUSTOMER = "customer"
    PENDING = "pending"
    INTERNAL = "internal"


class GoneReason(StrEnum):
    ARCHIVED = "archived"
    REMOVED = "removed"  # the bot was removed from the channel
    DELETED = "deleted"


@dataclass(frozen=True)
class JoinOutcome:
    """What the bot joining a channel leads to: its state, and what Slack must be told."""

    state: ChannelState
    welcome: bool  # post the customer welcome in the channel
    ask: bool  # ask staff whether it is a customer channel


def on_bot_joined(known: ChannelState | None, is_ext_shared: bool) -> JoinOutcome:
    """The bot was added to a channel (`known`: its state from an earlier stay, or None).

    A channel shared with another org is a customer channel. One that is not (an internal channel,
    or our own channel with guests) is not assumed to be one: it is pending until staff choose,
    unless staff chose before (a decision outlives the bot leaving and coming back).
    """
    if known == ChannelState.INTERNAL:
        return JoinOutcome(ChannelState.INTERNAL, welcome=False, ask=False)
    if is_ext_shared or known == ChannelState.CUSTOMER:
        return JoinOutcome(ChannelState.CUSTOMER, welcome=True, ask=False)
    return JoinOutcome(ChannelState.PENDING, welcome=False, ask=True)


def on_shared(state: ChannelState) -> tuple[ChannelState, bool]:
    """The channel became shared with another org: (new state, post the welcome?).

    A pending channel becomes a customer channel; staff's "internal" stands.
    """
    if state == ChannelState.PENDING:
        return ChannelState.CUSTOMER, True
    return state, False


def on_staff_choice(state: ChannelState, chosen: ChannelState) -> tuple[ChannelState, bool]:
    """Staff chose what the channel is: (new state, post the welcome?). Choosing again is a no-op.

    Raises ValueError for a choice other than customer or internal.
    """
    if chosen not in (ChannelState.CUSTOMER, ChannelState.INTERNAL):
        raise ValueError(f"a channel can be chosen as customer or internal, not {chosen}")
    return chosen, chosen == ChannelState.CUSTOMER and state != ChannelState.CUSTOMER


def parse_state(raw: str | None) -> ChannelState | None:
    try:
        return ChannelState(raw) if raw else None
    except ValueError:
        return None
