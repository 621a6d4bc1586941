"""Use case: staff see and change one customer channel's intake mode from the channel
(`/ticket intake`, `/ticket intake all|ask|explicit`; issue 16, "Intake modes").

The mode is stored on customer_channels.intake_mode; None there means the SUPPORT_INTAKE default.
services/conversations.hear_message reads it (with the channel row locked) for every message, so
a change applies to the next message, on every replica.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.channels import why_not_here
from services.tickets import customer_channel
from services.unit_of_work import unit_of_work
from tickets.intake import INTAKE_MODE_LABELS, IntakeMode
from ui.messages import WHO_ARE_YOU_UNKNOWN, intake_mode_status, intake_usage

if TYPE_CHECKING:
    from services.deps import Deps

log = logging.getLogger(__name__)
_LABELS = {str(mode): label for mode, label in INTAKE_MODE_LABELS.items()}


@dataclass(frozen=True)
class ChannelIntake:
    mode: IntakeMode
    is_default: bool  # nothing set for the channel: SUPPORT_INTAKE's mode


def channel_intake(deps: Deps, channel_id: str) -> ChannelIntake | None:
    """The intake mode of a live customer channel, or None if it is not one."""
    with deps.db.session() as session:
        channel = customer_channel(session, channel_id)
        if channel is None:
            return None
        stored = channel.intake_mode
    return ChannelIntake(IntakeMode(stored), False) if stored else ChannelIntake(deps.settings.intake_mode, True)


def set_channel_intake(deps: Deps, channel_id: str, mode: IntakeMode, user_id: str) -> ChannelIntake | None:
    """Set a live customer channel's intake mode (None if it is not one). Setting it again is a no-op."""
    with unit_of_work(deps) as uow:
        channel = customer_channel(uow.session, channel_id)
        if channel is None:
            return None
        if channel.intake_mode != mode.value:
            log.info("intake in %s: %s -> %s (by %s)", channel_id, channel.intake_mode, mode.value, user_id)
            channel.intake_mode = mode.value
    return ChannelIntake(mode, False)


def intake_command(deps: Deps, *, user_id: str, channel_id: str, word: str | None) -> str | None:
    """`/ticket intake [word]` by `user_id` in `channel_id`: the answer to show them privately, or
    None if they are a customer (for whom "intake ..." is just the title of a ticket: the caller
    opens the ticket form). Staff see the channel's mode and the three choices, or set it (`word`:
    all, ask or explicit). Someone Slack cannot look up now is asked to try again."""
    who = deps.directory.identify(user_id)
    if not who.known:
        return WHO_ARE_YOU_UNKNOWN
    if not who.is_staff:
        return None
    if word is None:
        current = channel_intake(deps, channel_id)
        changed_by = None
    else:
        try:
            mode = IntakeMode(word.lower())
        except ValueError:
            return intake_usage(_LABELS)
        current, changed_by = set_channel_intake(deps, channel_id, mode, user_id), user_id
    if current is None:  # no longer a customer channel (archived, left) since the command was acked
        return why_not_here(deps, channel_id)
    return intake_mode_status(channel_id, str(current.mode), current.is_default, _LABELS, changed_by)
