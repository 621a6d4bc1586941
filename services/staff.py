"""The staff-only gate shared by every use case: staff, a customer, or "Slack could not say"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.messages import WHO_ARE_YOU_UNKNOWN

if TYPE_CHECKING:
    from services.deps import Deps


def not_staff(deps: Deps, user_id: str, staff_only_text: str, team_hint: str | None = None) -> str | None:
    """Why `user_id` may not do a staff-only thing, or None if they may.

    A customer (another org, or a guest of ours) gets `staff_only_text`; someone Slack could not
    look up just now (429, 5xx, timeout) gets "try again", never "you are a customer".
    `team_hint`: the team the payload states (an interaction's `user.team_id`), used first.
    """
    who = deps.directory.identify(user_id, team_hint)
    if not who.known:
        return WHO_ARE_YOU_UNKNOWN
    return None if who.is_staff else staff_only_text
