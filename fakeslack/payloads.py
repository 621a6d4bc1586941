"""What Slack sends an app, as plain dicts: slash commands, view submissions, button clicks, message
shortcuts and Events API envelopes, plus the encoders that turn them into request bodies.

The shapes are Slack's (https://api.slack.com/interactivity/handling#payloads,
https://api.slack.com/apis/connections/events-api#callback-field). Every builder takes the ids that
must be unique per request (trigger ids, event ids, response URLs) from the caller, so a test, the
benchmark and a demo can each number them their own way. Sign the encoded body with
`fakeslack.signing.signed_headers` before sending it.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from fakeslack.workspace import APP_ID, BOT_USER, HOST_TEAM


def form_body(fields: dict[str, str]) -> bytes:
    """An `application/x-www-form-urlencoded` body (slash commands)."""
    return urlencode(fields).encode()


def interactive_body(payload: dict[str, Any]) -> bytes:
    """An interactivity request body: the payload as JSON in the form field `payload`."""
    return form_body({"payload": json.dumps(payload)})


def json_body(body: dict[str, Any]) -> bytes:
    """An `application/json` body (Events API)."""
    return json.dumps(body).encode()


def now_ts() -> str:
    """Now as a Slack timestamp string ("1700000000.123456")."""
    return f"{time.time():.6f}"


def slash_command(
    command: str,
    *,
    user: str,
    channel: str,
    response_url: str,
    trigger_id: str,
    text: str = "",
    team: str = HOST_TEAM,
) -> dict[str, str]:
    """The form fields of `command` (e.g. "/ticket") typed by `user` in `channel`; encode with `form_body`."""
    return {
        "token": "deprecated",
        "team_id": team,
        "channel_id": channel,
        "channel_name": "x",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def view_submission(
    view: dict[str, Any],
    values: dict[str, Any],
    *,
    user: str,
    trigger_id: str,
    team: str = HOST_TEAM,
    user_team: str | None = None,
) -> dict[str, Any]:
    """`user` submits the modal `view` (as views.open was given it, plus its `id`) with the input
    `values` (`state.values`: block id -> action id -> element state). `user_team` is the
    submitter's own organisation (default `team`; a Slack Connect guest's differs)."""
    return {
        "type": "view_submission",
        "team": {"id": team},
        "user": {"id": user, "team_id": user_team or team},
        "api_app_id": APP_ID,
        "trigger_id": trigger_id,
        "view": {**view, "state": {"values": values}, "team_id": HOST_TEAM, "app_id": APP_ID},
    }


def block_actions(
    action_id: str,
    *,
    user: str,
    channel: str,
    response_url: str,
    trigger_id: str,
    message_ts: str = "1.000001",
    value: str = "",
    team: str = HOST_TEAM,
    action_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`user` clicks the button `action_id` (with `value`) on the message `message_ts` in `channel`;
    `action_extra` adds to or replaces fields of the action (e.g. a select's `selected_option`)."""
    return {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "api_app_id": APP_ID,
        "trigger_id": trigger_id,
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": message_ts},
        "message": {"ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": value,
                "action_ts": now_ts(),
                **(action_extra or {}),
            }
        ],
    }


def message_action(
    callback_id: str,
    *,
    user: str,
    channel: str,
    message: dict[str, Any],
    response_url: str,
    trigger_id: str,
    team: str = HOST_TEAM,
) -> dict[str, Any]:
    """A message shortcut ("message_action") `callback_id` run by `user` on `message` (which has a `ts`)."""
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "channel": {"id": channel},
        "message": message,
        "message_ts": message["ts"],
        "trigger_id": trigger_id,
        "action_ts": now_ts(),
        "response_url": response_url,
    }


def event_callback(event: dict[str, Any], *, event_id: str, team_id: str = HOST_TEAM) -> dict[str, Any]:
    """The Events API envelope around `event`, delivered to the bot installed in `team_id`;
    `event_id` is what Slack keeps across retries. Encode with `json_body`."""
    return {
        "token": "deprecated",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "type": "event_callback",
        "event": event,
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": BOT_USER, "is_bot": True}],
    }


def bot_joined_channel(channel: str, *, inviter: str | None = None) -> dict[str, Any]:
    """The `member_joined_channel` event of the bot being added to `channel`."""
    event = {
        "type": "member_joined_channel",
        "user": BOT_USER,
        "channel": channel,
        "channel_type": "C",
        "team": HOST_TEAM,
        "event_ts": now_ts(),
    }
    if inviter:
        event["inviter"] = inviter
    return event


def app_home_opened(user: str) -> dict[str, Any]:
    """The `app_home_opened` event of `user` opening the bot's Home tab."""
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": now_ts()}


def thread_message(channel: str, thread_ts: str, user: str, text: str, *, ts: str, event_ts: str) -> dict[str, Any]:
    """A plain `message` event: `user` replies `text` at `ts` in the thread `thread_ts` of `channel`."""
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "channel_type": "channel",
        "event_ts": event_ts,
    }


def ticket_values(
    severity: str = "high", title: str = "Dashboards are not loading", description: str = "Since 9am"
) -> dict[str, Any]:
    """`state.values` of the ticket modal filled in (an empty `severity` leaves it unselected)."""
    return {
        "severity": {
            "severity": {"type": "radio_buttons", "selected_option": {"value": severity} if severity else None}
        },
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "description": {"description": {"type": "plain_text_input", "value": description}},
    }
