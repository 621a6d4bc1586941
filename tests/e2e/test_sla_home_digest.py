"""SLA timers and escalation, the Critical update cadence, App Home, and the weekly digest."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, STAFF, TRIAGE, SlackStub
from store.models import Customer, CustomerChannel, Ticket
from tests.support import BotUnderTest, drained, filed, running_bot, updates_to


def notes(slack: SlackStub, words: str) -> list[dict]:
    return [p for p in slack.posts(TRIAGE) if words in p["text"]]


def test_warning_at_75_percent_then_breach_escalates_to_oncall(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_HIGH="4s", SUPPORT_ONCALL="S0ONCALL") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="high")
        warning = slack.wait_for(lambda: notes(slack, "75%"), timeout=10)[0]
        assert warning["thread_ts"] == t["triage_ts"]
        breach = slack.wait_for(lambda: notes(slack, "overdue"), timeout=10)[0]
        assert breach["thread_ts"] is None and breach["text"].count("<!subteam^S0ONCALL>") == 1
        card = slack.wait_for(lambda: [u for u in updates_to(bot, t["card_ts"]) if "overdue" in json.dumps(u)])
        assert "First response*\\noverdue" in json.dumps(card[-1]["blocks"])
        assert bot.sql("SELECT sla_warned, sla_breached_at IS NOT NULL FROM tickets")[0] in ((True, True), (1, 1))
        drained(bot)
        assert len(notes(slack, "75%")) == 1 and len(notes(slack, "overdue")) == 1  # each fires once


def test_a_staff_reply_in_time_cancels_the_timers(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_HIGH="3s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="high")
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "Looking into it")
        bot.runtime.deps.timer_sync.drain()
        assert not [j for j in bot.runtime.scheduler.jobs() if j.job_id.startswith("sla_")]
        time.sleep(4)
        assert notes(slack, "75%") == [] and notes(slack, "overdue") == []


def test_changing_severity_moves_the_timers(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_LOW="1h", SUPPORT_SLA_CRITICAL="3s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="low")
        due_low = bot.sql("SELECT sla_due_at FROM tickets")[0][0]
        bot.click(
            "ticket_more",
            user=STAFF,
            channel=TRIAGE,
            action_extra={"type": "overflow", "selected_option": {"value": f"severity:{t['number']}"}},
        )
        slack.wait_for(lambda: len(slack.calls_to("views.open")) == 2)
        bot.submit_view(
            bot.opened_view(),
            {
                "severity": {"severity": {"selected_option": {"value": "critical"}}},
                "reason": {"reason": {"value": "Checkout is down"}},
            },
            user=STAFF,
        )
        due_critical = bot.sql("SELECT sla_due_at FROM tickets")[0][0]
        assert due_critical != due_low
        slack.wait_for(lambda: notes(slack, "overdue"), timeout=10)


def test_critical_tickets_remind_triage_that_an_update_is_owed(slack: SlackStub, database_url: str) -> None:
    env = {"SUPPORT_SLA_CRITICAL": "1h", "SUPPORT_CRITICAL_UPDATE_EVERY": "2s"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="critical")
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "We are on it")
        reminder = slack.wait_for(lambda: notes(slack, "owed an update"), timeout=10)[0]
        assert reminder["thread_ts"] == t["triage_ts"]
        bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(t["number"]))
        drained(bot)
        count = len(notes(slack, "owed an update"))
        time.sleep(3)
        assert len(notes(slack, "owed an update")) == count  # resolved: no more reminders


def home_view(bot: BotUnderTest, user: str, team: str) -> dict:
    before = len(bot.slack.calls_to("views.publish"))
    status, _, _ = bot.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"})
    assert status == 200
    call = bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish")[before:])[0]
    assert call.args["user_id"] == user
    return call.args["view"]


def test_app_home_for_staff_and_for_each_customer(bot: BotUnderTest, channel: str) -> None:
    filed(bot, title="Acme's dashboards are down")
    bot.join_channel("C0GLOBEX", name="globex")
    bot.slack.add_user("U0GLOBEX", "T0GLOBEX")
    filed(bot, user="U0GLOBEX", channel="C0GLOBEX", title="Globex <!channel> secret project")

    staff = json.dumps(home_view(bot, STAFF, "T0HOST"))
    assert "Acme's dashboards are down" in staff and "Globex &lt;!channel&gt; secret project" in staff
    assert "<!channel>" not in staff

    acme = home_view(bot, CUSTOMER, CUSTOMER_TEAM)
    blob = json.dumps(acme)
    assert "Acme's dashboards are down" in blob and "Globex" not in blob
    assert "file_ticket_home" in blob and "ticket_take" not in blob

    # The customer's File-a-ticket button opens the form for their own channel.
    bot.click("file_ticket_home", user=CUSTOMER, channel="D0HOME", value="home", team=CUSTOMER_TEAM)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open")[2:])[0].args["view"]
    assert view["callback_id"] == "ticket_modal" and json.loads(view["private_metadata"])["c"] == channel


def test_staff_home_stays_under_100_blocks_with_1000_customers(bot: BotUnderTest, channel: str) -> None:
    now = datetime.now(UTC)
    with bot.runtime.db.transaction() as session:
        session.execute(
            insert(CustomerChannel),
            [
                {
                    "channel_id": f"C{i:07d}",
                    "name": f"customer-{i}",
                    "is_ext_shared": True,
                    "active": True,
                    "joined_at": now,
                }
                for i in range(1000)
            ],
        )
        session.execute(
            insert(Customer),
            [
                {
                    "channel_id": f"C{i:07d}",
                    "company": f"Customer {i}",
                    "cloud_provider": "aws",
                    "plan": "scale",
                    "monthly_spend": 5000,
                    "cs_owner_id": STAFF,
                    "started_by": STAFF,
                    "started_at": now,
                    "updated_at": now,
                    "size_warned": False,
                    "nudges_sent": 0,
                    "milestones_sent": 0,
                }
                for i in range(1000)
            ],
        )
        session.execute(
            insert(Ticket),
            [
                {
                    "channel_id": f"C{i % 1000:07d}",
                    "reporter_id": CUSTOMER,
                    "reporter_is_staff": False,
                    "severity": "medium",
                    "title": f"Problem {i}",
                    "description": "",
                    "status": "open",
                    "source": "command",
                    "submission_key": f"seed:{i}",
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now,
                    "reply_count": 0,
                    "sla_warned": False,
                    "updates_owed": 0,
                    "sla_due_at": now + timedelta(hours=1),
                }
                for i in range(2000)
            ],
        )
    view = home_view(bot, STAFF, "T0HOST")
    assert len(view["blocks"]) <= 100
    assert "home_page_next" in json.dumps(view)
    bot.click("home_page_next", user=STAFF, channel="D0HOME", value="1")
    page2 = bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish")[1:])[0].args["view"]
    assert len(page2["blocks"]) <= 100 and page2["blocks"] != view["blocks"]


def test_weekly_digest_is_scheduled_and_can_be_posted_now(slack: SlackStub, database_url: str) -> None:
    from tests.support import run_cli

    env = {"SUPPORT_DIGEST_CHANNEL": "C0DIGEST", "SUPPORT_DIGEST_SCHEDULE": "0 9 * * mon"}
    with running_bot(slack, database_url, **env) as bot:
        [job] = [j for j in bot.runtime.scheduler.jobs() if j.job_id == "digest"]
        assert job.next_run_time.weekday() == 0 and (job.next_run_time.hour, job.next_run_time.minute) == (9, 0)
        bot.join_channel(CUSTOMER_CHANNEL)
        filed(bot, title="<!everyone> look")
        result = run_cli("digest", env={"DATABASE_URL": database_url, **env})
        assert result.returncode == 0, result.stderr
        digest = slack.wait_for(lambda: slack.posts("C0DIGEST"), timeout=10)[0]
        blob = json.dumps(digest)
        assert "acme-support" in blob and "<!everyone>" not in blob
        assert "1" in digest["text"]
