"""Onboarding end to end: /onboard, the checklist, step buttons, nudges on the persistent scheduler."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, STAFF, STAFF_2, SlackStub
from tests.support import BotUnderTest, drained, nudges_to, onboard_values, running_bot, start_onboarding

FAST_NUDGES = {
    "SUPPORT_DASHBOARD_NUDGE_AFTER": "2s",
    "SUPPORT_DASHBOARD_NUDGE_EVERY": "2s",
    "SUPPORT_DASHBOARD_NUDGE_MAX": "3",
}


def step_buttons(message: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["action_id"], e["value"]): e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def test_staff_onboard_posts_the_checklist_and_a_team_guidance(bot: BotUnderTest, channel: str) -> None:
    message = start_onboarding(bot)
    blob = json.dumps(message)
    assert "0 of 5 done" in blob
    for number in range(5, 10):
        assert ("onboarding_step_done", str(number)) in step_buttons(message)
    assert ("onboarding_step_decline", "9") in step_buttons(message)
    assert ("onboarding_step_decline", "8") not in step_buttons(message)
    guidance = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if "A-team" in json.dumps(p)])
    assert "power users" in json.dumps(guidance[0])
    customer = bot.sql(
        "SELECT company, plan, cloud_provider, monthly_spend, monthly_events, cs_owner_id FROM customers"
    )
    assert [tuple(r) for r in customer] == [("Acme Inc", "scale", "aws", 2500, 1_000_000, STAFF)]
    assert [tuple(r) for r in bot.sql("SELECT number, state FROM onboarding_steps ORDER BY number")] == [
        (n, "pending") for n in range(5, 10)
    ]
    assert bot.slack.calls_to("chat.postEphemeral") == []  # 2,500 a month: no spend note


def test_customer_onboard_is_refused_and_nothing_posted(bot: BotUnderTest, channel: str) -> None:
    before = len(bot.slack.posts())
    status, _, _ = bot.slash("/onboard", user=CUSTOMER, channel=channel, team=CUSTOMER_TEAM)
    assert status == 200
    refusal = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "PostHog team" in refusal["text"]
    drained(bot)
    assert bot.slack.calls_to("views.open") == []
    assert len(bot.slack.posts()) == before
    assert bot.sql("SELECT count(*) FROM customers")[0][0] == 0


def test_customer_cannot_submit_the_modal_either(bot: BotUnderTest, channel: str) -> None:
    view = {
        "id": "VFORGED",
        "type": "modal",
        "callback_id": "onboard_modal",
        "private_metadata": json.dumps({"c": channel, "s": "onboard"}),
    }
    status, body, _ = bot.submit_view(view, onboard_values(), user=CUSTOMER, team=CUSTOMER_TEAM)
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert bot.sql("SELECT count(*) FROM customers")[0][0] == 0


def test_modal_errors_name_the_fields(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/onboard", user=STAFF, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    values = onboard_values(company="", spend="lots", events="")
    values["plan"]["plan"]["selected_option"] = None
    status, body, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    errors = json.loads(body)["errors"]
    assert {"company", "monthly_spend", "plan"} <= set(errors)
    assert bot.sql("SELECT count(*) FROM customers")[0][0] == 0


@pytest.mark.parametrize("owner", [CUSTOMER, "bot"])
def test_the_cs_owner_must_be_staff(bot: BotUnderTest, channel: str, owner: str) -> None:
    """Slack's user picker lists the customers of a shared channel and the bot (seen in the demo:
    the customer became the CS owner and would get the nudges)."""
    bot.slash("/onboard", user=STAFF, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    values = onboard_values(owner=bot.slack.bot_user if owner == "bot" else owner)
    status, body, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    assert status == 200 and set(json.loads(body)["errors"]) == {"cs_owner"}
    assert bot.sql("SELECT count(*) FROM customers")[0][0] == 0


def test_under_threshold_spend_gets_an_ephemeral_note_to_staff(bot: BotUnderTest, channel: str) -> None:
    start_onboarding(bot, spend="1,500", plan="cloud")
    note = bot.slack.wait_for(lambda: bot.slack.calls_to("chat.postEphemeral"))[0]
    assert note.args["user"] == STAFF and "2,000" in note.args["text"]
    assert bot.sql("SELECT count(*) FROM customers")[0][0] == 1  # allowed anyway


def test_marking_steps_updates_the_message_in_place(bot: BotUnderTest, channel: str) -> None:
    message = start_onboarding(bot)
    status, _, _ = bot.click("onboarding_step_done", user=STAFF, channel=channel, message_ts=message["ts"], value="5")
    assert status == 200
    update = bot.slack.wait_for(lambda: bot.slack.calls_to("chat.update"))[-1]
    assert update.args["ts"] == message["ts"] and "1 of 5 done" in json.dumps(update.args)
    assert f"<@{STAFF}>" in json.dumps(update.args["blocks"])
    row = bot.sql("SELECT state, by_user, at FROM onboarding_steps WHERE number = 5")[0]
    assert row[0] == "done" and row[1] == STAFF and row[2] is not None

    # The same click again (a double click, a retry): nothing changes, no second update.
    bot.click("onboarding_step_done", user=STAFF_2, channel=channel, message_ts=message["ts"], value="5")
    drained(bot)
    assert len(bot.slack.calls_to("chat.update")) == 1
    assert bot.sql("SELECT by_user FROM onboarding_steps WHERE number = 5")[0][0] == STAFF

    bot.click("onboarding_step_decline", user=STAFF, channel=channel, message_ts=message["ts"], value="9")
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.update")) == 2)
    assert "2 of 5 done" in json.dumps(bot.slack.calls_to("chat.update")[-1].args)
    assert bot.sql("SELECT state FROM onboarding_steps WHERE number = 9")[0][0] == "declined"

    bot.click("onboarding_step_undo", user=STAFF, channel=channel, message_ts=message["ts"], value="5")
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.update")) == 3)
    assert bot.sql("SELECT state, by_user FROM onboarding_steps WHERE number = 5")[0] == ("pending", None)


def test_customer_clicking_a_step_is_refused(bot: BotUnderTest, channel: str) -> None:
    message = start_onboarding(bot)
    status, _, _ = bot.click(
        "onboarding_step_done", user=CUSTOMER, channel=channel, message_ts=message["ts"], value="6", team=CUSTOMER_TEAM
    )
    assert status == 200
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "PostHog team" in answer["text"] and answer.get("replace_original") in (False, "false")
    drained(bot)
    assert bot.slack.calls_to("chat.update") == []
    assert bot.sql("SELECT state FROM onboarding_steps WHERE number = 6")[0][0] == "pending"


def test_declining_a_step_that_cannot_be_declined_is_explained(bot: BotUnderTest, channel: str) -> None:
    message = start_onboarding(bot)
    bot.click("onboarding_step_decline", user=STAFF, channel=channel, message_ts=message["ts"], value="8")
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "cannot" in answer["text"]
    assert bot.sql("SELECT state FROM onboarding_steps WHERE number = 8")[0][0] == "pending"


def test_onboard_again_reposts_the_current_checklist(bot: BotUnderTest, channel: str) -> None:
    first = start_onboarding(bot)
    bot.click("onboarding_step_done", user=STAFF, channel=channel, message_ts=first["ts"], value="6")
    bot.slack.wait_for(lambda: bot.slack.calls_to("chat.update"))
    status, _, _ = bot.slash("/onboard", user=STAFF, channel=channel)
    assert status == 200
    again = bot.slack.wait_for(
        lambda: [p for p in bot.slack.posts(channel) if "1 of 5 done" in json.dumps(p) and p["ts"] != first["ts"]]
    )[0]
    assert bot.sql("SELECT count(*) FROM customers")[0][0] == 1
    # Slack has the post a moment before the outbox records its ts: wait for that, don't race it.
    bot.slack.wait_for(lambda: bot.sql("SELECT checklist_ts FROM customers")[0][0] == again["ts"])
    assert len(bot.slack.calls_to("views.open")) == 1  # no second modal
    assert "already under way" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]


def test_payment_link_is_attached_to_step_7(bot: BotUnderTest, channel: str) -> None:
    message = start_onboarding(bot)
    bot.click("onboarding_payment_link_open", user=STAFF, channel=channel, message_ts=message["ts"], value="7")
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) == 2)
    view = bot.opened_view()
    assert view["callback_id"] == "onboarding_payment_link_modal"
    values = {"payment_link": {"payment_link": {"type": "url_text_input", "value": "javascript:alert(1)"}}}
    status, body, _ = bot.submit_view(view, values, user=STAFF)
    assert json.loads(body)["response_action"] == "errors"
    values["payment_link"]["payment_link"]["value"] = "https://buy.stripe.com/test_123"
    status, body, _ = bot.submit_view(view, values, user=STAFF)
    assert status == 200 and body in (b"", b"{}")
    update = bot.slack.wait_for(lambda: bot.slack.calls_to("chat.update"))[-1]
    assert "https://buy.stripe.com/test_123" in json.dumps(update.args["blocks"])


def test_channel_growing_past_the_a_team_warns_the_cs_owner_once(bot: BotUnderTest, channel: str) -> None:
    start_onboarding(bot, owner=STAFF_2)
    customers = [f"U0C{i:03d}" for i in range(9)]
    for user in customers:
        bot.slack.add_user(user, CUSTOMER_TEAM)
    bot.slack.members[channel] = ["U0BOT", STAFF, *customers[:8]]
    bot.event({"type": "member_joined_channel", "user": customers[7], "channel": channel})
    drained(bot)
    assert not [p for p in bot.slack.posts(STAFF_2) if "more than the 8" in p["text"]]
    bot.slack.members[channel].append(customers[8])
    bot.event({"type": "member_joined_channel", "user": customers[8], "channel": channel})
    warning = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(STAFF_2) if "more than the 8" in p["text"]])
    assert "9 people" in warning[0]["text"]
    bot.event({"type": "member_joined_channel", "user": customers[8], "channel": channel})
    drained(bot)
    assert len([p for p in bot.slack.posts(STAFF_2) if "more than the 8" in p["text"]]) == 1


def test_nudges_arrive_as_dms_and_stop_when_step_8_is_done(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, **FAST_NUDGES) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        message = start_onboarding(bot, owner=STAFF_2)
        first = slack.wait_for(lambda: nudges_to(slack, STAFF_2), timeout=15)[0]
        blob = json.dumps(first)
        for topic in (
            "Acquisition",
            "Activation",
            "Retention",
            "Referral",
            "Revenue",
            "Experiments",
            "Feature flags",
            "recordings",
        ):
            assert topic in blob
        assert f"<#{CUSTOMER_CHANNEL}>" in first["text"]
        assert ("onboarding_dashboard_call_booked", CUSTOMER_CHANNEL) in step_buttons(first)
        slack.wait_for(lambda: len(nudges_to(slack, STAFF_2)) >= 2, timeout=15)

        # The CS owner presses the button in the DM: step 8 is done and the nudges stop.
        bot.click("onboarding_dashboard_call_booked", user=STAFF_2, channel="D0DM", value=CUSTOMER_CHANNEL)
        slack.wait_for(lambda: bot.sql("SELECT state FROM onboarding_steps WHERE number = 8")[0][0] == "done")
        sent = len(nudges_to(slack, STAFF_2))
        assert "No more reminders" in slack.wait_for(lambda: slack.responses)[-1]["text"]
        update = slack.wait_for(lambda: [c for c in slack.calls_to("chat.update") if c.args["ts"] == message["ts"]])
        assert "1 of 5 done" in json.dumps(update[-1].args)
        time.sleep(4.5)
        assert len(nudges_to(slack, STAFF_2)) == sent
        assert not [j for j in bot.runtime.scheduler.jobs() if j.job_id.startswith("nudge:")]
        assert bot.sql("SELECT next_nudge_at FROM customers")[0][0] is None


def test_nudges_stop_at_the_maximum(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, **{**FAST_NUDGES, "SUPPORT_DASHBOARD_NUDGE_EVERY": "1s"}) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot)
        slack.wait_for(lambda: len(nudges_to(slack, STAFF)) == 3, timeout=20)
        time.sleep(3)
        assert len(nudges_to(slack, STAFF)) == 3
        assert "last one" in nudges_to(slack, STAFF)[-1]["blocks"][-1]["elements"][0]["text"]


def test_a_nudge_due_while_down_is_sent_once_after_restart(slack: SlackStub, database_url: str) -> None:
    # Long enough for the welcome, the checklist and the A-team note (paced 1 s apart) to go out first.
    env = {**FAST_NUDGES, "SUPPORT_DASHBOARD_NUDGE_AFTER": "6s", "SUPPORT_DASHBOARD_NUDGE_EVERY": "1h"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot)
        bot.runtime.deps.timer_sync.drain()
        assert [j.job_id for j in bot.runtime.scheduler.jobs() if j.job_id.startswith("nudge:")] == [
            f"nudge:{CUSTOMER_CHANNEL}"
        ]
    assert nudges_to(slack, STAFF) == []
    time.sleep(6)  # the nudge falls due while the bot is down
    with running_bot(slack, database_url, **env):
        slack.wait_for(lambda: nudges_to(slack, STAFF), timeout=10)
        time.sleep(2)
    assert len(nudges_to(slack, STAFF)) == 1
    with running_bot(slack, database_url, **env):  # and a further restart does not send it again
        time.sleep(2)
    assert len(nudges_to(slack, STAFF)) == 1


def test_a_step_button_where_nothing_is_onboarding_says_so(bot: BotUnderTest, channel: str) -> None:
    status, _, _ = bot.click("onboarding_step_done", user=STAFF, channel=channel, value="6")
    assert status == 200
    assert "no onboarding" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert bot.sql("SELECT count(*) FROM onboarding_steps")[0][0] == 0


def test_a_step_button_without_a_step_number_is_out_of_date(bot: BotUnderTest, channel: str) -> None:
    message = start_onboarding(bot)
    bot.click("onboarding_step_done", user=STAFF, channel=channel, message_ts=message["ts"], value="six")
    assert "out of date" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert bot.sql("SELECT count(*) FROM onboarding_steps WHERE state != 'pending'")[0][0] == 0
