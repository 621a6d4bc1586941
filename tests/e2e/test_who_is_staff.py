"""Who is staff: guests of our own workspace are customers, and a failed users.info look-up is
never taken (or cached) as "customer": it is decided once Slack answers. Issue 14, section 3.

About the 429 cases: the directory's client (slack_api/client.make_background_client) retries a
429 once itself (RateLimitErrorRetryHandler(1), after Retry-After), so a look-up that really fails
needs users.info to fail twice in a row; a 500 is not retried by that client, so one is enough.
Each test checks the failed calls did reach the stub.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, HOST_TEAM, STAFF, STAFF_2, TRIAGE, SlackStub
from fakeslack.messages import person_message
from fakeslack.payloads import ticket_values
from tests.support import BotUnderTest, drained, running_bot, ticket_from_message

GUEST = "U0GUEST"


def _at(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC).replace(tzinfo=None)


def _naive(value: object) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=None) if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _authors(bot: BotUnderTest) -> dict[str, object]:
    return {ts: staff for ts, staff in bot.sql("SELECT ts, from_staff FROM ticket_messages")}


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
def test_a_guest_of_our_workspace_is_a_customer(bot: BotUnderTest, channel: str, flag: str) -> None:
    """The issue's input: users.info says our team id with is_restricted (or single-channel guest)."""
    bot.slack.add_user(GUEST, HOST_TEAM, **{flag: True})
    t = ticket_from_message(bot, channel)
    reply = person_message(channel, GUEST, "I can see the same error", thread_ts=t["card_ts"], team=HOST_TEAM)
    assert bot.event(reply)[0] == 200
    assert bot.sql("SELECT first_response_at, status FROM tickets")[0] == (None, "open")
    assert bool(_authors(bot)[reply["ts"]]) is False

    status, _, _ = bot.click(
        "ticket_resolve", user=GUEST, channel=channel, message_ts=t["card_ts"], value=str(t["number"]), team=HOST_TEAM
    )
    assert status == 200
    assert "Only the support team" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    assert bot.sql("SELECT status FROM tickets")[0][0] == "open"

    bot.click("ticket_take", user=GUEST, channel=TRIAGE, message_ts="1.1", value=str(t["number"]), team=HOST_TEAM)
    assert "Only the support team" in bot.slack.wait_for(lambda: bot.slack.responses[1:])[0]["text"]
    assert bot.sql("SELECT status, assignee_id FROM tickets")[0] == ("open", None)


def test_a_rate_limited_look_up_is_decided_later_and_dates_the_first_response(
    slack: SlackStub, database_url: str
) -> None:
    """The issue's input: users.info answers `ratelimited` for a staff member's first reply."""
    with running_bot(slack, database_url, SUPPORT_SLA_MEDIUM="8s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = ticket_from_message(bot, CUSTOMER_CHANNEL)
        filed_at = time.time()
        looked_up = slack.count("users.info")
        slack.fail("users.info", status=429, retry_after=1, times=2)  # the call and the client's own retry
        first = person_message(CUSTOMER_CHANNEL, STAFF, "Looking now", thread_ts=t["card_ts"])
        assert bot.event(first)[0] == 200
        assert slack.count("users.info") - looked_up == 2  # both attempts really failed
        assert _authors(bot) == {first["ts"]: None}  # recorded, author unknown: not a customer
        assert bot.sql("SELECT first_response_at, status FROM tickets")[0] == (None, "open")
        assert not [p for p in slack.posts(TRIAGE) if "back in progress" in p["text"]]

        time.sleep(1.1)  # a second staff member answers later; their look-up works
        second = person_message(CUSTOMER_CHANNEL, STAFF_2, "Me too", thread_ts=t["card_ts"])
        bot.event(second)
        assert _naive(bot.sql("SELECT first_response_at FROM tickets")[0][0]) == _at(second["ts"])

        # The scheduled retry names the first author: staff, and the first response is ITS ts.
        slack.wait_for(lambda: _authors(bot)[first["ts"]] is not None, timeout=15)
        assert bool(_authors(bot)[first["ts"]]) is True
        row = bot.sql("SELECT first_response_at, status FROM tickets")[0]
        assert (_naive(row[0]), row[1]) == (_at(first["ts"]), "in_progress")
        bot.runtime.deps.timer_sync.drain()
        jobs = [j.job_id for j in bot.runtime.scheduler.jobs()]
        assert not [j for j in jobs if j.startswith(("sla_breach:", "sla_warn:", "reply_authors:"))], jobs
        time.sleep(max(0.0, filed_at + 9.5 - time.time()))  # past the 8 s Medium target
        assert not [p for p in slack.posts(TRIAGE) if "overdue" in p["text"]]  # on-call not paged


def test_a_reply_whose_author_stays_unknown_is_neither_staff_nor_customer(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.click("ticket_waiting", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    bot.slack.outage(status=503)
    reply = person_message(channel, STAFF_2, "Back to you", thread_ts=t["card_ts"])
    assert bot.event(reply)[0] == 200
    time.sleep(2.5)  # a retry has run and failed too
    assert _authors(bot) == {reply["ts"]: None}
    assert bot.sql("SELECT status, first_response_at FROM tickets")[0] == ("waiting_on_customer", None)
    bot.slack.recover()
    bot.slack.wait_for(lambda: _authors(bot)[reply["ts"]] is not None, timeout=15)
    assert bot.sql("SELECT status FROM tickets")[0][0] == "waiting_on_customer"  # staff: no reopen
    assert bot.sql("SELECT first_response_at FROM tickets")[0][0] is not None


def test_the_event_says_another_org_so_no_look_up_is_needed(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.slack.outage(status=503)  # users.info is down, but the event names the author's team
    reply = person_message(channel, "U0CUSTNEW", "Any news?", thread_ts=t["card_ts"], team=CUSTOMER_TEAM)
    assert bot.event(reply)[0] == 200
    bot.slack.recover()
    assert bool(_authors(bot)[reply["ts"]]) is False
    assert not [c for c in bot.slack.calls_to("users.info") if c.args.get("user") == "U0CUSTNEW"]


def test_a_click_whose_identity_cannot_be_checked_is_answered_try_again(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.slack.fail("users.info", status=500, times=1)  # the directory's client does not retry a 500
    bot.click("ticket_resolve", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "couldn't check who you are" in answer["text"] and answer["response_type"] == "ephemeral"
    assert bot.sql("SELECT status FROM tickets")[0][0] == "open"
    bot.click("ticket_resolve", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    assert bot.sql("SELECT status FROM tickets")[0][0] == "resolved"


def test_a_customer_click_is_refused_without_a_look_up(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.slack.outage(status=503)
    bot.click(
        "ticket_resolve",
        user=CUSTOMER,
        channel=channel,
        message_ts=t["card_ts"],
        value=str(t["number"]),
        team=CUSTOMER_TEAM,
    )
    assert "Only the support team" in bot.slack.wait_for(lambda: bot.slack.responses)[0]["text"]
    bot.slack.recover()
    assert bot.sql("SELECT status FROM tickets")[0][0] == "open"


def test_onboard_while_slack_cannot_say_who_you_are_is_answered_try_again(bot: BotUnderTest, channel: str) -> None:
    """/onboard is staff-only: a failed look-up is "try again", never "only staff can"."""
    bot.slack.fail("users.info", status=500, times=1)  # the directory's client does not retry a 500
    assert bot.slash("/onboard", user=STAFF, channel=channel)[0] == 200
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "couldn't check who you are" in answer["text"]
    assert bot.slack.calls_to("views.open") == []
    assert bot.slash("/onboard", user=STAFF, channel=channel)[0] == 200
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))


def test_a_ticket_filed_while_slack_cannot_say_who_is_kept_with_the_team_the_payload_states(
    bot: BotUnderTest, channel: str
) -> None:
    """users.info failing never loses a submission; the customer's org comes from the payload, so the
    ticket still shows in that org's App Home."""
    assert bot.slash("/ticket", user=CUSTOMER, channel=channel, team=CUSTOMER_TEAM)[0] == 200
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open")) and bot.opened_view()
    bot.slack.outage(status=503)  # users.info (and everything else) fails while the form is submitted
    status, _, _ = bot.submit_view(view, ticket_values(), user=CUSTOMER, team=CUSTOMER_TEAM)
    bot.slack.recover()
    assert status == 200
    rows = bot.sql("SELECT reporter_id, reporter_is_staff, reporter_team_id FROM tickets")
    assert [tuple(r) for r in rows] == [(CUSTOMER, False, CUSTOMER_TEAM)]


def test_app_home_is_not_replaced_while_slack_cannot_say_who_opened_it(bot: BotUnderTest) -> None:
    """A staff member opening Home during a users.info failure keeps the Home they have (never a
    customer's Home by mistake); the next open publishes the staff Home."""
    opened = {"type": "app_home_opened", "user": STAFF, "tab": "home", "channel": "D0HOME"}
    bot.slack.fail("users.info", status=500, times=1)  # the directory's client does not retry a 500
    assert bot.event(opened)[0] == 200
    bot.slack.wait_for(lambda: bot.slack.calls_to("users.info"))
    drained(bot)
    assert bot.slack.calls_to("views.publish") == []
    assert bot.event(opened)[0] == 200
    published = bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish"))[0].args["view"]
    assert "Open tickets" in json.dumps(published)
