"""Drive a running support-bot the way Slack does: signed HTTP requests to /slack/events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text

from bot.app import Runtime, build_runtime
from bot.server import HttpServer
from config.settings import Settings, load_settings
from tests.slack_stub import BOT_USER, HOST_TEAM, SlackStub

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-1111-2222-testtokenvalue"
TRIAGE = "C0TRIAGE"

_ids = itertools.count(1)


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def bot_env(slack: SlackStub, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": slack.url,
        "DATABASE_URL": database_url,
        "SUPPORT_TRIAGE_CHANNEL": TRIAGE,
        **extra,
    }


def reset_database(url: str) -> None:
    """Drop everything support-bot owns, so a test starts from an empty schema."""
    from sqlalchemy import inspect

    from store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        tables = inspect(conn).get_table_names()
        if conn.dialect.name == "postgresql":
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


class BotUnderTest:
    """A support-bot runtime served over real HTTP on 127.0.0.1, plus Slack-shaped request helpers."""

    def __init__(self, runtime: Runtime, server: HttpServer, slack: SlackStub) -> None:
        self.runtime = runtime
        self.server = server
        self.slack = slack
        self.url = f"http://127.0.0.1:{server.port}"

    # -- raw HTTP ---------------------------------------------------------------------------
    def request(
        self,
        body: bytes,
        content_type: str,
        *,
        signed: bool = True,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> tuple[int, bytes, dict[str, str]]:
        ts = int(time.time()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = str(ts)
            all_headers["X-Slack-Signature"] = sign(body, ts, secret)
        req = urllib.request.Request(self.url + path, data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def form(self, fields: dict[str, str], **kwargs: Any) -> tuple[int, bytes, dict[str, str]]:
        return self.request(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, bytes, dict[str, str]]:
        return self.form({"payload": json.dumps(payload)}, **kwargs)

    # -- what Slack sends ---------------------------------------------------------------------
    def slash(
        self, command: str, *, user: str, channel: str, text: str = "", team: str = HOST_TEAM, **kwargs: Any
    ) -> tuple[int, bytes, dict[str, str]]:
        n = next(_ids)
        return self.form(
            {
                "token": "deprecated",
                "team_id": team,
                "channel_id": channel,
                "channel_name": "x",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0APP",
                "response_url": self.slack.response_url(f"cmd{n}"),
                "trigger_id": f"trigger-{n}",
            },
            **kwargs,
        )

    def submit_view(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str, team: str = HOST_TEAM, **kwargs: Any
    ) -> tuple[int, bytes, dict[str, str]]:
        payload = {
            "type": "view_submission",
            "team": {"id": team},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0APP",
            "trigger_id": f"trigger-{next(_ids)}",
            "view": {**view, "state": {"values": values}, "team_id": HOST_TEAM, "app_id": "A0APP"},
        }
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
    ) -> tuple[int, bytes, dict[str, str]]:
        n = next(_ids)
        payload = {
            "type": "block_actions",
            "team": {"id": team},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0APP",
            "trigger_id": f"trigger-{n}",
            "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message_ts},
            "message": {"ts": message_ts, "text": ""},
            "response_url": self.slack.response_url(f"act{n}"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "type": "button",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                    **(action_extra or {}),
                }
            ],
        }
        return self.interactive(payload, **kwargs)

    def shortcut(
        self,
        callback_id: str,
        *,
        user: str,
        channel: str,
        message: dict[str, Any],
        team: str = HOST_TEAM,
        **kwargs: Any,
    ) -> tuple[int, bytes, dict[str, str]]:
        """A message shortcut ("message_action") on `message`."""
        n = next(_ids)
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": team},
            "user": {"id": user, "team_id": team},
            "channel": {"id": channel},
            "message": message,
            "message_ts": message["ts"],
            "trigger_id": f"trigger-{n}",
            "action_ts": f"{time.time():.6f}",
            "response_url": self.slack.response_url(f"sc{n}"),
        }
        return self.interactive(payload, **kwargs)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        team_id: str = HOST_TEAM,
        **kwargs: Any,
    ) -> tuple[int, bytes, dict[str, str]]:
        body = {
            "token": "deprecated",
            "team_id": team_id,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team_id, "user_id": BOT_USER, "is_bot": True}],
        }
        headers = dict(kwargs.pop("headers", {}) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return self.request(json.dumps(body).encode(), "application/json", headers=headers, **kwargs)

    # -- composite steps --------------------------------------------------------------------
    def join_channel(
        self, channel: str, name: str = "acme-support", ext_shared: bool = True, inviter: str | None = None
    ) -> None:
        """The bot is added to a channel, as Slack reports it; returns once the bot has registered it
        (the outbox reads the channel with conversations.info first)."""
        self.slack.add_channel(channel, name, ext_shared)
        event = {
            "type": "member_joined_channel",
            "user": BOT_USER,
            "channel": channel,
            "channel_type": "C",
            "team": HOST_TEAM,
            "event_ts": f"{time.time():.6f}",
        }
        if inviter:
            event["inviter"] = inviter
        status, _, _ = self.event(event)
        assert status == 200
        self.slack.wait_for(
            lambda: self.sql("SELECT 1 FROM customer_channels WHERE channel_id = :c AND active", c=channel)
        )

    def thread_reply(
        self, channel: str, thread_ts: str, user: str, text: str = "On it", **kwargs: Any
    ) -> tuple[int, bytes, dict[str, str]]:
        n = next(_ids)
        return self.event(
            {
                "type": "message",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": f"{int(time.time())}.{n:06d}",
                "thread_ts": thread_ts,
                "channel_type": "channel",
                "event_ts": f"{time.time():.6f}",
            },
            **kwargs,
        )

    def opened_view(self, index: int = -1) -> dict[str, Any]:
        """The view of a views.open call, with the id Slack gave it."""
        call = self.slack.calls_to("views.open")[index]
        return {**call.args["view"], "id": f"VOPEN{index if index >= 0 else len(self.slack.calls_to('views.open'))}"}

    def settle(self, kind: str = "intake", timeout: float = 10.0) -> None:
        """Wait until no outbox row of `kind` is pending: a 🎫 is read and filed after the answer."""
        self.slack.wait_for(
            lambda: not self.sql("SELECT id FROM outbox WHERE kind = :kind AND state = 'pending'", kind=kind)
            and self.sql("SELECT 1"),
            timeout=timeout,
        )

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.runtime.db.engine.connect() as conn:
            return list(conn.execute(text(query), params))


def ticket_values(
    severity: str = "high", title: str = "Dashboards are not loading", description: str = "Since 9am"
) -> dict[str, Any]:
    return {
        "severity": {
            "severity": {"type": "radio_buttons", "selected_option": {"value": severity} if severity else None}
        },
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "description": {"description": {"type": "plain_text_input", "value": description}},
    }


@contextmanager
def running_bot(slack: SlackStub, database_url: str, **env: str) -> Iterator[BotUnderTest]:
    settings: Settings = load_settings(bot_env(slack, database_url, **env))
    from store import migrate
    from store.db import make_engine

    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    engine.dispose()
    runtime = build_runtime(settings)
    server = HttpServer(runtime, "127.0.0.1", 0, threads=8)
    server.start()
    runtime.start()
    try:
        yield BotUnderTest(runtime, server, slack)
    finally:
        server.stop()
        runtime.stop()
