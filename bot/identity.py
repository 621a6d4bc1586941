"""Who is who: staff belong to the workspace the bot is installed in; anyone else is a customer."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)


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


class Directory:
    """Caches auth.test and users.info so a hot path costs no Web API call.

    Team ids come only from Slack's own answers (users.info), never from text a user typed.
    If Slack cannot say who someone is, they are treated as a customer (least privilege),
    and the answer is not cached.
    """

    def __init__(self, client: WebClient, ttl_seconds: float = 3600.0, max_entries: int = 50_000) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._max = max_entries
        self._host: HostIdentity | None = None
        self._users: dict[str, tuple[bool, str | None, float]] = {}
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
        return self.lookup(user_id)[0]

    def team_of(self, user_id: str) -> str | None:
        """The user's own team id (from users.info), or None if Slack could not say."""
        return self.lookup(user_id)[1]

    def lookup(self, user_id: str) -> tuple[bool, str | None]:
        """(is staff, team id) for a user, cached."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached and cached[2] > now:
            return cached[0], cached[1]
        try:
            user = self._client.users_info(user=user_id)["user"]
            host = self.host()
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not look up user %s, treating as customer: %s", user_id, type(exc).__name__)
            return False, None
        team_id = user.get("team_id")
        staff = team_id == host.team_id or (
            host.enterprise_id is not None
            and (user.get("enterprise_user") or {}).get("enterprise_id") == host.enterprise_id
        )
        with self._lock:
            if len(self._users) >= self._max:
                self._users.clear()
            self._users[user_id] = (staff, team_id, now + self._ttl)
        return staff, team_id
