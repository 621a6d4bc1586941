"""app_manifest.yml and the listeners agree, both ways, and the declared routes really answer."""

from __future__ import annotations

import json
import time

import yaml

from fakeslack import CUSTOMER
from handlers import declared
from tests.support import REPO, BotUnderTest

MANIFEST = yaml.safe_load((REPO / "app_manifest.yml").read_text())


def manifest_events() -> set[str]:
    # message.channels / message.groups / message.im all arrive as the "message" event
    return {e.split(".")[0] for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]}


def test_every_command_in_the_manifest_has_a_listener_and_back() -> None:
    commands = {c["command"] for c in MANIFEST["features"].get("slash_commands", [])}
    assert commands == declared("COMMANDS")
    for command in MANIFEST["features"]["slash_commands"]:
        assert len(command["command"]) <= 32
        assert command["url"].endswith("/slack/events")


def test_every_event_in_the_manifest_has_a_listener_and_back() -> None:
    assert manifest_events() == declared("EVENTS")


def test_shortcuts_match() -> None:
    shortcuts = {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    assert shortcuts == declared("SHORTCUTS")


def test_interactivity_is_on_when_there_are_actions_or_views() -> None:
    assert declared("ACTIONS") and declared("VIEWS")
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_request_urls_are_placeholders() -> None:
    text = json.dumps(MANIFEST)
    assert "support-bot.example.com" in text


def test_each_declared_route_is_answered_not_404(bot: BotUnderTest) -> None:
    """Bolt answers 404 for a request no listener matched: every declared route must not get one."""
    for command in declared("COMMANDS"):
        status, _, _ = bot.slash(command, user=CUSTOMER, channel="D0NOWHERE")
        assert status == 200, command
    for event in declared("EVENTS"):
        status, _, _ = bot.event({"type": event, "user": CUSTOMER, "channel": "C0NONE", "ts": "1.1"})
        assert status == 200, event
    for action in declared("ACTIONS"):
        status, _, _ = bot.click(action, user=CUSTOMER, channel="C0NONE")
        assert status == 200, action
    status, _, _ = bot.event({"type": "emoji_changed", "subtype": "add"})
    assert status == 404  # the check can fail: an undeclared event is not routed
    time.sleep(0.2)
