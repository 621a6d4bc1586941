"""Slack's side of the requests to an app: what Slack POSTs to the app's request URL, signed the way
Slack signs it. The tests' `BotUnderTest` and the demo's page both deliver through a `SlackSender`.
"""

from __future__ import annotations

import itertools
import time
import urllib.error
import urllib.request
from typing import Any

from fakeslack import payloads
from fakeslack.signing import FORM, JSON, SIGNING_SECRET, retry_headers, sign
from fakeslack.stub import SlackStub
from fakeslack.workspace import HOST_TEAM

_ids = itertools.count(1)

Answer = tuple[int, bytes, dict[str, str]]
"""(HTTP status, body, headers) of the app's answer."""


class SlackSender:
    """Delivers Slack's requests (events, slash commands, interactivity) to the app at `url`
    ("http://127.0.0.1:PORT") signed with `secret`; trigger ids and response URLs point at `slack`,
    which learns whose trigger each one is (`SlackStub.triggers`)."""

    def __init__(self, url: str, slack: SlackStub, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.slack = slack
        self.secret = secret

    # -- raw HTTP ---------------------------------------------------------------------------
    def request(
        self,
        body: bytes,
        content_type: str,
        *,
        signed: bool = True,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> Answer:
        """POST `body` to `path`, signed at `timestamp` (now) with `secret` unless `signed` is False."""
        ts = int(time.time()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = str(ts)
            all_headers["X-Slack-Signature"] = sign(body, ts, secret or self.secret)
        req = urllib.request.Request(self.url + path, data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def get(self, path: str) -> tuple[int, bytes]:
        """GET `path` of the app: (status, body)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def form(self, fields: dict[str, str], **kwargs: Any) -> Answer:
        """A form-encoded POST (slash commands)."""
        return self.request(payloads.form_body(fields), FORM, **kwargs)

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> Answer:
        """An interactivity POST: `payload` as JSON in the form field `payload`."""
        return self.request(payloads.interactive_body(payload), FORM, **kwargs)

    # -- what Slack sends ---------------------------------------------------------------------
    def reply_ids(self, kind: str, user: str | None = None) -> dict[str, str]:
        """A fresh trigger id (the stub learns it is `user`'s), and a response URL at the stub
        (`kind` + a number, e.g. "cmd12")."""
        n = next(_ids)
        trigger = f"trigger-{n}"
        if user is not None:
            self.slack.triggers[trigger] = user
        return {"response_url": self.slack.response_url(f"{kind}{n}"), "trigger_id": trigger}

    def slash(
        self, command: str, *, user: str, channel: str, text: str = "", team: str = HOST_TEAM, **kwargs: Any
    ) -> Answer:
        """`user` runs `command` ("/ticket") with `text` in `channel`."""
        where = {"user": user, "channel": channel, "team": team, **self.reply_ids("cmd", user)}
        return self.form(payloads.slash_command(command, text=text, **where), **kwargs)

    def submit_view(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str, team: str = HOST_TEAM, **kwargs: Any
    ) -> Answer:
        """`user` submits the modal `view` (with its `id`) with `values` (`state.values`)."""
        trigger = self.reply_ids("view", user)["trigger_id"]
        payload = payloads.view_submission(view, values, user=user, team=team, trigger_id=trigger)
        return self.interactive(payload, **kwargs)

    def click(
        self,
        action_id: str,
        *,
        user: str,
        channel: str,
        message_ts: str = "1.000001",
        value: str = "",
        team: str = HOST_TEAM,
        action_extra: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Answer:
        """`user` uses the element `action_id` of the message `message_ts` in `channel`."""
        where = {"user": user, "channel": channel, "team": team, **self.reply_ids("act", user)}
        extra = {"message_ts": message_ts, "value": value, "action_extra": action_extra}
        return self.interactive(payloads.block_actions(action_id, **extra, **where), **kwargs)

    def shortcut(
        self,
        callback_id: str,
        *,
        user: str,
        channel: str,
        message: dict[str, Any],
        team: str = HOST_TEAM,
        **kwargs: Any,
    ) -> Answer:
        """A message shortcut ("message_action") on `message`."""
        where = {"user": user, "channel": channel, "team": team, **self.reply_ids("sc", user)}
        return self.interactive(payloads.message_action(callback_id, message=message, **where), **kwargs)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        team_id: str = HOST_TEAM,
        **kwargs: Any,
    ) -> Answer:
        """The Events API envelope around `event` (`retry_num`: Slack's redelivery headers)."""
        body = payloads.event_callback(event, event_id=event_id or f"Ev{next(_ids):08d}", team_id=team_id)
        headers = dict(kwargs.pop("headers", {}) or {})
        if retry_num is not None:
            headers.update(retry_headers(retry_num))
        return self.request(payloads.json_body(body), JSON, headers=headers, **kwargs)
