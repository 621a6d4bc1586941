"""Which channels are customer channels, through their whole life, and Slack failing mid-request.

End to end: signed events and clicks in, what reached the Slack stub and the database out.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from fakeslack import BOT_USER, CUSTOMER, CUSTOMER_CHANNEL, HOST_TEAM, STAFF, TRIAGE, SlackStub
from tests.support import BotUnderTest, add_customer, drained, filed, running_bot

INTERNAL = "C0INTERNAL"


def joined(bot: BotUnderTest, channel: str, **extra: Any) -> tuple[int, bytes, dict[str, str]]:
    """member_joined_channel for the bot, without waiting for anything."""
    event = {"type": "member_joined_channel", "user": BOT_USER, "channel": channel, "channel_type": "C"}
    return bot.event({**event, "team": HOST_TEAM, "event_ts": f"{time.time():.6f}"}, **extra)


def channel_row(bot: BotUnderTest, channel: str) -> tuple | None:
    rows = bot.sql(
        "SELECT state, active, archived_at IS NOT NULL, name FROM customer_channels WHERE channel_id = :c", c=channel
    )
    return tuple(rows[0]) if rows else None


def ephemerals(slack: SlackStub, user: str | None = None) -> list[dict]:
    return [c.args for c in slack.calls_to("chat.postEphemeral") if user is None or c.args.get("user") == user]


def buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in blocks if b["type"] == "actions" for e in b["elements"]]


def triage_notes(slack: SlackStub, words: str) -> list[dict]:
    return [p for p in slack.posts(TRIAGE) if words in p["text"]]


# --- the triage channel is never a customer channel ------------------------------------------------


def test_inviting_the_bot_to_triage_posts_no_welcome_and_ticket_there_is_answered_privately(
    bot: BotUnderTest,
) -> None:
    bot.slack.add_channel(TRIAGE, "support-triage", is_ext_shared=False)
    status, _, _ = joined(bot, TRIAGE, event_id="EvTriageJoin")
    assert status == 200
    drained(bot)
    assert bot.slack.posts(TRIAGE) == []
    assert bot.sql("SELECT count(*) FROM customer_channels WHERE active")[0][0] == 0

    status, body, _ = bot.slash("/ticket", user=STAFF, channel=TRIAGE)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert "this is the triage channel" in answer["text"].lower()
    drained(bot)
    assert bot.slack.calls_to("views.open") == []


def test_a_triage_channel_an_older_version_recorded_as_a_customer_channel_is_internal_after_upgrade(
    slack: SlackStub, database_url: str
) -> None:
    """Before channel states, inviting the bot to triage (the README's set-up step) recorded triage
    as a customer channel. The next start makes it internal, and the real customer channel stays."""
    with running_bot(slack, database_url) as first, first.runtime.db.engine.begin() as conn:
        for channel_id in (TRIAGE, CUSTOMER_CHANNEL):
            conn.execute(
                text(
                    "INSERT INTO customer_channels (channel_id, name, is_ext_shared, active, joined_at, state) "
                    "VALUES (:c, 'x', false, true, :at, 'customer')"
                ),
                {"c": channel_id, "at": datetime.now(UTC)},
            )
    with running_bot(slack, database_url) as upgraded:
        upgraded.slack.wait_for(lambda: channel_row(upgraded, TRIAGE)[0] == "internal")
        assert channel_row(upgraded, CUSTOMER_CHANNEL)[0] == "customer"
        status, body, _ = upgraded.slash("/ticket", user=STAFF, channel=TRIAGE)
        assert status == 200 and "this is the triage channel" in json.loads(body)["text"].lower()


def test_a_staff_mention_in_triage_files_no_ticket(bot: BotUnderTest, channel: str) -> None:
    bot.slack.add_channel(TRIAGE, "support-triage", is_ext_shared=False)
    joined(bot, TRIAGE)
    drained(bot)
    mention = {
        "type": "app_mention",
        "user": STAFF,
        "channel": TRIAGE,
        "ts": "1700005000.000500",
        "text": f"<@{BOT_USER}> can someone look at ticket 1?",
    }
    status, _, _ = bot.event(mention, event_id="EvTriageMention")
    assert status == 200
    hint = bot.slack.wait_for(lambda: ephemerals(bot.slack, STAFF))[0]
    assert hint["channel"] == TRIAGE and "don't file tickets" in hint["text"]
    drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0


def test_the_digest_channel_is_not_a_customer_channel_either(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_DIGEST_CHANNEL="C0DIGEST") as bot:
        slack.add_channel("C0DIGEST", "support-digest", is_ext_shared=False)
        assert joined(bot, "C0DIGEST")[0] == 200
        drained(bot)
        assert slack.posts("C0DIGEST") == [] and ephemerals(slack) == []
        assert channel_row(bot, "C0DIGEST") is None


# --- a channel not shared with another org is asked about, not assumed ----------------------------


def test_an_unshared_channel_is_pending_until_staff_choose_customer(bot: BotUnderTest) -> None:
    bot.join_channel("C0GUESTS", name="acme-guests", ext_shared=False, inviter=STAFF)
    question = bot.slack.wait_for(lambda: ephemerals(bot.slack, STAFF))[0]
    assert question["channel"] == "C0GUESTS"
    assert buttons(question["blocks"]) == [
        ("channel_use_as_customer", "C0GUESTS"),
        ("channel_mark_internal", "C0GUESTS"),
    ]
    drained(bot)
    assert bot.slack.posts("C0GUESTS") == []  # no welcome while pending
    assert channel_row(bot, "C0GUESTS")[0] == "pending"

    status, body, _ = bot.slash("/ticket", user=STAFF, channel="C0GUESTS")
    assert status == 200 and "not set up for tickets yet" in json.loads(body)["text"]
    mention = {"type": "app_mention", "user": CUSTOMER, "channel": "C0GUESTS", "ts": "1700006000.000600"}
    assert bot.event({**mention, "text": f"<@{BOT_USER}> exports fail"})[0] == 200
    told = bot.slack.wait_for(lambda: ephemerals(bot.slack, CUSTOMER))[0]  # not silently ignored
    assert "not set up for tickets yet" in told["text"]
    bot.slack.add_message("C0GUESTS", "1700006000.000700", CUSTOMER, "Exports fail")
    item = {"type": "message", "channel": "C0GUESTS", "ts": "1700006000.000700"}
    assert bot.event({"type": "reaction_added", "user": CUSTOMER, "reaction": "ticket", "item": item})[0] == 200
    bot.slack.wait_for(lambda: len(ephemerals(bot.slack, CUSTOMER)) == 2)

    # Only staff may choose: a customer's (or guest's) click changes nothing.
    bot.click("channel_use_as_customer", user=CUSTOMER, channel="C0GUESTS", value="C0GUESTS")
    said = bot.slack.wait_for(lambda: bot.slack.responses)[-1]
    assert "Only the support team" in said["text"]
    assert channel_row(bot, "C0GUESTS")[0] == "pending"

    bot.click("channel_use_as_customer", user=STAFF, channel="C0GUESTS", value="C0GUESTS")
    welcome = bot.slack.wait_for(lambda: bot.slack.posts("C0GUESTS"))[0]
    assert buttons(welcome["blocks"]) == [("file_ticket_open", "open")]
    assert channel_row(bot, "C0GUESTS")[0] == "customer"
    done = bot.slack.wait_for(lambda: [r for r in bot.slack.responses if r.get("replace_original")])[0]
    assert "customer channel" in done["text"]

    bot.click("channel_use_as_customer", user=STAFF, channel="C0GUESTS", value="C0GUESTS")  # again: no 2nd welcome
    bot.slash("/ticket", user=STAFF, channel="C0GUESTS")
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    drained(bot)
    assert len(bot.slack.posts("C0GUESTS")) == 1
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0


def test_internal_ignore_keeps_the_bot_quiet_even_after_it_is_added_again(bot: BotUnderTest) -> None:
    bot.join_channel(INTERNAL, name="eng-random", ext_shared=False, inviter=STAFF)
    bot.slack.wait_for(lambda: ephemerals(bot.slack, STAFF))
    bot.click("channel_mark_internal", user=STAFF, channel=INTERNAL, value=INTERNAL)
    bot.slack.wait_for(lambda: [r for r in bot.slack.responses if "internal" in r.get("text", "")])
    assert channel_row(bot, INTERNAL)[0] == "internal"
    status, body, _ = bot.slash("/ticket", user=STAFF, channel=INTERNAL)
    assert "support channel" in json.loads(body)["text"]

    joined(bot, INTERNAL, event_id="EvRejoin")
    drained(bot)
    assert bot.slack.posts(INTERNAL) == [] and len(ephemerals(bot.slack)) == 1


def test_with_no_inviter_triage_is_asked_with_the_same_buttons(bot: BotUnderTest) -> None:
    bot.join_channel("C0NOBODY", name="partners", ext_shared=False)
    note = bot.slack.wait_for(lambda: triage_notes(bot.slack, "C0NOBODY"))[0]
    assert buttons(note["blocks"]) == [
        ("channel_use_as_customer", "C0NOBODY"),
        ("channel_mark_internal", "C0NOBODY"),
    ]
    assert ephemerals(bot.slack) == [] and bot.slack.posts("C0NOBODY") == []
    bot.click("channel_use_as_customer", user=STAFF, channel=TRIAGE, value="C0NOBODY")
    bot.slack.wait_for(lambda: bot.slack.posts("C0NOBODY"))
    assert channel_row(bot, "C0NOBODY")[0] == "customer"


def test_a_pending_channel_that_becomes_shared_is_a_customer_channel(bot: BotUnderTest) -> None:
    bot.join_channel("C0SOON", name="acme-soon", ext_shared=False, inviter=STAFF)
    bot.slack.wait_for(lambda: ephemerals(bot.slack, STAFF))
    event = {"type": "channel_shared", "connected_team_id": "T0CUSTOMER", "channel": "C0SOON", "event_ts": "1.2"}
    assert bot.event(event)[0] == 200
    bot.slack.wait_for(lambda: bot.slack.posts("C0SOON"))
    assert channel_row(bot, "C0SOON")[0] == "customer"
    unshared = {"type": "channel_unshared", "channel": "C0SOON", "is_ext_shared": False, "event_ts": "1.3"}
    assert bot.event(unshared)[0] == 200
    assert bot.sql("SELECT state, is_ext_shared FROM customer_channels WHERE channel_id = 'C0SOON'")[0][0] == (
        "customer"
    )


# --- channel life: archive, removal, deletion, rename, a new id ----------------------------------


def test_archiving_stops_sla_pages_tells_triage_once_and_unarchive_resumes(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_HIGH="3s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL, name="acme-support")
        t = filed(bot, severity="high", title="Exports are empty")
        archive = {"type": "channel_archive", "channel": CUSTOMER_CHANNEL, "user": CUSTOMER, "event_ts": "2.1"}
        assert bot.event(archive, event_id="EvArchive")[0] == 200
        assert bot.event(archive, event_id="EvArchive", retry_num=1)[0] == 200  # Slack's retry
        left = {"type": "member_left_channel", "user": BOT_USER, "channel": CUSTOMER_CHANNEL, "event_ts": "2.2"}
        assert bot.event(left)[0] == 200  # archiving also takes the bot out: still one note
        note = slack.wait_for(lambda: triage_notes(slack, "was archived"))[0]
        assert f"#{t['number']}" in note["text"] and "Exports are empty" in note["text"]
        drained(bot)
        assert not [j for j in bot.runtime.scheduler.jobs() if j.job_id.startswith("sla_")]
        time.sleep(3.5)  # past the 3 s target
        assert triage_notes(slack, "75%") == [] and triage_notes(slack, "overdue") == []
        assert len(triage_notes(slack, "was archived")) == 1
        assert bot.runtime.dispatcher.reconcile() == 0  # the leader's reconcile brings nothing back

        status, body, _ = bot.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL)
        assert "support channel" in json.loads(body)["text"]

        unarchive = {"type": "channel_unarchive", "channel": CUSTOMER_CHANNEL, "user": STAFF, "event_ts": "2.3"}
        assert bot.event(unarchive)[0] == 200
        drained(bot)
        assert triage_notes(slack, "overdue") == []  # unarchived, but the bot is not back in it yet
        bot.join_channel(CUSTOMER_CHANNEL, name="acme-support")  # someone adds the bot again
        slack.wait_for(lambda: triage_notes(slack, "overdue"), timeout=10)  # the timers are back
        assert len(triage_notes(slack, "overdue")) == 1


def test_unarchive_resumes_the_timers(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_HIGH="2s") as bot:
        bot.join_channel(CUSTOMER_CHANNEL, name="acme-support")
        filed(bot, severity="high")
        assert bot.event({"type": "channel_archive", "channel": CUSTOMER_CHANNEL, "event_ts": "2.4"})[0] == 200
        slack.wait_for(lambda: triage_notes(slack, "was archived"))
        assert bot.event({"type": "channel_unarchive", "channel": CUSTOMER_CHANNEL, "event_ts": "2.5"})[0] == 200
        slack.wait_for(lambda: triage_notes(slack, "overdue"), timeout=10)


def test_the_bot_removed_or_the_channel_deleted_tells_triage_once(bot: BotUnderTest, channel: str) -> None:
    filed(bot)
    removed = {"type": "channel_left", "channel": channel, "actor_id": STAFF, "event_ts": "3.1"}
    assert bot.event(removed)[0] == 200
    note = bot.slack.wait_for(lambda: triage_notes(bot.slack, "no longer has me"))[0]
    assert "#1" in note["text"]
    assert bot.event({"type": "channel_deleted", "channel": channel, "event_ts": "3.2"})[0] == 200
    drained(bot)
    assert len(triage_notes(bot.slack, "acme-support")) == 1
    assert channel_row(bot, channel)[:2] in (("customer", False), ("customer", 0))


def test_someone_else_leaving_changes_nothing(bot: BotUnderTest, channel: str) -> None:
    assert bot.event({"type": "member_left_channel", "user": CUSTOMER, "channel": channel})[0] == 200
    drained(bot)
    assert channel_row(bot, channel)[:3] in (("customer", True, False), ("customer", 1, 0))


def test_private_channel_events_are_handled_alike(bot: BotUnderTest) -> None:
    bot.join_channel("G0PRIV", name="acme-private")
    bot.slack.wait_for(lambda: bot.slack.posts("G0PRIV"))
    assert bot.event({"type": "group_rename", "channel": {"id": "G0PRIV", "name": "acme-vip"}})[0] == 200
    assert bot.event({"type": "group_archive", "channel": "G0PRIV", "event_ts": "4.1"})[0] == 200
    bot.slack.wait_for(lambda: triage_notes(bot.slack, "#acme-vip was archived"))
    assert bot.event({"type": "group_unarchive", "channel": "G0PRIV", "event_ts": "4.2"})[0] == 200
    assert channel_row(bot, "G0PRIV")[2] in (False, 0)


def test_rename_is_recorded(bot: BotUnderTest, channel: str) -> None:
    event = {"type": "channel_rename", "channel": {"id": channel, "name": "acme-posthog", "created": 1}}
    assert bot.event(event)[0] == 200
    assert channel_row(bot, channel)[3] == "acme-posthog"


def test_a_changed_channel_id_moves_tickets_and_onboarding(bot: BotUnderTest) -> None:
    bot.join_channel("G0OLD", name="acme")
    bot.slack.wait_for(lambda: bot.slack.posts("G0OLD"))
    t = filed(bot, channel="G0OLD")
    add_customer(bot, "G0OLD")
    event = {"type": "channel_id_changed", "old_channel_id": "G0OLD", "new_channel_id": "C0NEW", "event_ts": "5.1"}
    assert bot.event(event)[0] == 200
    assert [r[0] for r in bot.sql("SELECT channel_id FROM tickets")] == ["C0NEW"]
    assert [r[0] for r in bot.sql("SELECT channel_id FROM customer_channels")] == ["C0NEW"]
    assert [r[0] for r in bot.sql("SELECT channel_id FROM customers")] == ["C0NEW"]
    bot.thread_reply("C0NEW", t["card_ts"], STAFF, "Looking now")
    assert bot.sql("SELECT count(*) FROM ticket_messages")[0][0] == 1
    status, body, _ = bot.slash("/ticket", user=CUSTOMER, channel="C0NEW")
    assert status == 200 and body in (b"", b"{}"), body


# --- Slack failing in the middle of a request -----------------------------------------------------


def test_ticket_reaction_while_history_is_rate_limited_files_one_ticket_later(bot: BotUnderTest, channel: str) -> None:
    bot.slack.add_message(channel, "1700007000.000700", CUSTOMER, "Feature flags return 500\nsince the deploy")
    bot.slack.fail("conversations.history", status=429, retry_after=1, times=5)
    item = {"type": "message", "channel": channel, "ts": "1700007000.000700"}
    event = {"type": "reaction_added", "user": STAFF, "reaction": "ticket", "item": item}
    started = time.monotonic()
    status, _, headers = bot.event(event, event_id="EvTicket429")
    assert status == 200 and time.monotonic() - started < 1.5
    # Slack retries the event meanwhile (as if our answer were lost): still one ticket.
    assert bot.event(event, event_id="EvTicket429", retry_num=1)[0] == 200
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0  # not yet: history keeps answering 429
    rows = bot.slack.wait_for(lambda: bot.sql("SELECT title, source FROM tickets"), timeout=30)
    assert [tuple(r) for r in rows] == [("Feature flags return 500", "reaction")]
    assert bot.slack.count("conversations.history") >= 6  # the failures really reached the bot
    bot.slack.wait_for(lambda: triage_notes(bot.slack, "Feature flags"))
    drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1
    assert len([p for p in bot.slack.posts(channel) if "Ticket #1" in p["text"]]) == 1


def test_ticket_reaction_on_a_thread_reply_when_replies_fail_once(bot: BotUnderTest, channel: str) -> None:
    bot.slack.add_message(channel, "1700008000.000100", CUSTOMER, "Parent")
    bot.slack.add_message(channel, "1700008000.000200", CUSTOMER, "Heatmaps are blank", "1700008000.000100")
    bot.slack.fail("conversations.replies", status=503, times=1)
    item = {"type": "message", "channel": channel, "ts": "1700008000.000200"}
    assert bot.event({"type": "reaction_added", "user": STAFF, "reaction": "ticket", "item": item})[0] == 200
    rows = bot.slack.wait_for(lambda: bot.sql("SELECT title FROM tickets"), timeout=15)
    assert [r[0] for r in rows] == ["Heatmaps are blank"]


def test_joining_while_conversations_info_fails_registers_later_with_one_welcome(bot: BotUnderTest) -> None:
    bot.slack.add_channel("C0LATER", "acme-later", is_ext_shared=True)
    bot.slack.fail("conversations.info", status=500, times=3)
    started = time.monotonic()
    status, _, _ = joined(bot, "C0LATER", event_id="EvJoin500")
    assert status == 200 and time.monotonic() - started < 1.5
    assert joined(bot, "C0LATER", event_id="EvJoin500", retry_num=1)[0] == 200
    welcome = bot.slack.wait_for(lambda: bot.slack.posts("C0LATER"), timeout=20)
    assert channel_row(bot, "C0LATER")[0] == "customer"
    assert bot.slack.count("conversations.info") >= 4
    drained(bot)
    assert len(bot.slack.posts("C0LATER")) == len(welcome) == 1


def test_a_failing_member_count_still_answers_200(bot: BotUnderTest, channel: str) -> None:
    bot.slack.fail("conversations.members", status=500, times=5)
    add_customer(bot, channel)
    assert bot.event({"type": "member_joined_channel", "user": CUSTOMER, "channel": channel})[0] == 200


def test_a_rate_limited_form_is_answered_with_a_private_try_again(bot: BotUnderTest, channel: str) -> None:
    bot.slack.fail("views.open", status=429, retry_after=30, times=1)
    started = time.monotonic()
    status, body, _ = bot.slash("/ticket", user=CUSTOMER, channel=channel)
    assert status == 200 and body in (b"", b"{}") and time.monotonic() - started < 1.5
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "could not open the form" in answer["text"] and "try again" in answer["text"]
    assert answer.get("response_type", "ephemeral") == "ephemeral"
