"""An independent check of issue 14: more inputs of the same eight kinds, end to end (signed HTTP
against the running bot, the strict Slack stub, SQLite), none of them a repeat of the inputs in
test_message_text / test_slack_limits / test_ticket_conversation / test_who_is_staff /
test_message_subtypes / test_channels / test_malformed_requests.

Shapes: Slack's event reference, and public bug reports from people running Slack bots (an edited
message re-sends `app_mention` with `edited`: slack-go/slack#1256, bolt-js#960; `users.info`
answering `user_not_found` for Slack Connect users: slack-poker-planner#20).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from fakeslack import (
    BOT_USER,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    CUSTOMER_TEAM,
    HOST_TEAM,
    STAFF,
    STAFF_2,
    TRIAGE,
    Fault,
    SlackStub,
)
from fakeslack.messages import customer_message, new_ts, person_message, ticket_reaction
from fakeslack.payloads import ticket_values
from fakeslack.rules import message_errors
from tests.support import BotUnderTest, drained, filed, running_bot, ticket_from_message

# The bot mentions a ticket's reporter on purpose (`<@U0CUST>`); what must never appear is a live
# token the *text* carried: a broadcast, a group, another person, a disguised or typed link.
PINGS = ("<!here", "<!channel", "<!everyone", "<!subteam^", "<@U0STAFF", "<https://evil", "<mailto:", "<tel:")


def _rendered(post: dict[str, Any]) -> str:
    return json.dumps({"text": post.get("text"), "blocks": post.get("blocks")}, ensure_ascii=False)


def _card(bot: BotUnderTest, channel: str, number: int = 1) -> dict[str, Any]:
    return bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if f"Ticket #{number}" in p["text"]])[0]


def _mirror(bot: BotUnderTest, number: int = 1) -> dict[str, Any]:
    return bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if f"ticket #{number}" in p["text"]])[0]


def _react(bot: BotUnderTest, channel: str, text: str, reactor: str = STAFF) -> str:
    ts = new_ts(seconds_ago=30)
    bot.slack.add_message(channel, ts, CUSTOMER, text)
    assert bot.event(ticket_reaction(channel, ts, reactor))[0] == 200
    bot.settle("intake")
    return ts


def _raw_message(bot: BotUnderTest, channel: str, message: dict[str, Any]) -> None:
    with bot.slack._lock:
        bot.slack.messages.setdefault(channel, []).append({"channel": channel, "human": True, **message})


def _ephemerals(bot: BotUnderTest, user: str | None = None) -> list[dict[str, Any]]:
    return [c.args for c in bot.slack.calls_to("chat.postEphemeral") if user is None or c.args.get("user") == user]


def _refusals(bot: BotUnderTest) -> list[dict[str, Any]]:
    return [p for p in bot.slack.posts(TRIAGE) if "Slack refused" in p["text"]]


def _no_pings(post: dict[str, Any]) -> None:
    blob = _rendered(post)
    for ping in PINGS:
        assert ping not in blob, (ping, blob)
    assert "&amp;amp;" not in blob and "&amp;lt;" not in blob, blob


# == 1. Encoded text ===================================================================================


def test_mailto_and_tel_links_become_readable_and_never_live(bot: BotUnderTest, channel: str) -> None:
    wire = (
        "Call me at <tel:+15551234567|+1 (555) 123-4567> or mail "
        "<mailto:ops@acme.example|ops@acme.example> &amp; <mailto:cto@acme.example|our CTO>"
    )
    _react(bot, channel, wire)
    title = bot.sql("SELECT title FROM tickets")[0][0]
    assert title == (
        "Call me at +1 (555) 123-4567 (tel:+15551234567) or mail ops@acme.example & our CTO (cto@acme.example)"
    )
    _no_pings(_card(bot, channel))
    _no_pings(_mirror(bot))


def test_a_broadcast_the_person_typed_literally_is_stored_and_never_pings(bot: BotUnderTest, channel: str) -> None:
    """Someone types the characters `<!channel>` and `<@U0STAFF>`: Slack sends them entity-encoded.
    Decoded they look exactly like live tokens; every rendering must escape them again."""
    _react(bot, channel, "Why does &lt;!channel&gt; &lt;@U0STAFF&gt; &lt;https://evil.example|bank.example&gt; break?")
    assert bot.sql("SELECT title FROM tickets")[0][0] == (
        "Why does <!channel> <@U0STAFF> <https://evil.example|bank.example> break?"
    )
    for post in (_card(bot, channel), _mirror(bot)):
        blob = _rendered(post)
        assert "&lt;!channel&gt;" in blob, blob
        _no_pings(post)


def test_an_emoji_heavy_title_with_entities_fits_the_header_and_the_card_goes_out_whole(
    bot: BotUnderTest, channel: str
) -> None:
    first_line = "🚨🔥 " + "👩‍👩‍👧‍👦 &amp; 🇺🇸 &lt;x&gt; " * 30
    _react(bot, channel, first_line + "\nmore detail")
    card = _card(bot, channel)
    assert message_errors({"blocks": card["blocks"], "text": card["text"]}) is None
    assert "Full text in the thread" not in json.dumps(card["blocks"])  # not the reduced version
    assert _refusals(bot) == []


# == 2. A ticket's conversation =========================================================================


def test_a_staff_reply_in_a_mention_filed_tickets_thread_is_the_first_response(bot: BotUnderTest, channel: str) -> None:
    ts = new_ts(seconds_ago=30)
    mention = {**customer_message(channel, f"<@{BOT_USER}> session replays are blank", ts=ts), "type": "app_mention"}
    assert bot.event(mention)[0] == 200
    bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets"))
    reply = person_message(channel, STAFF, "Looking into it", thread_ts=ts)
    assert bot.event(reply)[0] == 200
    assert tuple(bot.sql("SELECT status, reply_count FROM tickets")[0]) == ("in_progress", 1)


def test_a_customer_reply_in_the_source_thread_after_resolve_reopens(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.click("ticket_resolve", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    assert bot.sql("SELECT status FROM tickets")[0][0] == "resolved"
    bot.event(customer_message(channel, "It is broken again", thread_ts=t["source_ts"]))
    card_thread = bot.sql("SELECT status FROM tickets")[0][0]
    # Whatever a reply in the card's thread does to a resolved ticket, one in the source thread does too.
    other = ticket_from_message(bot, channel, text="Second issue")
    bot.click("ticket_resolve", user=STAFF, channel=channel, message_ts=other["card_ts"], value=str(other["number"]))
    bot.event(customer_message(channel, "It is broken again", thread_ts=other["card_ts"]))
    assert bot.sql("SELECT status FROM tickets WHERE id = :n", n=other["number"])[0][0] == card_thread


def test_a_staff_thread_broadcast_in_the_source_thread_is_the_first_response(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    reply = person_message(
        channel, STAFF, "Fixed, see status page", thread_ts=t["source_ts"], subtype="thread_broadcast"
    )
    assert bot.event(reply)[0] == 200
    assert tuple(bot.sql("SELECT status, reply_count FROM tickets")[0]) == ("in_progress", 1)


# == 3. Who is staff ===================================================================================


def test_a_guest_check_mark_on_the_card_does_not_resolve(bot: BotUnderTest, channel: str) -> None:
    bot.slack.make_guest("U0GUEST2")
    t = ticket_from_message(bot, channel)
    event = ticket_reaction(channel, t["card_ts"], "U0GUEST2", reaction="white_check_mark", item_user=BOT_USER)
    assert bot.event(event)[0] == 200
    said = bot.slack.wait_for(lambda: _ephemerals(bot, "U0GUEST2"))[0]
    assert "Only the support team" in said["text"]
    assert bot.sql("SELECT status FROM tickets")[0][0] == "open"


def test_a_slack_connect_user_users_info_cannot_see_is_a_customer(bot: BotUnderTest, channel: str) -> None:
    """users.info answers `user_not_found` for a Slack Connect user, and the event names no team."""
    t = ticket_from_message(bot, channel)
    bot.click("ticket_waiting", user=STAFF, channel=channel, message_ts=t["card_ts"], value=str(t["number"]))
    reply = person_message(channel, "U0STRANGER", "Still failing", thread_ts=t["card_ts"])
    for key in ("team", "user_team", "source_team"):
        reply.pop(key)
    assert bot.event(reply)[0] == 200
    assert [tuple(r) for r in bot.sql("SELECT from_staff FROM ticket_messages")] in ([(False,)], [(0,)])
    assert bot.sql("SELECT status, first_response_at FROM tickets")[0] == ("in_progress", None)


def test_a_stranger_is_not_staff(bot: BotUnderTest, channel: str) -> None:
    """users.info for a user of an org not connected to us: `is_stranger`, their own team."""
    bot.slack.add_user("U0STRANGE", "T0OTHER", is_stranger=True)
    t = ticket_from_message(bot, channel)
    reply = person_message(channel, "U0STRANGE", "Any update?", thread_ts=t["card_ts"])
    for key in ("team", "user_team", "source_team"):
        reply.pop(key)
    bot.event(reply)
    assert bot.sql("SELECT first_response_at FROM tickets")[0][0] is None


@pytest.mark.xfail(
    strict=True,
    reason=(
        "services/filing.py file_from_form (and the 🎫/shortcut/mention paths) file the ticket "
        "even when Directory.identify answers unknown (users.info failed), so a staff member's "
        "ticket is stored reporter_is_staff=False; tickets.reporter_is_staff is a non-null Boolean "
        "with no 'unknown' and nothing re-decides it later (needs a nullable column + a re-check job)"
    ),
)
def test_a_staff_filing_while_users_info_fails_is_not_stored_as_a_customers(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=STAFF, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    bot.slack.fail("users.info", status=500, times=1)
    status, _, _ = bot.submit_view(bot.opened_view(), ticket_values(), user=STAFF)
    assert status == 200
    rows = bot.slack.wait_for(lambda: bot.sql("SELECT reporter_is_staff FROM tickets"))
    assert rows[0][0] in (True, 1, None)  # staff, or not yet known: never "customer"


def test_a_click_while_users_info_is_rate_limited_for_long_is_answered_within_3_seconds(
    bot: BotUnderTest, channel: str
) -> None:
    t = ticket_from_message(bot, channel)
    bot.slack.fail("users.info", status=429, retry_after=30, times=2)
    started = time.monotonic()
    status, _, _ = bot.click(
        "ticket_resolve", user=STAFF_2, channel=channel, message_ts=t["card_ts"], value=str(t["number"])
    )
    assert status == 200 and time.monotonic() - started < 3.0
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "couldn't check who you are" in answer["text"]
    assert bot.sql("SELECT status FROM tickets")[0][0] == "open"


# == 4. Channel life ===================================================================================


def test_a_changed_id_keeps_the_source_thread_and_onboarding(bot: BotUnderTest) -> None:
    from tests.support import add_customer

    bot.join_channel("G0OLD2", name="acme")
    bot.slack.wait_for(lambda: bot.slack.posts("G0OLD2"))
    t = ticket_from_message(bot, "G0OLD2")
    add_customer(bot, "G0OLD2")
    event = {"type": "channel_id_changed", "old_channel_id": "G0OLD2", "new_channel_id": "C0NEW2", "event_ts": "5.1"}
    assert bot.event(event)[0] == 200
    bot.slack.channels["C0NEW2"] = {**bot.slack.channels.pop("G0OLD2"), "id": "C0NEW2"}
    bot.event(person_message("C0NEW2", STAFF, "On it", thread_ts=t["source_ts"]))
    assert tuple(bot.sql("SELECT status, reply_count FROM tickets")[0]) == ("in_progress", 1)
    # a new 🎫 in the new id files a ticket
    t2 = ticket_from_message(bot, "C0NEW2", text="Another problem")
    assert t2["number"] == 2


def test_archive_of_a_channel_the_bot_never_knew_is_quiet(bot: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for event in (
            {"type": "channel_archive", "channel": "C0UNKNOWN", "user": STAFF, "event_ts": "6.1"},
            {"type": "channel_unarchive", "channel": "C0UNKNOWN", "user": STAFF, "event_ts": "6.2"},
            {"type": "channel_deleted", "channel": "C0UNKNOWN", "event_ts": "6.3"},
            {"type": "channel_rename", "channel": {"id": "C0UNKNOWN", "name": "x", "created": 1}},
            {"type": "channel_id_changed", "old_channel_id": "C0UNKNOWN", "new_channel_id": "C0X", "event_ts": "6"},
            {"type": "channel_shared", "connected_team_id": CUSTOMER_TEAM, "channel": "C0UNKNOWN", "event_ts": "6.4"},
        ):
            assert bot.event(event)[0] == 200
    drained(bot)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bot.slack.posts(TRIAGE) == [] and bot.slack.posts("C0UNKNOWN") == []


def test_the_triage_channel_shared_with_a_customer_is_still_not_a_customer_channel(bot: BotUnderTest) -> None:
    bot.slack.add_channel(TRIAGE, "support-triage", is_ext_shared=False)
    event = {"type": "member_joined_channel", "user": BOT_USER, "channel": TRIAGE, "channel_type": "C"}
    bot.event({**event, "team": HOST_TEAM, "event_ts": "7.1", "inviter": STAFF})
    drained(bot)
    shared = {"type": "channel_shared", "connected_team_id": CUSTOMER_TEAM, "channel": TRIAGE, "event_ts": "7.2"}
    assert bot.event(shared)[0] == 200
    drained(bot)
    assert not [p for p in bot.slack.posts(TRIAGE) if "welcome" in p["text"].lower()]
    assert bot.sql("SELECT count(*) FROM customer_channels WHERE active AND state = 'customer'")[0][0] == 0


# == 5. Slack errors mid-request ========================================================================


def test_ticket_reaction_on_a_reply_when_replies_times_out_files_one_ticket_later(
    bot: BotUnderTest, channel: str
) -> None:
    parent, reply_ts = new_ts(seconds_ago=90), new_ts(seconds_ago=60)
    bot.slack.add_message(channel, parent, CUSTOMER, "Parent")
    bot.slack.add_message(channel, reply_ts, CUSTOMER, "Funnels are empty", parent)
    with bot.slack._lock:
        bot.slack._faults.append(Fault("conversations.replies", 200, 1, delay=6.0))
    started = time.monotonic()
    assert bot.event(ticket_reaction(channel, reply_ts, STAFF))[0] == 200
    assert time.monotonic() - started < 3.0
    rows = bot.slack.wait_for(lambda: bot.sql("SELECT title FROM tickets"), timeout=40)
    assert [r[0] for r in rows] == ["Funnels are empty"]
    drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1


def test_the_shortcut_while_views_open_is_rate_limited_says_try_again(bot: BotUnderTest, channel: str) -> None:
    bot.slack.fail("views.open", status=429, retry_after=30, times=1)
    message = {"ts": new_ts(seconds_ago=10), "text": "Flags are stale", "user": CUSTOMER}
    started = time.monotonic()
    status, _, _ = bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    assert status == 200 and time.monotonic() - started < 3.0
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "try again" in answer["text"]


def test_a_form_whose_views_open_times_out_is_answered_within_3_seconds(bot: BotUnderTest, channel: str) -> None:
    with bot.slack._lock:
        bot.slack._faults.append(Fault("views.open", 200, 1, delay=8.0))
    started = time.monotonic()
    status, _, _ = bot.slash("/ticket", user=CUSTOMER, channel=channel)
    assert status == 200 and time.monotonic() - started < 3.0
    answer = bot.slack.wait_for(lambda: bot.slack.responses, timeout=15)[0]
    assert "try again" in answer["text"]


def test_permalink_failing_does_not_lose_the_ticket(bot: BotUnderTest, channel: str) -> None:
    bot.slack.fail("chat.getPermalink", status=429, retry_after=1, times=5)
    bot.slack.fail("chat.getPermalink", status=503, times=5)
    _react(bot, channel, "Surveys not showing")
    assert [r[0] for r in bot.sql("SELECT title FROM tickets")] == ["Surveys not showing"]
    _card(bot, channel)
    _mirror(bot)


# == 6. Messages not written by people ==================================================================


def test_an_edited_mention_resent_as_app_mention_files_no_second_ticket(bot: BotUnderTest, channel: str) -> None:
    ts = new_ts(seconds_ago=30)
    mention = {**customer_message(channel, f"<@{BOT_USER}> exports fail", ts=ts), "type": "app_mention"}
    bot.event(mention)
    bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets"))
    edited = {**mention, "text": f"<@{BOT_USER}> exports fail for EU", "edited": {"user": CUSTOMER, "ts": new_ts()}}
    assert bot.event(edited)[0] == 200
    changed = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "ts": new_ts(),
        "event_ts": new_ts(),
        "message": {**edited, "type": "message"},
        "previous_message": {**mention, "type": "message"},
        "channel_type": "channel",
    }
    assert bot.event(changed)[0] == 200
    drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1
    _card(bot, channel)
    assert len([p for p in bot.slack.posts(channel) if "Ticket #" in p["text"]]) == 1


def test_ticket_reaction_on_a_thread_broadcast_files_with_its_thread(bot: BotUnderTest, channel: str) -> None:
    parent, ts = new_ts(seconds_ago=90), new_ts(seconds_ago=60)
    bot.slack.add_message(channel, parent, CUSTOMER, "Weekly sync")
    _raw_message(
        bot,
        channel,
        {
            "type": "message",
            "subtype": "thread_broadcast",
            "ts": ts,
            "thread_ts": parent,
            "user": CUSTOMER,
            "text": "Cohorts stopped updating",
            "root": {"ts": parent, "text": "Weekly sync", "user": CUSTOMER},
        },
    )
    assert bot.event(ticket_reaction(channel, ts, STAFF))[0] == 200
    bot.settle("intake")
    assert [tuple(r) for r in bot.sql("SELECT title, source_ts, source_thread_ts FROM tickets")] == [
        ("Cohorts stopped updating", ts, parent)
    ]
    bot.event(person_message(channel, STAFF, "Looking", thread_ts=parent))
    assert bot.sql("SELECT status FROM tickets")[0][0] == "in_progress"


def test_ticket_reaction_on_a_file_only_message_takes_the_file_name(bot: BotUnderTest, channel: str) -> None:
    ts = new_ts(seconds_ago=30)
    _raw_message(
        bot,
        channel,
        {
            "type": "message",
            "subtype": "file_share",
            "ts": ts,
            "user": CUSTOMER,
            "text": "",
            "files": [{"id": "F1", "name": "crash-log.txt", "title": "crash-log.txt", "mimetype": "text/plain"}],
        },
    )
    assert bot.event(ticket_reaction(channel, ts, STAFF))[0] == 200
    bot.settle("intake")
    rows = bot.sql("SELECT title, reporter_id FROM tickets")
    assert [tuple(r) for r in rows] == [("File: crash-log.txt", CUSTOMER)]


def test_ticket_reaction_on_a_blocks_only_app_post_takes_the_block_text(bot: BotUnderTest, channel: str) -> None:
    """Many apps (PagerDuty, Datadog, GitHub) post blocks and an empty or generic `text`."""
    ts = new_ts(seconds_ago=30)
    _raw_message(
        bot,
        channel,
        {
            "type": "message",
            "subtype": "bot_message",
            "ts": ts,
            "bot_id": "B0PD",
            "text": "",
            "blocks": [
                {
                    "type": "section",
                    "block_id": "a",
                    "text": {"type": "mrkdwn", "text": "*Incident:* EU ingestion down"},
                }
            ],
        },
    )
    assert bot.event(ticket_reaction(channel, ts, STAFF, item_user=None))[0] == 200
    bot.settle("intake")
    rows = bot.sql("SELECT title, reporter_id FROM tickets")
    assert [tuple(r) for r in rows] == [("*Incident:* EU ingestion down", STAFF)]


def test_ticket_reaction_on_a_huddle_notice_is_not_silently_ignored(bot: BotUnderTest, channel: str) -> None:
    ts = new_ts(seconds_ago=30)
    _raw_message(
        bot,
        channel,
        {
            "type": "message",
            "subtype": "huddle_thread",
            "ts": ts,
            "user": CUSTOMER,
            "text": "",
            "room": {"id": "R1", "name": "", "created_by": CUSTOMER, "participants": [CUSTOMER, STAFF]},
            "no_notifications": True,
        },
    )
    assert bot.event(ticket_reaction(channel, ts, STAFF))[0] == 200
    bot.settle("intake")
    drained(bot)
    filed_one = bot.sql("SELECT count(*) FROM tickets")[0][0] == 1
    told = bool(_ephemerals(bot, STAFF))
    assert filed_one or told


# == 7. Block Kit limits after escaping ================================================================


def test_a_3000_character_description_full_of_angle_brackets_and_ampersands_goes_out_whole(
    bot: BotUnderTest, channel: str
) -> None:
    description = ("a<b & c>d " * 300)[:3000]
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    status, body, _ = bot.submit_view(
        bot.opened_view(), ticket_values(title="<&> " * 30, description=description), user=CUSTOMER
    )
    assert status == 200, body
    card = _card(bot, channel)
    mirror = _mirror(bot)
    assert _refusals(bot) == []
    for post in (card, mirror):
        assert message_errors({"blocks": post["blocks"], "text": post["text"]}) is None
        assert "Full text in the thread" not in json.dumps(post["blocks"])


def test_the_shortcut_on_a_very_long_message_opens_a_valid_form(bot: BotUnderTest, channel: str) -> None:
    text = "Export &amp; import &lt;fail&gt; 😀 " * 400  # ~14 000 characters, Slack allows 40 000
    message = {"ts": new_ts(seconds_ago=10), "text": text, "user": CUSTOMER}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    drained(bot)
    assert not bot.slack.responses  # no "could not open the form"
    view = bot.opened_view()
    status, body, _ = bot.submit_view(
        view,
        {
            "severity": {"severity": {"selected_option": {"value": "medium"}}},
            "title": {
                "title": {
                    "value": next(b for b in view["blocks"] if b.get("block_id") == "title")["element"]["initial_value"]
                }
            },
            "description": {
                "description": {
                    "value": next(b for b in view["blocks"] if b.get("block_id") == "description")["element"][
                        "initial_value"
                    ]
                }
            },
        },
        user=STAFF,
    )
    assert status == 200 and body in (b"", b"{}"), body
    _card(bot, channel)
    assert _refusals(bot) == []


def test_the_app_home_with_many_long_escaped_tickets_is_a_valid_view(bot: BotUnderTest, channel: str) -> None:
    for n in range(25):
        _react(bot, channel, f"{n} " + "&lt;&amp;&gt; 👩‍👩‍👧 " * 40)
    assert bot.event({"type": "app_home_opened", "user": STAFF, "tab": "home", "channel": "D0HOME"})[0] == 200
    publish = bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish"))[-1]
    from fakeslack.rules import view_errors

    assert view_errors(publish.args["view"]) == []


# == 8. The stub's strictness ==========================================================================


def test_the_stub_refuses_an_initial_value_longer_than_max_length() -> None:
    from fakeslack.rules import view_errors

    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "x"},
        "blocks": [
            {
                "type": "input",
                "block_id": "t",
                "label": {"type": "plain_text", "text": "t"},
                "element": {"type": "plain_text_input", "action_id": "t", "max_length": 10, "initial_value": "x" * 11},
            }
        ],
    }
    assert view_errors(view)


def test_the_stub_refuses_mrkdwn_in_a_header_and_a_button_url_over_3000() -> None:
    header = [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]
    assert message_errors({"blocks": header, "text": "x"})
    button = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "a",
                    "text": {"type": "plain_text", "text": "x"},
                    "url": "https://a/" + "x" * 3000,
                }
            ],
        }
    ]
    assert message_errors({"blocks": button, "text": "x"})


def test_the_stub_refuses_an_ephemeral_to_someone_not_in_the_channel(slack: SlackStub) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-x", base_url=slack.url)
    slack.add_channel("C0SMALL", "small")
    slack.members["C0SMALL"] = [STAFF]
    with pytest.raises(SlackApiError) as refused:
        client.chat_postEphemeral(channel="C0SMALL", user="U0NOTHERE", text="hi")
    assert refused.value.response["error"] == "user_not_in_channel"


def test_the_stub_refuses_chat_update_of_someone_elses_message(slack: SlackStub) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-x", base_url=slack.url)
    slack.add_message("C0ACME", "1700000000.000001", CUSTOMER, "a customer wrote this")
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="C0ACME", ts="1700000000.000001", text="edited by the bot")
    assert refused.value.response["error"] == "cant_update_message"


def _unused(*_: Any) -> None:  # keep imports honest for helpers used only in some runs
    _ = (CUSTOMER_CHANNEL, running_bot, filed)


# == more inputs, second pass ==========================================================================


def test_a_click_while_users_info_times_out_is_answered_within_3_seconds(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    bot.slack.fail_user(STAFF_2, "timeout", times=2, delay=12.0)
    started = time.monotonic()
    status, _, _ = bot.click(
        "ticket_resolve", user=STAFF_2, channel=channel, message_ts=t["card_ts"], value=str(t["number"])
    )
    assert status == 200 and time.monotonic() - started < 3.0
    answer = bot.slack.wait_for(lambda: bot.slack.responses)[0]
    assert "couldn't check who you are" in answer["text"]
    assert bot.sql("SELECT status FROM tickets")[0][0] != "resolved"


def test_a_staff_submission_while_users_info_is_rate_limited_for_long_is_acked_in_time(
    bot: BotUnderTest, channel: str
) -> None:
    bot.slash("/ticket", user=STAFF_2, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    bot.slack.fail("users.info", status=429, retry_after=30, times=2)
    started = time.monotonic()
    status, _, _ = bot.submit_view(bot.opened_view(), ticket_values(), user=STAFF_2)
    assert status == 200 and time.monotonic() - started < 3.0
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1


def test_a_message_edited_to_add_a_mention_files_one_ticket(bot: BotUnderTest, channel: str) -> None:
    """The person forgot to mention the bot, then edited it in: Slack sends app_mention with `edited`."""
    ts = new_ts(seconds_ago=60)
    plain = customer_message(channel, "heatmaps are blank", ts=ts)
    bot.event(plain)
    edited = {
        **plain,
        "type": "app_mention",
        "text": f"heatmaps are blank <@{BOT_USER}>",
        "edited": {"user": CUSTOMER, "ts": new_ts()},
    }
    assert bot.event(edited)[0] == 200
    assert bot.event({**edited, "edited": {"user": CUSTOMER, "ts": new_ts()}})[0] == 200  # edited again
    bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets"))
    drained(bot)
    assert [r[0] for r in bot.sql("SELECT title FROM tickets")] == ["heatmaps are blank"]


def test_ticket_reaction_on_a_39000_character_message_of_entities_goes_out_whole(
    bot: BotUnderTest, channel: str
) -> None:
    _react(bot, channel, "Export &amp; import &lt;fail&gt; 🇺🇸 " * 1200)
    for post in (_card(bot, channel), _mirror(bot)):
        assert message_errors({"blocks": post["blocks"], "text": post["text"]}) is None
        assert "Full text in the thread" not in json.dumps(post["blocks"])
    assert _refusals(bot) == []


def test_the_bot_removed_from_a_pending_channel_tells_triage_nothing_about_tickets(bot: BotUnderTest) -> None:
    bot.join_channel("C0PEND", name="maybe-customer", ext_shared=False, inviter=STAFF)
    bot.slack.wait_for(lambda: _ephemerals(bot, STAFF))
    left = {"type": "channel_left", "channel": "C0PEND", "actor_id": STAFF, "event_ts": "8.1"}
    assert bot.event(left)[0] == 200
    drained(bot)
    assert not [p for p in bot.slack.posts(TRIAGE) if "no longer has me" in p["text"] or "open" in p["text"]]


def test_after_an_id_change_card_updates_and_pages_go_to_the_new_id(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_HIGH="4s") as bot:
        bot.join_channel("G0MOVE", name="acme-move")
        slack.wait_for(lambda: slack.posts("G0MOVE"))
        t = filed(bot, channel="G0MOVE", severity="high")
        event = {"type": "channel_id_changed", "old_channel_id": "G0MOVE", "new_channel_id": "C0MOVED", "event_ts": "9"}
        assert bot.event(event)[0] == 200
        with slack._lock:  # Slack moved the channel, its messages with it
            slack.channels["C0MOVED"] = {**slack.channels.pop("G0MOVE"), "id": "C0MOVED"}
            slack.messages["C0MOVED"] = [{**m, "channel": "C0MOVED"} for m in slack.messages.pop("G0MOVE")]
            slack.channel_errors["G0MOVE"] = "channel_not_found"
        bot.click("ticket_take", user=STAFF, channel=TRIAGE, message_ts=t["triage_ts"], value=str(t["number"]))
        slack.wait_for(lambda: [c for c in slack.calls_to("chat.update") if c.args.get("channel") == "C0MOVED"])
        assert not [c for c in slack.calls_to("chat.update") if c.args.get("channel") == "G0MOVE"]
        overdue = slack.wait_for(lambda: [p for p in slack.posts(TRIAGE) if "overdue" in p["text"]], timeout=10)
        assert "G0MOVE" not in _rendered(overdue[0])
        assert _refusals(bot) == []


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived"])
def test_a_triage_channel_the_bot_cannot_post_in_does_not_loop_or_lose_tickets(
    bot: BotUnderTest, channel: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    """README step 4 not done yet (the bot was never invited to triage), or triage archived: every
    triage post is refused for good. A note about a refused post cannot go to triage either."""
    bot.slack.channel_errors[TRIAGE] = error
    caplog.clear()
    with caplog.at_level(logging.INFO):
        _react(bot, channel, "Exports fail")
        _card(bot, channel)
        time.sleep(3.0)
        first = bot.slack.count("chat.postMessage")
        time.sleep(3.0)
    assert bot.slack.count("chat.postMessage") == first  # nothing keeps trying
    triage_calls = [c for c in bot.slack.calls_to("chat.postMessage") if c.args.get("channel") == TRIAGE]
    assert len(triage_calls) <= 6, len(triage_calls)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 1


def test_the_shortcut_on_an_alert_bots_attachment_post_prefills_from_the_attachment(
    bot: BotUnderTest, channel: str
) -> None:
    message = {
        "type": "message",
        "subtype": "bot_message",
        "ts": new_ts(seconds_ago=20),
        "text": "",
        "bot_id": "B0ALERTS",
        "username": "alerts",
        "attachments": [{"fallback": "CRITICAL: lag", "title": "Ingestion lag 45 min &amp; rising", "text": "eu-1"}],
    }
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"].get("initial_value") == "Ingestion lag 45 min & rising"


def test_the_shortcut_on_a_ticket_card_or_our_own_post_is_refused_privately(bot: BotUnderTest, channel: str) -> None:
    t = ticket_from_message(bot, channel)
    card = next(p for p in bot.slack.posts(channel) if p["ts"] == t["card_ts"])
    welcome = bot.slack.posts(channel)[0]
    for post in (card, welcome):
        message = {"type": "message", "ts": post["ts"], "text": post["text"], "user": BOT_USER, "bot_id": "B0BOT"}
        assert bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)[0] == 200
    said = bot.slack.wait_for(lambda: len(bot.slack.responses) >= 2 and bot.slack.responses)
    assert any(f"ticket #{t['number']}" in r["text"] for r in said), said
    assert bot.slack.calls_to("views.open") == []


def test_an_app_mentioning_the_bot_files_no_ticket_without_a_reporter(
    bot: BotUnderTest, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An alerting app that @-mentions the bot: no person asked, and a ticket must never have an
    empty reporter."""
    ts = new_ts(seconds_ago=5)
    event = {
        "type": "app_mention",
        "subtype": "bot_message",
        "bot_id": "B0ALERTS",
        "text": f"<@{BOT_USER}> CRITICAL ingestion lag",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert bot.event(event)[0] == 200
        drained(bot)
    assert bot.sql("SELECT count(*) FROM tickets WHERE reporter_id = '' OR reporter_id IS NULL")[0][0] == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_message_that_opens_with_a_code_fence_is_titled_from_its_words(bot: BotUnderTest, channel: str) -> None:
    _react(bot, channel, "```\nTypeError: cannot read properties of undefined\n    at capture (posthog.js:1)\n```")
    assert bot.sql("SELECT title FROM tickets")[0][0] == "TypeError: cannot read properties of undefined"


def test_a_guests_app_home_shows_no_other_customers_tickets(bot: BotUnderTest, channel: str) -> None:
    """Guests of our workspace look up with OUR team id. The customer App Home lists "the open tickets
    of the reporter's team": for a guest that is every ticket staff (or any other guest) filed."""
    bot.join_channel("C0GLOBEX", name="globex-support")
    bot.slack.wait_for(lambda: bot.slack.posts("C0GLOBEX"))
    bot.slash("/ticket", user=STAFF, channel="C0GLOBEX")
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    bot.submit_view(bot.opened_view(), ticket_values(title="Globex payroll export leaks salaries"), user=STAFF)
    bot.slack.wait_for(lambda: bot.sql("SELECT id FROM tickets"))
    bot.slack.make_guest("U0GUESTA")
    assert bot.event({"type": "app_home_opened", "user": "U0GUESTA", "tab": "home", "channel": "D0GA"})[0] == 200
    publish = bot.slack.wait_for(lambda: bot.slack.calls_to("views.publish"))[-1]
    assert "Globex payroll" not in json.dumps(publish.args["view"])
