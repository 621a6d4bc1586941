"""A signed request Slack would never send: one warning naming what was wrong, no traceback, no 500.

And a person is always answered privately, even when the request carries no response_url.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from fakeslack import CUSTOMER, HOST_TEAM
from handlers.payload_shape import payload_problem
from tests.support import BotUnderTest, drained

FORM = "application/x-www-form-urlencoded"


def _warnings_and_errors(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[logging.LogRecord]]:
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    return warnings, bad


def _send_and_check(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str, problem: str
) -> int:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, _, _ = bot.request(body, content_type)
        drained(bot)  # anything a background thread would log
    warnings, bad = _warnings_and_errors(caplog)
    assert [w for w in warnings if "malformed" in w] == [w for w in warnings if problem in w]
    assert len([w for w in warnings if problem in w]) == 1, warnings
    assert bad == []
    assert status < 500
    return status


def _envelope(**fields: Any) -> bytes:
    return json.dumps(
        {"type": "event_callback", "team_id": HOST_TEAM, "api_app_id": "A0APP", "event_id": "EvBad1", **fields}
    ).encode()


def _interaction(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_bad_json_in_payload_is_one_warning_and_a_400(bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    status = _send_and_check(bot, caplog, urlencode({"payload": "{not json"}).encode(), FORM, "JSONDecodeError")
    assert status == 400


def test_a_json_body_that_is_not_json_is_one_warning_and_a_400(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    assert _send_and_check(bot, caplog, b'{"type": "event_callback", ', "application/json", "JSONDecodeError") == 400


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (_envelope(), "application/json", "event_callback without event"),
        (_envelope(event="message"), "application/json", "event_callback with a malformed event"),
        (_envelope(event={"channel": "C1"}), "application/json", "event_callback without event.type"),
        (
            _interaction({"type": "block_actions", "user": {"id": CUSTOMER}, "team": {"id": HOST_TEAM}}),
            FORM,
            "block_actions without actions",
        ),
        (
            _interaction({"type": "block_actions", "user": {"id": CUSTOMER}, "actions": []}),
            FORM,
            "block_actions with no actions",
        ),
        (
            _interaction({"type": "block_actions", "actions": [{"action_id": "ticket_take"}]}),
            FORM,
            "block_actions without user",
        ),
        (
            _interaction({"type": "view_submission", "user": {"id": CUSTOMER}, "team": {"id": HOST_TEAM}}),
            FORM,
            "view_submission without view",
        ),
        (
            _interaction({"type": "message_action", "callback_id": "create_ticket", "user": {"id": CUSTOMER}}),
            FORM,
            "message_action without trigger_id",
        ),
        (
            urlencode(
                {"command": "/ticket", "user_id": CUSTOMER, "channel_id": "C0ACME", "team_id": HOST_TEAM}
            ).encode(),
            FORM,
            "slash command without trigger_id",
        ),
    ],
    ids=[
        "envelope without event",
        "event not an object",
        "event without type",
        "block_actions without actions",
        "block_actions with empty actions",
        "block_actions without user",
        "view_submission without view",
        "message_action without trigger_id",
        "command without trigger_id",
    ],
)
def test_a_signed_request_missing_what_slack_always_sends_is_one_warning(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str, problem: str
) -> None:
    assert _send_and_check(bot, caplog, body, content_type, problem) in (200, 400)
    assert bot.slack.calls_to("views.open") == []


def test_a_json_body_that_is_not_an_object_is_one_warning_and_a_400(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    assert _send_and_check(bot, caplog, b"[1, 2]", "application/json", "a body that is a JSON list") == 400


def test_well_formed_requests_are_not_judged() -> None:
    assert payload_problem({"type": "event_callback", "event": {"type": "message"}}) is None
    assert payload_problem({"type": "url_verification", "challenge": "x"}) is None
    assert payload_problem({"type": "app_rate_limited", "minute_rate_limited": 1}) is None  # not ours to judge
    click = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a"}]}
    assert payload_problem(click) is None
    command = {"command": "/ticket", "user_id": "U1", "channel_id": "C1", "trigger_id": "t"}
    assert payload_problem(command) is None
    assert payload_problem({"ssl_check": "1", "token": "x"}) is None
    assert payload_problem({"type": "block_actions", "user": {"id": "U1"}, "actions": ["x"]}) == (
        "block_actions with an action that has no action_id"
    )


@pytest.mark.parametrize("response_url", [None, ""], ids=["no response_url", "empty response_url"])
def test_a_click_without_a_response_url_is_still_answered_privately(
    bot: BotUnderTest, channel: str, caplog: pytest.LogCaptureFixture, response_url: str | None
) -> None:
    """A customer's click on a staff button is refused in an ephemeral message, not a traceback."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": HOST_TEAM},
        "user": {"id": CUSTOMER, "team_id": "T0CUSTOMER"},
        "api_app_id": "A0APP",
        "trigger_id": "trigger-x",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1.000001"},
        "actions": [{"action_id": "ticket_take", "block_id": "b", "type": "button", "value": "1"}],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    caplog.clear()
    status, _, _ = bot.interactive(payload)
    assert status == 200
    ephemeral = bot.slack.wait_for(lambda: bot.slack.ephemerals)
    assert ephemeral[0]["user"] == CUSTOMER and ephemeral[0]["channel"] == channel
    assert "Only the support team" in ephemeral[0]["text"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_a_global_shortcut_with_the_message_shortcuts_id_is_not_ours(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    payload = {
        "type": "shortcut",
        "callback_id": "create_ticket",
        "team": {"id": HOST_TEAM},
        "user": {"id": CUSTOMER},
        "trigger_id": "trigger-y",
        "action_ts": "1.1",
    }
    caplog.clear()
    status, _, _ = bot.interactive(payload)
    drained(bot)
    assert status == 404
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert bot.slack.calls_to("views.open") == []
