"""Who gets a ticket automatically: the pure rules of round_robin, and what a Slack answer about
the candidates means. No I/O: services/assignment.py reads the rotation and the open tickets, and
calls Slack (through the outbox), then asks these functions.

round_robin is fair across restarts and replicas because its only memory is the last person it
picked for a route (a database row, locked while a pick is made); the members are ordered by user
id, so "the next one" is well defined however Slack orders them and whoever joins or leaves the
group meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Why nobody was assigned (services/assignment.py tells triage; ui/messages.py words it).
EMPTY_GROUP = "empty_group"  # the group has no (active) members
NO_GROUP = "no_group"  # round_robin, but the area has no on-call group or user (nor SUPPORT_ONCALL)
INACTIVE_USER = "inactive_user"  # the one person to assign is deactivated, a bot or unknown to Slack


def next_in_rotation(
    members: Iterable[str], last: str | None, open_counts: Mapping[str, int] | None = None
) -> str | None:
    """The member round_robin gives the next ticket of a route to, or None if there are none.

    `members`: user ids (duplicates and order do not matter); `last`: who got the route's previous
    ticket (None: nobody yet; a former member is fine); `open_counts`: open tickets of the route
    each member holds (missing: 0). Those holding the fewest open tickets are preferred; among them
    the rotation decides: the first member, in user-id order, after `last`, wrapping around.

    >>> next_in_rotation(["U2", "U1", "U3"], "U1")
    'U2'
    >>> next_in_rotation(["U1", "U2", "U3"], "U3")
    'U1'
    >>> next_in_rotation(["U1", "U2", "U3"], "U1", {"U2": 2})
    'U3'
    """
    ordered = sorted(set(members))
    if not ordered:
        return None
    counts = open_counts or {}
    fewest = min(counts.get(m, 0) for m in ordered)
    eligible = [m for m in ordered if counts.get(m, 0) == fewest]
    if last is None:
        return eligible[0]
    after = [m for m in eligible if m > last]
    return after[0] if after else eligible[0]


@dataclass(frozen=True)
class Candidates:
    """Whom Slack's answer lets us assign: `people` (user ids), or why nobody (`problem`: one of
    this module's reasons, or Slack's error code such as "no_such_subteam")."""

    people: tuple[str, ...] = ()
    problem: str | None = None


def group_members(answer: Mapping[str, Any], exclude: Sequence[str] = ()) -> Candidates:
    """The people of a `usergroups.users.list` answer (`{"ok": true, "users": [...]}`), without
    `exclude` (the bot). A refusal (`{"ok": false, "error": ...}`) gives Slack's error as the
    problem; a group with nobody in it, EMPTY_GROUP."""
    if not answer.get("ok"):
        return Candidates(problem=str(answer.get("error") or "unknown_error"))
    people = tuple(u for u in answer.get("users") or [] if isinstance(u, str) and u and u not in exclude)
    return Candidates(people) if people else Candidates(problem=EMPTY_GROUP)


def active_user(answer: Mapping[str, Any], exclude: Sequence[str] = ()) -> Candidates:
    """The person of a `users.info` answer if they can take a ticket: not deactivated (`deleted`),
    not a bot, not in `exclude`. Otherwise INACTIVE_USER (Slack's `user_not_found` included)."""
    user = answer.get("user") if answer.get("ok") else None
    if not isinstance(user, Mapping) or not user.get("id"):
        return Candidates(problem=INACTIVE_USER)
    if user.get("deleted") or user.get("is_bot") or user["id"] in exclude:
        return Candidates(problem=INACTIVE_USER)
    return Candidates((str(user["id"]),))
