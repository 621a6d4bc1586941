"""What a real customer channel sends, replayed into intake (issue 16): which top-level messages
become conversations, which join one, and which are left alone. Payload shapes follow
tests/e2e/test_message_subtypes.py (bolt-python's fixtures and Slack's event reference)."""

from __future__ import annotations

import time

from fakeslack import BOT_USER, CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, HOST_TEAM, STAFF, TRIAGE, SlackStub
from fakeslack.messages import customer_message, edited_message, new_ts, person_message
from tests.support import BotUnderTest, drained, running_bot


def _tickets(bot: BotUnderTest) -> list[tuple]:
    return [tuple(r) for r in bot.sql("SELECT id, source, reporter_id, title FROM tickets ORDER BY id")]


def _eyes(bot: BotUnderTest, channel: str, ts: str) -> list[str]:
    return bot.slack.reactions.get((channel, ts), {}).get("eyes", [])


def test_posts_by_apps_and_workflows_edits_and_notices_are_not_conversations(bot: BotUnderTest, channel: str) -> None:
    ts = new_ts()
    alert = {
        "type": "message",
        "subtype": "bot_message",
        "text": "CPU at 95% on ingestion",
        "ts": ts,
        "bot_id": "B0ALERTS",
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
    }
    workflow = {**person_message(channel, CUSTOMER, "Weekly check-in form", team=CUSTOMER_TEAM), "workflow_id": "Wf0"}
    app_with_user = {**customer_message(channel, "Deploy finished"), "bot_id": "B0CI", "app_id": "A0CI"}
    joined_ts = new_ts()
    notice = {
        "type": "message",
        "subtype": "channel_join",
        "user": CUSTOMER,
        "text": f"<@{CUSTOMER}> has joined",
        "ts": joined_ts,
        "channel": channel,
        "event_ts": joined_ts,
    }
    for event in (alert, workflow, app_with_user, notice):
        assert bot.event(event)[0] == 200
    tracked = customer_message(channel, "The export to S3 fails since the upgrade")
    bot.event(tracked)
    edit = edited_message(tracked, "The export to S3 and GCS fails since the upgrade")
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": channel,
        "ts": new_ts(),
        "deleted_ts": tracked["ts"],
        "hidden": True,
        "previous_message": tracked,
    }
    assert bot.event(edit)[0] == 200 and bot.event(deleted)[0] == 200
    assert [(source, reporter) for _, source, reporter, _ in _tickets(bot)] == [("message", CUSTOMER)]


def test_a_file_without_text_and_a_me_message_are_heard(bot: BotUnderTest, channel: str) -> None:
    upload = {
        **customer_message(channel, ""),
        "subtype": "file_share",
        "files": [{"id": "F0SHOT", "name": "funnel-broken.png", "title": "funnel-broken.png"}],
    }
    del upload["blocks"]
    me = {
        **person_message(channel, "U0CUST2", "is still seeing blank recordings", team=CUSTOMER_TEAM),
        "subtype": "me_message",
    }
    bot.slack.add_user("U0CUST2", CUSTOMER_TEAM)
    bot.event(upload)
    bot.event(me)
    titles = [title for _, _, _, title in _tickets(bot)]
    assert titles == ["File: funnel-broken.png", "is still seeing blank recordings"]


def test_a_guest_of_our_workspace_is_a_customer_and_staff_are_not(bot: BotUnderTest, channel: str) -> None:
    bot.slack.make_guest("U0GUEST")
    bot.event(person_message(channel, "U0GUEST", "Where do I find the billing page?"))
    bot.event(person_message(channel, STAFF, "Reminder: maintenance window tonight"))
    assert [reporter for _, _, reporter, _ in _tickets(bot)] == ["U0GUEST"]


def test_messages_in_internal_channels_are_not_looked_at(bot: BotUnderTest, channel: str) -> None:
    looked_up = bot.slack.count("users.info")
    bot.event(person_message(TRIAGE, "U0SOMEONE", "Who owns the flags service?"))
    bot.event(person_message("C0NOTJOINED", "U0SOMEONE", "Hello? Is this thing on"))
    assert _tickets(bot) == []
    assert bot.slack.count("users.info") == looked_up  # not even a look-up for who wrote it


def test_an_archived_channel_tracks_nothing(bot: BotUnderTest, channel: str) -> None:
    assert bot.event({"type": "channel_archive", "channel": channel, "user": CUSTOMER, "event_ts": "2.1"})[0] == 200
    bot.event(customer_message(channel, "Are you still there? Our flags stopped evaluating"))
    assert _tickets(bot) == []


def test_mentioning_the_bot_files_one_ticket_not_also_a_conversation(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, f"<@{BOT_USER}> exports fail for project 12")
    bot.event(said)
    mention = {**said, "type": "app_mention"}
    bot.event(mention)
    drained(bot)
    assert [source for _, source, _, _ in _tickets(bot)] == ["mention"]
    assert _eyes(bot, channel, said["ts"]) == []  # a filed ticket gets its card, not the 👀


def test_an_author_slack_cannot_name_is_still_heard(bot: BotUnderTest, channel: str) -> None:
    """users.info answers 429 for someone whose event names our own team (a guest, maybe): the
    message is tracked anyway — never lost to a failed look-up — and staff can close it."""
    bot.slack.add_user("U0MAYBE", HOST_TEAM)
    bot.slack.fail_user("U0MAYBE", "ratelimited", times=5, retry_after=30)
    said = person_message(channel, "U0MAYBE", "Our SSO login loops forever")
    assert bot.event(said)[0] == 200
    assert [reporter for _, _, reporter, _ in _tickets(bot)] == ["U0MAYBE"]


def test_one_customers_messages_group_and_replies_in_either_thread_join(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_MESSAGE_GROUPING="2s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        channel = CUSTOMER_CHANNEL
        first = customer_message(channel, "Hi, quick question about cohorts")
        second = customer_message(channel, "Our static cohort stopped updating yesterday")
        bot.slack.add_user("U0OTHER", CUSTOMER_TEAM)
        other = person_message(channel, "U0OTHER", "Separate thing: invoices show the wrong VAT", team=CUSTOMER_TEAM)
        for event in (first, second, other):
            bot.event(event)
        tickets = _tickets(bot)
        assert [reporter for _, _, reporter, _ in tickets] == [CUSTOMER, "U0OTHER"]
        number = tickets[0][0]
        threads = bot.sql("SELECT thread_ts FROM ticket_threads WHERE ticket_id = :n ORDER BY thread_ts", n=number)
        assert [ts for (ts,) in threads] == sorted([first["ts"], second["ts"]])
        bot.event(person_message(channel, STAFF, "Which cohort id?", thread_ts=second["ts"]))
        bot.event(customer_message(channel, "cohort 42", thread_ts=first["ts"]))
        rows = bot.sql("SELECT ticket_id, count(*) FROM ticket_messages GROUP BY ticket_id")
        assert [tuple(r) for r in rows] == [(number, 3)]  # the second message, and both replies
        drained(bot)
        assert _eyes(bot, channel, first["ts"]) == [bot.slack.bot_user]
        assert _eyes(bot, channel, second["ts"]) == [bot.slack.bot_user]
        assert not [p for p in bot.slack.posts(channel) if p.get("thread_ts") in (first["ts"], second["ts"])]
        time.sleep(2.5)  # past the grouping window: a new message is a new conversation
        bot.event(customer_message(channel, "Also: the toolbar does not load on our docs site"))
        assert [reporter for _, _, reporter, _ in _tickets(bot)] == [CUSTOMER, "U0OTHER", CUSTOMER]


def test_explicit_mode_by_setting_is_todays_behaviour(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_INTAKE="explicit") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        bot.event(customer_message(CUSTOMER_CHANNEL, "Our dashboards are slow"))
        assert _tickets(bot) == []
        assert bot.slack.count("reactions.add") == 0
