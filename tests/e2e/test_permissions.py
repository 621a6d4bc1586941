"""The permission matrix: every staff action × {staff, a customer of this channel, a customer of
another channel}. Only staff change anything; the others get an explanation and nothing moves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakeslack import CUSTOMER, CUSTOMER_TEAM, STAFF
from tests.support import BotUnderTest, drained, filed, start_onboarding

OTHER_CUSTOMER, OTHER_TEAM, OTHER_CHANNEL = "U0GLOBEX", "T0GLOBEX", "C0GLOBEX"

# (action id, how the value is built, the state a staff click leads to)
TICKET_ACTIONS = ["ticket_take", "ticket_waiting", "ticket_resolve", "ticket_reassign", "ticket_more"]
STEP_ACTIONS = [
    "onboarding_step_done",
    "onboarding_step_decline",
    "onboarding_step_undo",
    "onboarding_payment_link_open",
    "onboarding_dashboard_call_booked",
]
# Is a channel that is not shared with another org a customer channel? (value: the channel id)
CHANNEL_ACTIONS = ["channel_use_as_customer", "channel_mark_internal"]
PENDING_CHANNEL = "C0PENDING"
ROLES = {"staff": (STAFF, "T0HOST"), "customer": (CUSTOMER, CUSTOMER_TEAM), "other": (OTHER_CUSTOMER, OTHER_TEAM)}


def snapshot(bot: BotUnderTest) -> tuple[Any, ...]:
    return (
        [tuple(r) for r in bot.sql("SELECT status, assignee_id, severity FROM tickets ORDER BY id")],
        [tuple(r) for r in bot.sql("SELECT number, state FROM onboarding_steps ORDER BY number")],
        bot.sql("SELECT count(*) FROM ticket_events")[0][0],
        [tuple(r) for r in bot.sql("SELECT channel_id, state FROM customer_channels ORDER BY channel_id")],
    )


@pytest.fixture
def world(bot: BotUnderTest, channel: str) -> dict[str, Any]:
    bot.slack.add_user(OTHER_CUSTOMER, OTHER_TEAM)
    bot.join_channel(OTHER_CHANNEL, name="globex")
    bot.join_channel(PENDING_CHANNEL, name="acme-guests", ext_shared=False, inviter=STAFF)
    ticket = filed(bot)
    checklist = start_onboarding(bot)
    bot.click("onboarding_step_done", user=STAFF, channel=channel, message_ts=checklist["ts"], value="6")
    bot.slack.wait_for(lambda: bot.slack.calls_to("chat.update"))
    return {"ticket": ticket, "checklist": checklist, "channel": channel}


def click_for(bot: BotUnderTest, world: dict[str, Any], action: str, role: str) -> None:
    user, team = ROLES[role]
    # A customer of another channel clicks from their own channel (a forged or stale payload).
    channel = OTHER_CHANNEL if role == "other" else world["channel"]
    number = str(world["ticket"]["number"])
    extra: dict[str, Any] = {}
    value = number
    if action == "ticket_reassign":
        extra = {"type": "users_select", "selected_user": user, "block_id": f"ticket_actions:{number}"}
        value = ""
    elif action == "ticket_more":
        extra = {"type": "overflow", "selected_option": {"value": f"severity:{number}"}}
    elif action in ("onboarding_step_done", "onboarding_step_decline"):
        value = "9"
    elif action == "onboarding_step_undo":
        value = "6"
    elif action == "onboarding_payment_link_open":
        value = "7"
    elif action == "onboarding_dashboard_call_booked":
        value = world["channel"]
    elif action in CHANNEL_ACTIONS:
        value = PENDING_CHANNEL
    status, _, _ = bot.click(action, user=user, channel=channel, value=value, team=team, action_extra=extra)
    assert status == 200


@pytest.mark.parametrize("role", ["customer", "other"])
@pytest.mark.parametrize("action", TICKET_ACTIONS + STEP_ACTIONS + CHANNEL_ACTIONS)
def test_non_staff_change_nothing_and_are_told(
    bot: BotUnderTest, world: dict[str, Any], action: str, role: str
) -> None:
    before = snapshot(bot)
    opened = len(bot.slack.calls_to("views.open"))
    click_for(bot, world, action, role)
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[-1]
    assert answer["text"] and answer.get("response_type", "ephemeral") == "ephemeral"
    drained(bot)
    assert snapshot(bot) == before
    assert len(bot.slack.calls_to("views.open")) == opened  # no form opened for them either


@pytest.mark.parametrize("action", TICKET_ACTIONS + STEP_ACTIONS + CHANNEL_ACTIONS)
def test_staff_can(bot: BotUnderTest, world: dict[str, Any], action: str) -> None:
    before = snapshot(bot)
    opened = len(bot.slack.calls_to("views.open"))
    click_for(bot, world, action, "staff")
    if action in ("ticket_more", "onboarding_payment_link_open"):  # these open a form
        bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    else:
        bot.slack.wait_for(lambda: snapshot(bot) != before)


def test_staff_acting_on_a_ticket_from_another_customers_channel_is_refused(
    bot: BotUnderTest, world: dict[str, Any]
) -> None:
    before = snapshot(bot)
    status, _, _ = bot.click("ticket_resolve", user=STAFF, channel=OTHER_CHANNEL, value=str(world["ticket"]["number"]))
    assert status == 200
    assert "does not belong" in bot.slack.wait_for(lambda: bot.slack.responses)[-1]["text"]
    assert snapshot(bot) == before
    assert json.dumps(before)  # the snapshot really holds the ticket
