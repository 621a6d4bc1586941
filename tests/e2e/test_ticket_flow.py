"""/ticket end to end: signed HTTP in, Slack stub and database checked."""

from __future__ import annotations

import json

from fakeslack import CUSTOMER, CUSTOMER_TEAM, STAFF, TRIAGE
from services.tickets import WAIT_FOR_CARD
from tests.support import BotUnderTest, file_ticket


def test_slash_command_opens_modal_with_four_severities(bot: BotUnderTest, channel: str) -> None:
    status, body, _ = bot.slash("/ticket", user=CUSTOMER, channel=channel, text="Flags API is down")
    assert status == 200
    call = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0]
    assert call.args["trigger_id"].startswith("trigger-")
    view = call.args["view"]
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")
    options = severity["element"]["options"]
    assert [o["value"] for o in options] == ["critical", "high", "medium", "low"]
    assert all(o["description"]["text"] for o in options)
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "Flags API is down"
    examples = next(b for b in view["blocks"] if b.get("block_id") == "severity_examples")
    assert "data was lost" in json.dumps(examples)


def test_submission_stores_ticket_then_posts_card_ack_and_mirror(bot: BotUnderTest, channel: str) -> None:
    file_ticket(bot, severity="high", title="Dashboards are not loading")
    rows = bot.sql("SELECT id, channel_id, reporter_id, severity, status, title FROM tickets")
    assert [tuple(r) for r in rows] == [(1, channel, CUSTOMER, "high", "open", "Dashboards are not loading")]
    # The customer's org is remembered for the channel (App Home's "File a ticket" finds it by org).
    teams = bot.sql("SELECT customer_team_id FROM customer_channels WHERE channel_id = :c", c=channel)
    assert [tuple(r) for r in teams] == [(CUSTOMER_TEAM,)]

    slack = bot.slack
    card = slack.wait_for(lambda: [p for p in slack.posts(channel) if "Ticket #1" in p["text"]])[0]
    assert card["thread_ts"] is None
    assert "Open" in json.dumps(card["blocks"]) and f"<@{CUSTOMER}>" in json.dumps(card["blocks"])
    ack = slack.wait_for(lambda: [p for p in slack.posts(channel) if p["thread_ts"] == card["ts"]])[0]
    assert "2 h" in ack["text"]  # the High first-response target
    mirror = slack.wait_for(lambda: slack.posts(TRIAGE))[0]
    assert "#1" in mirror["text"] and "<!here>" not in mirror["text"]
    assert f"/archives/{channel}/p{card['ts'].replace('.', '')}" in json.dumps(mirror["blocks"])
    slack.wait_for(lambda: bot.sql("SELECT thread_ts, triage_ts FROM tickets")[0][1])
    assert tuple(bot.sql("SELECT thread_ts FROM tickets")[0]) == (card["ts"],)


def test_card_delivery_releases_the_ack_and_mirror_at_once(bot: BotUnderTest, channel: str) -> None:
    """The acknowledgement and the mirror wait for the card; its delivery makes them due (they would
    otherwise look again only after WAIT_FOR_CARD)."""
    file_ticket(bot, title="Replay is blank")
    slack = bot.slack
    slack.wait_for(lambda: slack.posts(TRIAGE) and [p for p in slack.posts(channel) if p["thread_ts"]])
    calls = slack.calls_to("chat.postMessage")
    top_level = [c for c in calls if c.args["channel"] == channel and "thread_ts" not in c.args]
    card = next(c for c in top_level if "Replay is blank" in c.args["text"])  # not the channel's welcome
    ack = next(c for c in calls if c.args["channel"] == channel and "thread_ts" in c.args)
    mirror = next(c for c in calls if c.args["channel"] == TRIAGE)
    assert ack.at - card.at < WAIT_FOR_CARD.total_seconds() / 2
    assert mirror.at - card.at < WAIT_FOR_CARD.total_seconds() / 2


def test_critical_mirror_pings_triage(bot: BotUnderTest, channel: str) -> None:
    file_ticket(bot, severity="critical", title="Everything is down")
    mirror = bot.slack.wait_for(lambda: bot.slack.posts(TRIAGE))[0]
    assert mirror["text"].startswith("<!here>")


def test_staff_reply_sets_first_response_and_redelivery_changes_nothing(bot: BotUnderTest, channel: str) -> None:
    file_ticket(bot)
    bot.slack.wait_for(lambda: bot.sql("SELECT thread_ts FROM tickets")[0][0])
    thread_ts = bot.sql("SELECT thread_ts FROM tickets")[0][0]

    status, _, _ = bot.thread_reply(channel, thread_ts, CUSTOMER, "any news?", event_id="EvCUST1")
    assert status == 200
    assert bot.sql("SELECT status, first_response_at FROM tickets")[0] == ("open", None)

    status, _, _ = bot.thread_reply(channel, thread_ts, STAFF, "Looking now", event_id="EvSTAFF1")
    assert status == 200
    status_, first = bot.sql("SELECT status, first_response_at FROM tickets")[0]
    assert status_ == "in_progress" and first is not None
    messages = bot.sql("SELECT user_id, from_staff FROM ticket_messages ORDER BY id")
    assert [tuple(m) for m in messages] == [(CUSTOMER, False), (STAFF, True)]

    # Slack re-delivers the same event (same event_id, with retry headers): nothing changes.
    status, _, _ = bot.thread_reply(channel, thread_ts, STAFF, "Looking now", event_id="EvSTAFF1", retry_num=1)
    assert status == 200
    assert len(bot.sql("SELECT id FROM ticket_messages")) == 2
    assert bot.sql("SELECT reply_count FROM tickets")[0][0] == 2
    assert bot.sql("SELECT first_response_at FROM tickets")[0][0] == first
