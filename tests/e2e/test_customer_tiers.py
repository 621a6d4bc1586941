"""Customer tiers (issue 18): targets per plan from the routing file's [tiers.NAME], the plan read
from the channel's onboarding record (/onboard), a tighter `onboarding` tier within
SUPPORT_ONBOARDING_WINDOW; the acknowledgement quotes the target that applies and the SLA alarms,
the next-response clock and the Critical update cadence run on it."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from fakeslack import CUSTOMER_CHANNEL, STAFF, TRIAGE, SlackStub
from fakeslack.messages import customer_message, person_message
from fakeslack.receiver import Receiver
from tests.support import BotUnderTest, drained, filed, running_bot, start_onboarding

ROUTING = """
[[area]]
name = "Billing"
channel = "C0BILLING"

[tiers.Enterprise]
first_response = { critical = "15m", high = "4s" }
next_response = { high = "3s" }

[tiers.onboarding]
first_response = { critical = "3s", high = "1h" }
critical_update = "2s"
"""


def routing_file(tmp_path: Path) -> str:
    path = tmp_path / "routing.toml"
    path.write_text(ROUTING, encoding="utf-8")
    return str(path)


def notes(slack: SlackStub, words: str) -> list[dict[str, Any]]:
    return [p for p in slack.posts(TRIAGE) if words in p["text"]]


def ack(bot: BotUnderTest, card_ts: str) -> str:
    """The acknowledgement in the ticket card's thread (waits for it)."""
    in_thread = lambda: [p for p in bot.slack.posts(CUSTOMER_CHANNEL) if p.get("thread_ts") == card_ts]  # noqa: E731
    found = bot.slack.wait_for(lambda: [p for p in in_thread() if "with the team" in p["text"]])
    assert len(found) == 1
    return found[0]["text"]


def _naive(value: object) -> datetime:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def seconds_to_due(bot: BotUnderTest, number: int) -> float:
    """The ticket's first-response target as stored: sla_due_at - created_at, in seconds."""
    due, created = bot.sql("SELECT sla_due_at, created_at FROM tickets WHERE id = :n", n=number)[0]
    return (_naive(due) - _naive(created)).total_seconds()


def set_severity(bot: BotUnderTest, number: int, severity: str) -> None:
    """Staff set the ticket's severity from its triage card (⋯ → Set severity)."""
    opened = len(bot.slack.calls_to("views.open"))
    bot.click(
        "ticket_more",
        user=STAFF,
        channel=TRIAGE,
        action_extra={"type": "overflow", "selected_option": {"value": f"severity:{number}"}},
    )
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    values = {
        "severity": {"severity": {"selected_option": {"value": severity}}},
        "reason": {"reason": {"value": "Checkout is down"}},
    }
    status, _, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    assert status == 200


def test_an_enterprise_customer_gets_the_enterprise_targets_quoted_and_alarmed(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    env = {
        "SUPPORT_ROUTING_FILE": routing_file(tmp_path),
        "SUPPORT_ONBOARDING_WINDOW": "1s",
        "SUPPORT_WEBHOOK_SECRET": "s3cret",
    }
    with (
        Receiver(ok_status=200) as receiver,
        running_bot(slack, database_url, SUPPORT_WEBHOOK_URL=receiver.url, **env) as bot,
    ):
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot, plan="enterprise")
        time.sleep(1.1)  # past the onboarding window: the plan's tier, not onboarding's
        t = filed(bot, severity="high")
        assert bot.sql("SELECT tier FROM tickets") == [("Enterprise",)]
        created = receiver.wait_for(lambda got: [r.json() for r in got if r.json()["type"] == "ticket.created"])[0]
        assert created["ticket"]["tier"] == "Enterprise"
        assert seconds_to_due(bot, t["number"]) == 4  # not SUPPORT_SLA_HIGH's 2 hours
        text = ack(bot, t["card_ts"])
        assert "On your Enterprise plan, for a High ticket we aim to give you a first response within 4 s." in text
        mirror = next(p for p in slack.posts(TRIAGE) if p["ts"] == t["triage_ts"])
        assert "Tier: Enterprise plan" in json.dumps(mirror["blocks"])

        warning = slack.wait_for(lambda: notes(slack, "75% of the first-response target"), timeout=10)[0]
        assert warning["thread_ts"] == t["triage_ts"]
        breach = slack.wait_for(lambda: notes(slack, "first response is overdue"), timeout=10)[0]
        assert breach.get("thread_ts") is None

        # The next-response clock runs on the tier's next_response target too.
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Fixed, can you check?", thread_ts=t["card_ts"]))
        again = customer_message(CUSTOMER_CHANNEL, "Still failing after the fix", thread_ts=t["card_ts"])
        bot.event(again)
        due, since = bot.sql("SELECT next_response_due_at, waiting_since FROM tickets")[0]
        assert (_naive(due) - _naive(since)).total_seconds() == 3
        slack.wait_for(lambda: notes(slack, "next response is overdue"), timeout=10)
        drained(bot)
        assert len(notes(slack, "first response is overdue")) == 1


def test_a_customer_still_onboarding_gets_the_onboarding_tier_through_a_severity_change(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing_file(tmp_path)) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot, plan="enterprise")  # within the default 60 days
        t = filed(bot, severity="high")
        assert bot.sql("SELECT tier FROM tickets") == [("onboarding",)]
        assert seconds_to_due(bot, t["number"]) == 3600
        text = ack(bot, t["card_ts"])
        assert "While you're onboarding, for a High ticket we aim to give you a first response within 1 h." in text

        # Re-prioritised: the same tier's Critical target (3 s, not SUPPORT_SLA_CRITICAL's 30 min).
        set_severity(bot, t["number"], "critical")
        assert seconds_to_due(bot, t["number"]) == 3
        assert bot.sql("SELECT tier FROM tickets") == [("onboarding",)]
        slack.wait_for(lambda: notes(slack, "first response is overdue"), timeout=10)

        # Its Critical update cadence is the tier's (2 s, not SUPPORT_CRITICAL_UPDATE_EVERY's 30 min).
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "We are on it")
        reminder = slack.wait_for(lambda: notes(slack, "owed an update"), timeout=10)[0]
        assert reminder["thread_ts"] == t["triage_ts"]


def test_a_plan_without_a_tier_gets_today_s_targets(slack: SlackStub, database_url: str, tmp_path: Path) -> None:
    env = {"SUPPORT_ROUTING_FILE": routing_file(tmp_path), "SUPPORT_ONBOARDING_WINDOW": "1s"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot, plan="cloud")
        time.sleep(1.1)
        t = filed(bot, severity="high")
        assert bot.sql("SELECT tier FROM tickets") == [(None,)]
        assert seconds_to_due(bot, t["number"]) == 2 * 3600
        assert "is with the team. For a High ticket we aim to give you a first response within 2 h." in ack(
            bot, t["card_ts"]
        )


def test_without_a_routing_file_everyone_gets_today_s_targets_and_acknowledgement(
    slack: SlackStub, database_url: str
) -> None:
    with running_bot(slack, database_url) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot, plan="enterprise")
        t = filed(bot, severity="high")
        assert bot.sql("SELECT tier FROM tickets") == [(None,)]
        assert seconds_to_due(bot, t["number"]) == 2 * 3600
        text = ack(bot, t["card_ts"])
        assert "is with the team. For a High ticket we aim to give you a first response within 2 h." in text
        mirror = next(p for p in slack.posts(TRIAGE) if p["ts"] == t["triage_ts"])
        assert "Tier:" not in json.dumps(mirror["blocks"])


def test_a_conversation_takes_the_tier_of_its_channel(slack: SlackStub, database_url: str, tmp_path: Path) -> None:
    env = {"SUPPORT_ROUTING_FILE": routing_file(tmp_path), "SUPPORT_SLA_UNTRIAGED": "8h"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot, plan="scale")
        said = customer_message(CUSTOMER_CHANNEL, "The funnel insight shows no data")
        assert bot.event(said)[0] == 200
        number = slack.wait_for(lambda: bot.sql("SELECT id FROM tickets WHERE source_ts = :ts", ts=said["ts"]))[0][0]
        assert bot.sql("SELECT tier FROM tickets") == [("onboarding",)]
        assert seconds_to_due(bot, number) == 8 * 3600  # no severity, no Medium in the tier: untriaged
        set_severity(bot, number, "critical")
        assert seconds_to_due(bot, number) == 3


def test_a_file_of_tiers_only_keeps_one_triage_channel_and_no_area_picker(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text('[tiers.Enterprise]\nfirst_response = { high = "4s" }\n', encoding="utf-8")
    env = {"SUPPORT_ROUTING_FILE": str(path), "SUPPORT_ONBOARDING_WINDOW": "1s"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        start_onboarding(bot, plan="enterprise")
        time.sleep(1.1)
        t = filed(bot, severity="high")
        assert "area" not in [b.get("block_id") for b in bot.opened_view()["blocks"]]
        assert bot.sql("SELECT tier, area, triage_channel_id FROM tickets") == [("Enterprise", None, TRIAGE)]
        assert "within 4 s" in ack(bot, t["card_ts"])
        mirror = next(p for p in slack.posts(TRIAGE) if p["ts"] == t["triage_ts"])
        assert "Move to" not in json.dumps(mirror["blocks"])
        drained(bot)
