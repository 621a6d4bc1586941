"""Slack-shaped request bodies (the same shapes tests/harness.py sends), and the users and channels
the benchmarks use."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from bench.load import FORM, JSON, form_body, interactive_body
from bench.remote_stub import Stub
from tests.harness import ticket_values
from tests.slack_stub import BOT_USER, CUSTOMER_TEAM, HOST_TEAM

_ids = itertools.count(1)
RUN = f"{int(time.time()) % 100000:05d}"  # keeps ids unique across runs against one stub or database


def next_id() -> int:
    return next(_ids)


def customers(n: int = 8) -> list[str]:
    return [f"U0BCUST{i:02d}" for i in range(n)]


def staff(n: int = 4) -> list[str]:
    return [f"U0BSTAFF{i:02d}" for i in range(n)]


def channels(n: int, prefix: str = "C0BENCH") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def add_people(stub: Stub) -> None:
    for user in customers():
        stub.add_user(user, CUSTOMER_TEAM)
    for user in staff():
        stub.add_user(user, HOST_TEAM)


def slash(stub: Stub, command: str, *, user: str, channel: str, text: str = "") -> tuple[bytes, str, str]:
    """A slash command; returns (body, content type, trigger id)."""
    n = next_id()
    trigger_id = f"trigger-{RUN}-{n}"
    return (
        form_body(
            {
                "token": "deprecated",
                "team_id": HOST_TEAM,
                "channel_id": channel,
                "channel_name": "x",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0APP",
                "response_url": stub.response_url(f"cmd{n}"),
                "trigger_id": trigger_id,
            }
        ),
        FORM,
        trigger_id,
    )


def ticket_submission(*, user: str, channel: str, title: str, severity: str = "high") -> tuple[bytes, str, str]:
    """A view_submission of the ticket modal; returns (body, content type, view id)."""
    n = next_id()
    view_id = f"VB{RUN}{n:07d}"
    payload = {
        "type": "view_submission",
        "team": {"id": HOST_TEAM},
        "user": {"id": user, "team_id": CUSTOMER_TEAM},
        "api_app_id": "A0APP",
        "trigger_id": f"trigger-{RUN}-{n}",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": "ticket_modal",
            "private_metadata": json.dumps({"c": channel, "s": "command"}),
            "state": {"values": ticket_values(severity=severity, title=title, description="Benchmark ticket")},
            "team_id": HOST_TEAM,
            "app_id": "A0APP",
        },
    }
    return interactive_body(payload), FORM, view_id


def event(event: dict[str, Any], event_id: str) -> tuple[bytes, str]:
    body = {
        "token": "deprecated",
        "team_id": HOST_TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event": event,
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": HOST_TEAM, "user_id": BOT_USER, "is_bot": True}],
    }
    return json.dumps(body).encode(), JSON


def bot_joined(channel: str) -> tuple[bytes, str]:
    return event(
        {
            "type": "member_joined_channel",
            "user": BOT_USER,
            "channel": channel,
            "channel_type": "C",
            "team": HOST_TEAM,
            "event_ts": f"{time.time():.6f}",
        },
        f"EvJ{RUN}{next_id():07d}",
    )


def home_opened(user: str) -> tuple[bytes, str]:
    return event(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": f"{time.time():.6f}"},
        f"EvH{RUN}{next_id():07d}",
    )


def thread_reply(*, channel: str, thread_ts: str, user: str, ts: str, event_id: str) -> tuple[bytes, str]:
    return event(
        {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": "Any news on this?",
            "ts": ts,
            "thread_ts": thread_ts,
            "channel_type": "channel",
            "event_ts": ts,
        },
        event_id,
    )


def retry_headers(n: int = 1) -> dict[str, str]:
    return {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
