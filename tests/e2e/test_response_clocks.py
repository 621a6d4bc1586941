"""Response clocks (issue 16): the customer is waiting on us from filing until a staff reply, and
again when they write after one (a next-response clock with a 75% warning and a breach escalation);
a pleasantry starts nothing. The export, App Home and the weekly digest show it."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, HOST_TEAM, STAFF, TRIAGE, SlackStub
from fakeslack.messages import customer_message, person_message
from services.tickets import lock_ticket, ticket_action
from tests.support import BotUnderTest, drained, filed, run_cli, running_bot

OTHER_CUSTOMER = "U0CUST2"  # a colleague of CUSTOMER's: their messages start conversations of their own


def notes(slack: SlackStub, words: str) -> list[dict]:
    return [p for p in slack.posts(TRIAGE) if words in p["text"]]


def clock(bot: BotUnderTest, number: int) -> tuple:
    """(status, waiting_since, next_response_due_at, next_response_warned, next_response_breached_at)."""
    return tuple(
        bot.sql(
            "SELECT status, waiting_since, next_response_due_at, next_response_warned, next_response_breached_at"
            " FROM tickets WHERE id = :n",
            n=number,
        )[0]
    )


def _naive(value: object) -> datetime:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _at(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC).replace(tzinfo=None)


def next_jobs(bot: BotUnderTest) -> list[str]:
    bot.runtime.deps.timer_sync.drain()
    return [j.job_id for j in bot.runtime.scheduler.jobs() if j.job_id.startswith(("next_warn:", "next_breach:"))]


def conversation(
    bot: BotUnderTest, text: str = "The funnel insight shows no data", user: str = CUSTOMER
) -> tuple[int, str]:
    """A customer's plain message becomes a conversation: (its number, the message's ts)."""
    if user != CUSTOMER:
        bot.slack.add_user(user, CUSTOMER_TEAM)
    said = person_message(CUSTOMER_CHANNEL, user, text, team=CUSTOMER_TEAM)
    assert bot.event(said)[0] == 200
    number = bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets WHERE source_ts = :ts", ts=said["ts"]))[0][0]
    return number, said["ts"]


def test_a_customer_writing_again_after_a_staff_reply_is_warned_about_then_escalated(
    slack: SlackStub, database_url: str
) -> None:
    env = {"SUPPORT_SLA_MEDIUM": "1h", "SUPPORT_NEXT_RESPONSE_MEDIUM": "3s", "SUPPORT_ONCALL": "S0ONCALL"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="medium")
        assert clock(bot, t["number"])[1] is not None  # waiting on us since filing
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Fixed, can you check?", thread_ts=t["card_ts"]))
        assert clock(bot, t["number"])[1:] in ((None, None, False, None), (None, None, 0, None))
        again = customer_message(CUSTOMER_CHANNEL, "Still failing after the fix", thread_ts=t["card_ts"])
        bot.event(again)
        status, waiting_since, due, _, _ = clock(bot, t["number"])
        assert status == "in_progress" and _naive(waiting_since) == _at(again["ts"])
        assert (_naive(due) - _at(again["ts"])).total_seconds() == 3  # SUPPORT_NEXT_RESPONSE_MEDIUM
        assert sorted(next_jobs(bot)) == [f"next_breach:{t['number']}", f"next_warn:{t['number']}"]

        warning = slack.wait_for(lambda: notes(slack, "next-response target"), timeout=10)[0]
        assert warning["thread_ts"] == t["triage_ts"] and f"#{t['number']}" in warning["text"]
        breach = slack.wait_for(lambda: notes(slack, "next response is overdue"), timeout=10)[0]
        assert breach.get("thread_ts") is None and breach["text"].count("<!subteam^S0ONCALL>") == 1
        drained(bot)
        assert len(notes(slack, "next-response target")) == 1 and len(notes(slack, "next response is overdue")) == 1
        _, _, _, warned, breached_at = clock(bot, t["number"])
        assert warned in (True, 1) and breached_at is not None
        assert notes(slack, "first-response target") == []  # the first response was in time
        assert next_jobs(bot) == []


def test_a_staff_reply_stops_the_next_response_clock(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_NEXT_RESPONSE_HIGH="3s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="high")
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Looking into it", thread_ts=t["card_ts"]))
        bot.event(customer_message(CUSTOMER_CHANNEL, "Here is the error id: 4411", thread_ts=t["card_ts"]))
        assert clock(bot, t["number"])[2] is not None and next_jobs(bot)
        for job_id in next_jobs(bot):  # alarms lost from the job store: the leader's reconcile restores them
            bot.runtime.scheduler.cancel(job_id)
        assert bot.runtime.dispatcher.reconcile() == 2
        assert sorted(next_jobs(bot)) == [f"next_breach:{t['number']}", f"next_warn:{t['number']}"]
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Thanks, found it", thread_ts=t["card_ts"]))
        assert clock(bot, t["number"])[1:] in ((None, None, False, None), (None, None, 0, None))
        assert next_jobs(bot) == []
        time.sleep(3.5)  # past the 3 s target: nothing fires
        assert notes(slack, "next-response") == [] and notes(slack, "next response") == []


def test_a_conversation_without_severity_runs_both_clocks_on_the_untriaged_target(
    slack: SlackStub, database_url: str
) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_UNTRIAGED="3s", SUPPORT_SLA_MEDIUM="1h") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        number, ts = conversation(bot)
        first = slack.wait_for(lambda: notes(slack, "first response is overdue"), timeout=10)[0]
        assert "no severity yet" in first["text"] and f"#{number}" in first["text"]
        assert notes(slack, "first-response target")  # and the 75% warning before it

        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Which project?", thread_ts=ts))
        again = customer_message(CUSTOMER_CHANNEL, "Project 12, the EU one", thread_ts=ts)
        bot.event(again)
        status, waiting_since, due, _, _ = clock(bot, number)
        assert (status, _naive(waiting_since)) == ("in_progress", _at(again["ts"]))
        assert (_naive(due) - _at(again["ts"])).total_seconds() == 3  # SUPPORT_SLA_UNTRIAGED
        slack.wait_for(lambda: notes(slack, "next-response target"), timeout=10)
        breach = slack.wait_for(lambda: notes(slack, "next response is overdue"), timeout=10)[0]
        assert "no severity yet" in breach["text"]


def test_a_pleasantry_neither_starts_a_clock_nor_reopens(bot: BotUnderTest, channel: str) -> None:
    number, ts = conversation(bot)
    bot.event(person_message(channel, STAFF, "It is fixed now", thread_ts=ts))
    for text in ("thanks!", "Thank you so much 🙏", ":+1:"):
        bot.event(customer_message(channel, text, thread_ts=ts))
    assert clock(bot, number)[1:3] == (None, None)
    assert not bot.sql("SELECT 1 FROM ticket_events WHERE field = 'next_response'")
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(number))
    bot.event(customer_message(channel, "ok thanks", thread_ts=ts))
    assert clock(bot, number)[:3] == ("resolved", None, None)  # still resolved, nobody waits

    again = customer_message(channel, "It broke again this morning", thread_ts=ts)
    bot.event(again)
    status, waiting_since, due, _, _ = clock(bot, number)
    assert status == "in_progress" and _naive(waiting_since) == _at(again["ts"]) and due is not None
    assert bot.sql("SELECT count(*) FROM ticket_events WHERE field = 'next_response'")[0][0] == 1
    assert bot.slack.wait_for(lambda: notes(bot.slack, "back in progress"))


def test_a_reply_whose_author_is_unknown_starts_the_clock_only_once_settled(bot: BotUnderTest, channel: str) -> None:
    number, ts = conversation(bot)
    bot.event(person_message(channel, STAFF, "Which project?", thread_ts=ts))
    bot.slack.add_user("U0GUEST", CUSTOMER_TEAM)
    bot.slack.fail("users.info", status=429, retry_after=1, times=2)  # the look-up and the client's retry
    # The event does not say the author's org (as for a guest): only users.info can.
    reply = person_message(channel, "U0GUEST", "Project 12, the EU one", thread_ts=ts, team=HOST_TEAM)
    assert bot.event(reply)[0] == 200
    assert bot.sql("SELECT from_staff FROM ticket_messages WHERE ts = :ts", ts=reply["ts"])[0][0] is None
    assert clock(bot, number)[1:3] == (None, None)  # unknown: changes nothing yet
    bot.slack.wait_for(lambda: clock(bot, number)[2] is not None, timeout=15)  # the scheduled look-up: a customer
    assert _naive(clock(bot, number)[1]) == _at(reply["ts"])


def test_waiting_on_the_customer_or_closing_ends_the_wait(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot)
    bot.thread_reply(channel, t["card_ts"], STAFF, "Can you send the logs?")
    bot.thread_reply(channel, t["card_ts"], CUSTOMER, "Which logs exactly?")
    assert clock(bot, t["number"])[2] is not None  # waiting on us again
    bot.click("ticket_waiting", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    assert clock(bot, t["number"])[:3] == ("waiting_on_customer", None, None)
    assert next_jobs(bot) == []
    bot.thread_reply(channel, t["card_ts"], CUSTOMER, "Here are the logs")
    status, waiting_since, due, _, _ = clock(bot, t["number"])
    assert status == "in_progress" and waiting_since is not None and due is not None
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(t["number"]))
    assert clock(bot, t["number"])[:3] == ("resolved", None, None)
    assert next_jobs(bot) == []


def test_the_export_has_source_waiting_since_and_next_response_due(bot: BotUnderTest, channel: str) -> None:
    t = filed(bot, severity="low")
    number, ts = conversation(bot)
    bot.event(person_message(channel, STAFF, "Which dashboard?", thread_ts=ts))
    again = customer_message(channel, "The revenue one", thread_ts=ts)
    bot.event(again)
    env = {"DATABASE_URL": bot.runtime.settings.database_url}

    result = run_cli("export", "tickets", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    rows = {row["number"]: row for row in json.loads(result.stdout)}
    ticket, talk = rows[t["number"]], rows[number]
    assert (ticket["source"], ticket["severity"], ticket["next_response_due_at"]) == ("command", "low", None)
    assert ticket["waiting_since"].endswith("Z")  # nobody has answered it
    assert (talk["source"], talk["severity"]) == ("message", None)
    assert _naive(talk["waiting_since"].rstrip("Z")) == _at(again["ts"])
    assert talk["next_response_due_at"].endswith("Z")

    result = run_cli("export", "tickets", "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    by_number = {r["number"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert {"source", "waiting_since", "next_response_due_at"} <= set(by_number[str(number)])
    assert by_number[str(number)]["next_response_due_at"] == talk["next_response_due_at"]
    assert by_number[str(t["number"])]["next_response_due_at"] == ""


def _home(bot: BotUnderTest, user: str) -> dict:
    before = len(bot.slack.calls_to("views.publish"))
    status, _, _ = bot.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"})
    assert status == 200
    return bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish")[before:])[0].args["view"]


def close_as_noise(bot: BotUnderTest, number: int) -> None:
    """Staff close a conversation as "Not a ticket" (services.tickets.ticket_action "noise"; its
    triage button is built elsewhere)."""
    with bot.runtime.db.transaction() as session:
        ticket = lock_ticket(session, number)
        assert ticket is not None
        now = datetime.now(UTC)
        ticket_action(session, ticket, "noise", actor=STAFF, now=now, sla=bot.runtime.deps.sla_policy)


def test_staff_home_lists_who_is_waiting_on_us_longest_first(bot: BotUnderTest, channel: str) -> None:
    oldest, _ = conversation(bot, "Our webhooks stopped firing")  # no severity: must not break Home
    answered = filed(bot, title="Answered already")
    bot.thread_reply(channel, answered["card_ts"], STAFF, "Done")
    newest = filed(bot, title="Replays are blank")
    noise, _ = conversation(bot, "Unrelated chatter about lunch plans today", user=OTHER_CUSTOMER)
    close_as_noise(bot, noise)

    view = _home(bot, STAFF)
    first = view["blocks"][2]["text"]["text"]
    assert first.startswith("*Waiting on us* (2, longest first)")
    assert first.index(f"#{oldest}*") < first.index(f"#{newest['number']}*")
    assert "Answered already" not in first and "Unrelated chatter" not in first
    assert "No severity yet" in first and " s* · " in first  # how long, in humanize_duration's words
    blob = json.dumps(view)
    assert "No severity yet" in blob and "Unrelated chatter" not in blob  # noise is closed: not open
    assert len(view["blocks"]) <= 100


def test_the_digest_has_the_median_next_response_and_conversations_per_customer(
    slack: SlackStub, database_url: str
) -> None:
    env = {"SUPPORT_DIGEST_CHANNEL": "C0DIGEST"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        number, ts = conversation(bot)
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Which insight?", ts=f"{time.time() - 50:.6f}", thread_ts=ts))
        bot.event(customer_message(CUSTOMER_CHANNEL, "The weekly one", ts=f"{time.time() - 40:.6f}", thread_ts=ts))
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Fixed", ts=f"{time.time() - 10:.6f}", thread_ts=ts))
        noise, _ = conversation(bot, "Hello all, a note about our offsite schedule", user=OTHER_CUSTOMER)
        close_as_noise(bot, noise)
        result = run_cli("digest", env={"DATABASE_URL": database_url, **env})
        assert result.returncode == 0, result.stderr
        digest = slack.wait_for(lambda: slack.posts("C0DIGEST"), timeout=10)[0]
        body = json.dumps(digest["blocks"])
        assert "*Median next response* (customer wrote again after a staff reply): 30 s (1 answered)" in body
        assert "2 conversations (1 not a ticket)" in body
        assert "*Conversations*\\n2 (1 not a ticket)" in body


def test_setting_a_severity_moves_a_running_next_response_clock(slack: SlackStub, database_url: str) -> None:
    env = {"SUPPORT_SLA_UNTRIAGED": "1h", "SUPPORT_NEXT_RESPONSE_CRITICAL": "3s"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        number, ts = conversation(bot)
        bot.event(person_message(CUSTOMER_CHANNEL, STAFF, "Which project?", thread_ts=ts))
        again = customer_message(CUSTOMER_CHANNEL, "All of them, checkout is down", thread_ts=ts)
        bot.event(again)
        assert (_naive(clock(bot, number)[2]) - _at(again["ts"])).total_seconds() == 3600  # untriaged
        bot.click(
            "ticket_more",
            user=STAFF,
            channel=TRIAGE,
            action_extra={"type": "overflow", "selected_option": {"value": f"severity:{number}"}},
        )
        slack.wait_for(lambda: slack.calls_to("views.open"))
        bot.submit_view(
            bot.opened_view(),
            {
                "severity": {"severity": {"selected_option": {"value": "critical"}}},
                "reason": {"reason": {"value": "Checkout is down"}},
            },
            user=STAFF,
        )
        status, waiting_since, due, _, _ = clock(bot, number)
        assert _naive(waiting_since) == _at(again["ts"]) and (_naive(due) - _at(again["ts"])).total_seconds() == 3
        breach = slack.wait_for(lambda: notes(slack, "next response is overdue"), timeout=10)[0]
        assert "Critical" in breach["text"]
