"""The request bodies the benchmarks send (built by fakeslack.payloads, as the tests' are), and the
users and channels the benchmarks use."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from bench.remote_stub import Stub
from fakeslack import CUSTOMER_TEAM, HOST_TEAM
from fakeslack.payloads import app_home_opened as home_opened_event
from fakeslack.payloads import (
    bot_joined_channel,
    event_callback,
    form_body,
    interactive_body,
    json_body,
    slash_command,
    thread_message,
    ticket_values,
    view_submission,
)
from fakeslack.signing import FORM, JSON
from fakeslack.signing import retry_headers as retry_headers

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
    fields = slash_command(
        command, user=user, channel=channel, text=text, response_url=stub.response_url(f"cmd{n}"), trigger_id=trigger_id
    )
    return form_body(fields), FORM, trigger_id


def ticket_submission(*, user: str, channel: str, title: str, severity: str = "high") -> tuple[bytes, str, str]:
    """A view_submission of the ticket modal by a customer; returns (body, content type, view id)."""
    n = next_id()
    view_id = f"VB{RUN}{n:07d}"
    view = {
        "id": view_id,
        "type": "modal",
        "callback_id": "ticket_modal",
        "private_metadata": json.dumps({"c": channel, "s": "command"}),
    }
    values = ticket_values(severity=severity, title=title, description="Benchmark ticket")
    payload = view_submission(view, values, user=user, user_team=CUSTOMER_TEAM, trigger_id=f"trigger-{RUN}-{n}")
    return interactive_body(payload), FORM, view_id


def event(event: dict[str, Any], event_id: str) -> tuple[bytes, str]:
    """An Events API request of `event`; returns (body, content type)."""
    return json_body(event_callback(event, event_id=event_id)), JSON


def bot_joined(channel: str) -> tuple[bytes, str]:
    return event(bot_joined_channel(channel), f"EvJ{RUN}{next_id():07d}")


def home_opened(user: str) -> tuple[bytes, str]:
    return event(home_opened_event(user), f"EvH{RUN}{next_id():07d}")


def thread_reply(*, channel: str, thread_ts: str, user: str, ts: str, event_id: str) -> tuple[bytes, str]:
    return event(thread_message(channel, thread_ts, user, "Any news on this?", ts=ts, event_ts=ts), event_id)
