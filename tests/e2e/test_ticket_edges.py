"""/ticket's edges: forged requests, bad input, the wrong channel, the button, mention injection."""

from __future__ import annotations

import json
import time

import pytest

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, STAFF, TRIAGE
from fakeslack.payloads import ticket_values
from tests.support import BotUnderTest, drained, file_ticket


def _nothing_happened(bot: BotUnderTest) -> None:
    drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0
    assert bot.sql("SELECT count(*) FROM processed_events")[0][0] == 0
    assert bot.slack.calls_to("views.open") == []
    assert bot.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "how",
    [
        {"signed": False},
        {"secret": "not-the-signing-secret"},
        {"age": 301},  # stale: over five minutes old
        {"age": -400},  # from the future
    ],
    ids=["unsigned", "forged", "stale", "future"],
)
def test_unverified_requests_get_401_and_leave_nothing(bot: BotUnderTest, how: dict) -> None:
    if "age" in how:  # computed now, not when the test was collected
        how = {"timestamp": int(time.time()) - how["age"]}
    bot.slack.add_channel(CUSTOMER_CHANNEL, "acme", True)
    status, _, _ = bot.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL, **how)
    assert status == 401
    status, _, _ = bot.event({"type": "member_joined_channel", "user": "U0BOT", "channel": CUSTOMER_CHANNEL}, **how)
    assert status == 401
    status, _, _ = bot.submit_view(
        {
            "id": "V1",
            "type": "modal",
            "callback_id": "ticket_modal",
            "private_metadata": json.dumps({"c": CUSTOMER_CHANNEL}),
        },
        ticket_values(),
        user=CUSTOMER,
        **how,
    )
    assert status == 401
    _nothing_happened(bot)


def test_signature_over_a_different_body_is_refused(bot: BotUnderTest) -> None:
    ts = int(time.time())
    from fakeslack import sign

    body = b"command=%2Fticket&channel_id=C0ACME&user_id=U0CUST&trigger_id=t"
    headers = {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(b"other body", ts)}
    status, _, _ = bot.request(body, "application/x-www-form-urlencoded", signed=False, headers=headers)
    assert status == 401
    _nothing_happened(bot)


def test_ticket_outside_a_customer_channel_gets_an_ephemeral_answer(bot: BotUnderTest) -> None:
    status, body, _ = bot.slash("/ticket", user=CUSTOMER, channel="D0DIRECT")
    assert status == 200
    answer = json.loads(body)
    assert "support channel" in answer["text"]
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    drained(bot)
    assert bot.slack.calls_to("views.open") == []


def test_modal_field_errors_come_back_in_the_modal(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    view = bot.opened_view() if bot.slack.wait_for(lambda: bot.slack.calls_to("views.open")) else None
    status, body, _ = bot.submit_view(view, ticket_values(severity="", title="   "), user=CUSTOMER)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"severity", "title"}
    status, body, _ = bot.submit_view(view, ticket_values(description="x" * 3001), user=CUSTOMER)
    assert json.loads(body)["errors"] == {"description": "Keep the description under 3000 characters."}
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0


def test_submitting_the_same_view_twice_files_one_ticket(bot: BotUnderTest, channel: str) -> None:
    view = file_ticket(bot)
    status, body, _ = bot.submit_view(view, ticket_values(), user=CUSTOMER)
    assert status == 200
    drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1
    bot.slack.wait_for(lambda: bot.slack.posts(TRIAGE))
    drained(bot)
    assert len(bot.slack.posts(TRIAGE)) == 1


def test_joining_a_channel_records_it_and_posts_a_welcome_with_a_button(bot: BotUnderTest) -> None:
    bot.join_channel("C0SHARED", name="acme-posthog", ext_shared=True)
    assert [tuple(r) for r in bot.sql("SELECT channel_id, name, is_ext_shared FROM customer_channels")] == [
        ("C0SHARED", "acme-posthog", True)
    ]
    welcome = bot.slack.wait_for(lambda: bot.slack.posts("C0SHARED"))[0]
    buttons = [e for b in welcome["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["file_ticket_open"]
    assert "/ticket" in welcome["text"]


def test_someone_else_joining_is_not_a_new_customer_channel(bot: BotUnderTest) -> None:
    bot.slack.add_channel("C0OTHER", "other")
    status, _, _ = bot.event({"type": "member_joined_channel", "user": CUSTOMER, "channel": "C0OTHER"})
    assert status == 200
    assert bot.sql("SELECT count(*) FROM customer_channels")[0][0] == 0


def test_file_a_ticket_button_opens_the_same_modal(bot: BotUnderTest, channel: str) -> None:
    status, _, _ = bot.click("file_ticket_open", user=CUSTOMER, channel=channel)
    assert status == 200
    call = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0]
    assert call.args["view"]["callback_id"] == "ticket_modal"
    view = bot.opened_view()
    status, body, _ = bot.submit_view(view, ticket_values(severity="low", title="How do cohorts work?"), user=CUSTOMER)
    assert status == 200
    assert [tuple(r) for r in bot.sql("SELECT severity, source, reporter_is_staff FROM tickets")] == [
        ("low", "button", False)
    ]


def test_staff_filing_is_recorded_as_staff(bot: BotUnderTest, channel: str) -> None:
    file_ticket(bot, user=STAFF)
    assert bot.sql("SELECT reporter_is_staff FROM tickets")[0][0] in (True, 1)


def test_modal_that_cannot_open_tells_the_user(bot: BotUnderTest, channel: str) -> None:
    bot.slack.fail("views.open", status=200, error="expired_trigger_id", times=5)
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "could not open the form" in answer["text"]


INJECTION = "<!channel> <!here> <!everyone> <!subteam^S0TEAM> <@U0STAFF> @here & <b>"


def test_mention_injection_never_pings(bot: BotUnderTest, channel: str) -> None:
    status, _, _ = bot.slash("/ticket", user=CUSTOMER, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    bot.submit_view(
        bot.opened_view(), ticket_values(severity="high", title=INJECTION[:150], description=INJECTION), user=CUSTOMER
    )
    bot.slack.wait_for(lambda: bot.slack.posts(TRIAGE))
    bot.slack.wait_for(lambda: len(bot.slack.posts(channel)) >= 3)  # welcome, card, ack
    assert bot.sql("SELECT title FROM tickets")[0][0] == INJECTION  # stored exactly as typed
    for post in bot.slack.posts():
        rendered = json.dumps({"text": post["text"], "blocks": post["blocks"]})
        for ping in ("<!channel>", "<!everyone>", "<!subteam^", "<@U0STAFF>"):
            assert ping not in rendered, (ping, rendered)
        if post["channel"] != TRIAGE:
            assert "<!here>" not in rendered
    card = next(p for p in bot.slack.posts(channel) if "Ticket #1" in p["text"])
    assert "&lt;!channel&gt;" in card["text"] and "&amp; &lt;b&gt;" in card["text"]
