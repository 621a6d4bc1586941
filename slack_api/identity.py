"""Who is who: staff are full members of the workspace the bot is installed in; anyone else
(another org in a shared channel, or a guest of our own workspace) is a customer.

A look-up that fails (429, 5xx, timeout) is "unknown", never "customer": callers decide later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

# users.info answers that are Slack's verdict (this user is not one of ours), not a failure.
NOT_OUR_USER = ("user_not_found", "user_not_visible")


@dataclass(frozen=True)
class HostIdentity:
    team_id: str
    enterprise_id: str | None
    bot_user_id: str
    bot_id: str | None
    url: str  # https://example.slack.com/

    def permalink(self, channel_id: str, ts: str) -> str:
        """A link to a message, built without an API call."""
        return f"{self.url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"


class Who(Enum):
    STAFF = "staff"
    CUSTOMER = "customer"
    UNKNOWN = "unknown"  # Slack could not say (the look-up failed): decide later, never guess


@dataclass(frozen=True)
class Identity:
    who: Who
    team_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.who is Who.STAFF

    @property
    def known(self) -> bool:
        return self.who is not Who.UNKNOWN


def classify_user(user: Mapping[str, Any], host: HostIdentity) -> Who:
    """Staff or customer, from a users.info `user` object.

    Staff: our team (or our Enterprise Grid org) and not a guest. Guests of our own workspace
    (`is_restricted`: multi-channel, `is_ultra_restricted`: single-channel) are customers.
    """
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return Who.CUSTOMER
    ours = user.get("team_id") == host.team_id or (
        host.enterprise_id is not None
        and (user.get("enterprise_user") or {}).get("enterprise_id") == host.enterprise_id
    )
    return Who.STAFF if ours else Who.CUSTOMER


def event_team(event: Mapping[str, Any]) -> str | None:
    """The author's team as a message event states it (`user_team`, `user_profile.team`, `team`).

    Slack Connect events carry the author's team; none of these is text a user typed.
    """
    profile = event.get("user_profile") or {}
    for team in (event.get("user_team"), profile.get("team") if isinstance(profile, dict) else None, event.get("team")):
        if isinstance(team, str) and team:
            return team
    return None


def payload_team(body: Mapping[str, Any]) -> str | None:
    """The clicking user's team in an interaction payload (`user.team_id`)."""
    user = body.get("user") or {}
    team = user.get("team_id") if isinstance(user, dict) else None
    return team if isinstance(team, str) and team else None


class Directory:
    """Caches auth.test and users.info so a hot path costs no Web API call.

    Team ids come only from Slack (users.info, or the team an event states), never from text a
    user typed. If Slack cannot say who someone is, `identify` answers UNKNOWN and nothing is
    cached; `is_staff`/`lookup` (for callers that must answer now) then say "not staff".
    """

    def __init__(self, client: WebClient, ttl_seconds: float = 3600.0, max_entries: int = 50_000) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._max = max_entries
        self._host: HostIdentity | None = None
        # user id -> (staff, team id, active: not deactivated and not a bot, expires at)
        self._users: dict[str, tuple[bool, str | None, bool, float]] = {}
        self._lock = threading.Lock()

    def host(self) -> HostIdentity:
        if self._host is None:
            with self._lock:
                if self._host is None:
                    answer = self._client.auth_test()
                    self._host = HostIdentity(
                        team_id=answer["team_id"],
                        enterprise_id=answer.get("enterprise_id"),
                        bot_user_id=answer["user_id"],
                        bot_id=answer.get("bot_id"),
                        url=answer.get("url") or "https://slack.com/",
                    )
        return self._host

    def is_staff(self, user_id: str) -> bool:
        """Least privilege for callers that must decide now: unknown is "not staff" (not cached)."""
        return self.lookup(user_id)[0]

    def identify(self, user_id: str, team_hint: str | None = None) -> Identity:
        """Staff, customer or unknown, using what the event says first (`team_hint`: its
        `user_team`/`team`, or an interaction's `user.team_id`).

        A team other than ours is a customer for sure (unless we are an Enterprise Grid org, whose
        other workspaces may be ours); our own team still needs users.info for the guest flags.
        A failed look-up answers UNKNOWN and is not cached.
        """
        if not user_id:
            return Identity(Who.UNKNOWN)
        known = self.identify_cached(user_id, team_hint)
        if known is not None:
            return known
        found = self._fetch(user_id)
        if found is None:
            return Identity(Who.UNKNOWN, team_hint)
        return Identity(Who.STAFF if found[0] else Who.CUSTOMER, found[1])

    def team_of(self, user_id: str) -> str | None:
        """The user's own team id (from users.info), or None if Slack could not say."""
        return self.lookup(user_id)[1]

    def identify_cached(self, user_id: str, team_hint: str | None = None) -> Identity | None:
        """`identify` without a Web API call: from the cache or the event's team; None if that
        takes users.info (so a caller holding a lock can let go of it first)."""
        cached = self._cached(user_id)
        if cached is not None:
            return Identity(Who.STAFF if cached[0] else Who.CUSTOMER, cached[1])
        if team_hint:
            try:
                host = self.host()
            except (SlackApiError, SlackClientError, OSError):
                return None
            if team_hint != host.team_id and host.enterprise_id is None:
                return Identity(Who.CUSTOMER, team_hint)
        return None

    def lookup(self, user_id: str) -> tuple[bool, str | None]:
        """(is staff, team id) for a user, cached; (False, None) if Slack could not say (not cached)."""
        cached = self._cached(user_id)
        if cached is not None:
            return cached
        found = self._fetch(user_id)
        return found if found is not None else (False, None)

    def assignable(self, user_id: str) -> bool | None:
        """Whether a ticket may be given to `user_id`: staff (see `identify`), not deactivated and
        not a bot; None if Slack could not say just now (nothing cached). Cached like `lookup`."""
        cached = self._users.get(user_id)
        if cached is None or cached[3] <= time.monotonic():
            if self._fetch(user_id) is None:
                return None
            cached = self._users.get(user_id)
        return bool(cached and cached[0] and cached[2])

    def _cached(self, user_id: str) -> tuple[bool, str | None] | None:
        cached = self._users.get(user_id)
        if cached and cached[3] > time.monotonic():
            return cached[0], cached[1]
        return None

    def _fetch(self, user_id: str) -> tuple[bool, str | None] | None:
        """users.info, classified and cached; None if the look-up failed (nothing cached)."""
        now = time.monotonic()
        try:
            user = self._client.users_info(user=user_id)["user"]
            host = self.host()
        except SlackApiError as exc:
            if exc.response.status_code == 200 and exc.response.get("error") in NOT_OUR_USER:
                return False, None  # Slack's answer, not a failure: no such user of ours
            log.warning("could not look up user %s (decided later): %s", user_id, exc.response.get("error"))
            return None
        except (SlackClientError, OSError) as exc:
            log.warning("could not look up user %s (decided later): %s", user_id, type(exc).__name__)
            return None
        team_id = user.get("team_id")
        staff = classify_user(user, host) is Who.STAFF
        active = not user.get("deleted") and not user.get("is_bot")
        with self._lock:
            if len(self._users) >= self._max:
                self._users.clear()
            self._users[user_id] = (staff, team_id, active, now + self._ttl)
        return staff, team_id
