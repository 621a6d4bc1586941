"""A private answer to the person behind a request, even when the request has no response_url.

Bolt's `respond()` raises when a request carries no response_url (a button in a modal or the App
Home, a global shortcut) and urllib raises on an empty or malformed one; either way the person
was owed an answer and the log got a traceback. Here the answer goes to the response_url when
there is one, else as an ephemeral message in the request's channel, else it is logged as a
warning naming who was not told what. Never raises.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)


class PrivateAnswer(Respond):
    """`respond(text=..., ...)` as Bolt's, with a fallback instead of an exception (see module doc)."""

    def __init__(
        self, *, response_url: str | None, client: WebClient, channel_id: str | None, user_id: str | None
    ) -> None:
        super().__init__(response_url=response_url, proxy=client.proxy, ssl=client.ssl)
        self._client = client
        self._channel_id = channel_id
        self._user_id = user_id

    def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> Any:  # type: ignore[override]
        if self.response_url and self.response_url.startswith(("https://", "http://")):
            try:
                return super().__call__(text, **kwargs)
            except (OSError, ValueError, SlackClientError) as exc:
                log.warning("could not answer user %s at the response_url: %s", self._user_id, type(exc).__name__)
                return None
        message = text if isinstance(text, str) else str(text.get("text") or "")
        if self._channel_id and self._user_id and message:
            try:
                return self._client.chat_postEphemeral(channel=self._channel_id, user=self._user_id, text=message)
            except (SlackApiError, SlackClientError, OSError) as exc:
                code = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
                log.warning("could not answer user %s in %s: %s", self._user_id, self._channel_id, code)
                return None
        log.warning("could not answer user %s (the request has no response_url): %.80s", self._user_id, message)
        return None
