"""Slack's limits apply after escaping, and a post Slack refuses is never a silent loss (issue 14, part 7)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from fakeslack import STAFF
from tests.support import BotUnderTest, checklist_message, drained, start_onboarding
from tickets.slack_text import slack_length

# A 2,000-character payment link with 185 `&` (issue 14): 2,740 characters once escaped for mrkdwn.
LONG_LINK = "https://buy.stripe.com/" + "p" * 1236 + "?" + "a=1&" * 185
assert len(LONG_LINK) == 2000 and LONG_LINK.count("&") == 185

# Block Kit limits as Slack counts them (UTF-16 units), on what is sent, i.e. after escaping.
LIMITS = {"section": 3000, "field": 2000, "context": 2000, "button": 75, "url": 3000, "header": 150}


def assert_slack_accepts(blocks: list[dict[str, Any]], max_blocks: int = 50) -> None:
    """What Slack checks that a lenient stub may not: slack_sdk's validation plus the lengths."""
    assert len(blocks) <= max_blocks
    for block in blocks:
        Block.parse(block).validate_json()
        if block["type"] == "section":
            if "text" in block:
                assert slack_length(block["text"]["text"]) <= LIMITS["section"], block
            for field in block.get("fields", []):
                assert slack_length(field["text"]) <= LIMITS["field"], field
        if block["type"] == "header":
            assert slack_length(block["text"]["text"]) <= LIMITS["header"]
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            for element in block["elements"]:
                assert slack_length(element.get("text", "")) <= LIMITS["context"]
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["type"] == "button":
                assert slack_length(element["text"]["text"]) <= LIMITS["button"]
                assert slack_length(element.get("url", "")) <= LIMITS["url"]


def attach_payment_link(bot: BotUnderTest, channel: str, message: dict[str, Any], link: str) -> None:
    opened = len(bot.slack.calls_to("views.open"))
    bot.click("onboarding_payment_link_open", user=STAFF, channel=channel, message_ts=message["ts"], value="7")
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    values = {"payment_link": {"payment_link": {"type": "url_text_input", "value": link}}}
    status, body, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    assert status == 200 and body in (b"", b"{}"), body


def checklist_updates(bot: BotUnderTest) -> list[dict[str, Any]]:
    return [c.args for c in bot.slack.calls_to("chat.update") if "of 5" in json.dumps(c.args.get("blocks"))]


def test_a_long_payment_link_full_of_ampersands_keeps_the_checklist_within_slacks_limits(
    bot: BotUnderTest, channel: str
) -> None:
    message = start_onboarding(bot)
    assert_slack_accepts(message["blocks"])
    attach_payment_link(bot, channel, message, LONG_LINK)
    update = bot.slack.wait_for(lambda: [u for u in checklist_updates(bot) if "buy.stripe.com" in json.dumps(u)])[-1]
    assert_slack_accepts(update["blocks"])
    buttons = [e for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["url"] for b in buttons if b.get("url")] == [LONG_LINK]  # the whole link, one click away

    # Later updates keep working: step 7 marked done re-renders the same link.
    before = len(checklist_updates(bot))
    bot.click("onboarding_step_done", user=STAFF, channel=channel, message_ts=message["ts"], value="7")
    later = bot.slack.wait_for(lambda: checklist_updates(bot)[before:])[-1]
    assert_slack_accepts(later["blocks"])
    assert "1 of 5 done" in later["text"]
    assert bot.sql("SELECT count(*) FROM outbox WHERE state = 'failed'")[0][0] == 0
    assert checklist_message(bot)["ts"] == message["ts"]


# -- the builders, directly ----------------------------------------------------------------------
def _ticket(title: str = "Exports fail", description: str = "") -> Any:
    from datetime import UTC, datetime

    from tickets.model import TicketInfo
    from tickets.rules import Status
    from tickets.severity import Severity

    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    return TicketInfo(1, "C0ACME", Severity.HIGH, title, description, "U0CUST", Status.OPEN, None, at, None)


def test_a_description_of_ampersands_is_cut_after_escaping_never_inside_an_entity() -> None:
    from ui.blocks import build_ticket_card

    _, blocks = build_ticket_card(_ticket(description="&" * 3000))
    assert_slack_accepts(blocks)
    description = blocks[2]["text"]["text"]
    assert description.endswith("&amp;…") and slack_length(description) <= 2900


def test_emoji_and_zwj_sequences_count_double_and_are_not_split() -> None:
    from ui.blocks import build_ticket_card

    family = "👩\u200d👩\u200d👧"
    _, blocks = build_ticket_card(_ticket(title="🔥" * 150, description=family * 400))
    assert_slack_accepts(blocks)
    description = blocks[2]["text"]["text"]
    assert description.removesuffix("…").endswith(family)


def test_a_rating_comment_of_ampersands_fits_its_context_element() -> None:
    from ui.blocks import build_triage_mirror

    _, blocks = build_triage_mirror(_ticket(), None, rating=("not_helpful", "&" * 2000))
    assert_slack_accepts(blocks)


def test_a_payment_link_that_fits_stays_in_the_step_text_and_a_long_one_gets_a_link_button() -> None:
    from datetime import UTC, datetime

    from onboarding.checklist import Checklist, StepRecord
    from ui.onboarding import build_checklist

    at = datetime(2026, 1, 5, tzinfo=UTC)
    short = "https://buy.stripe.com/x?a=1&b=2"
    _, blocks = build_checklist("Acme", Checklist({7: StepRecord(link=short)}), at)
    assert_slack_accepts(blocks)
    assert "<https://buy.stripe.com/x?a=1&amp;b=2|Payment link>" in json.dumps(blocks)
    assert "onboarding_payment_link_visit" not in json.dumps(blocks)
    _, blocks = build_checklist("Acme", Checklist({7: StepRecord(link=LONG_LINK)}), at)
    assert_slack_accepts(blocks)
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("url")]
    assert button["url"] == LONG_LINK and button["action_id"] == "onboarding_payment_link_visit"


# -- a post Slack refuses is never a silent loss -------------------------------------------------
def test_a_card_slack_refuses_as_invalid_goes_out_reduced_and_triage_is_told(bot: BotUnderTest, channel: str) -> None:
    from fakeslack import TRIAGE
    from tests.support import file_ticket

    bot.slack.fail("chat.postMessage", status=200, error="invalid_blocks", channel=channel)
    file_ticket(bot, title="A&B exports fail")
    card = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if "Ticket #1" in p["text"]])[0]
    assert "Full text in the thread" in json.dumps(card["blocks"]) and "A&amp;B exports fail" in card["text"]
    assert_slack_accepts(card["blocks"])
    # The reduced card is the ticket's thread: the acknowledgement follows in it.
    bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if p.get("thread_ts") == card["ts"]])
    note = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if "Slack refused" in p["text"]])[0]
    assert "the ticket card for ticket #1" in note["text"] and "`invalid_blocks`" in note["text"]
    assert "shortened version was posted" in note["text"]
    mirror_ts = bot.sql("SELECT triage_ts FROM tickets")[0][0]
    assert note.get("thread_ts") == mirror_ts  # in the triage card's thread
    assert bot.sql("SELECT state FROM outbox WHERE dedupe_key = 'ticket_card:1'")[0][0] == "sent"


def test_a_post_refused_twice_is_reported_to_triage_as_not_posted(bot: BotUnderTest, channel: str) -> None:
    from fakeslack import TRIAGE

    bot.slack.fail("chat.postMessage", status=200, error="msg_too_long", channel=channel, times=2)
    bot.slack.add_message(channel, "1700001000.000100", "U0CUST", "Exports fail")
    item = {"type": "message", "channel": channel, "ts": "1700001000.000100"}
    bot.event({"type": "reaction_added", "user": STAFF, "reaction": "ticket", "item": item})
    note = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if "Slack refused" in p["text"]])[0]
    assert "`msg_too_long, then msg_too_long for the reduced version`" in note["text"]
    assert "Nothing was posted" in note["text"]
    mirror = bot.slack.wait_for(lambda: [p for p in bot.slack.posts(TRIAGE) if "Medium ticket #1" in p["text"]])[0]
    bot.slack.wait_for(lambda: bot.sql("SELECT state FROM outbox WHERE kind = 'mirror_update'") == [("sent",)])
    assert "could not be posted" in json.dumps(mirror["blocks"])  # the card never went out, even after updates


def test_a_card_update_refused_for_a_channel_reason_shows_on_the_triage_card(bot: BotUnderTest, channel: str) -> None:
    from fakeslack import TRIAGE
    from tests.support import filed

    t = filed(bot)
    bot.slack.fail("chat.update", status=200, error="is_archived", channel=channel, times=5)
    bot.click("ticket_take", user=STAFF, channel=TRIAGE, message_ts=t["triage_ts"], value=str(t["number"]))

    def warned() -> list[dict[str, Any]]:
        return [
            c.args
            for c in bot.slack.calls_to("chat.update")
            if c.args["ts"] == t["triage_ts"] and "Slack refused" in json.dumps(c.args["blocks"])
        ]

    update = bot.slack.wait_for(warned)[-1]
    blob = json.dumps(update["blocks"])
    assert "an update of the ticket card" in blob and "`is_archived`" in blob and "In progress" in blob
    assert_slack_accepts(update["blocks"])
    assert not [p for p in bot.slack.posts(TRIAGE) if "Slack refused" in p["text"]]  # the card says it, once


def test_a_reduced_post_keeps_where_it_goes_and_cuts_the_text() -> None:
    from ui.blocks import build_reduced_post

    args = {"channel": "C1", "thread_ts": "1.2", "metadata": {"m": 1}, "text": "&amp;" * 1000, "blocks": [{}]}
    reduced = build_reduced_post(args)
    assert reduced is not None
    assert {k: reduced[k] for k in ("channel", "thread_ts", "metadata")} == {
        "channel": "C1",
        "thread_ts": "1.2",
        "metadata": {"m": 1},
    }
    assert_slack_accepts(reduced["blocks"])
    assert reduced["text"].endswith("&amp;…") and "Full text in the thread" in json.dumps(reduced["blocks"])
    assert build_reduced_post({"channel": "C1", "text": "short, and no blocks"}) is None  # nothing smaller to send


def test_the_refusal_note_says_what_where_why_and_what_was_done() -> None:
    from ui.blocks import build_refusal_note

    note = build_refusal_note("checklist_update", "C0ACME", "invalid_blocks", reduced=True, ticket_number=None)
    assert note.startswith(":warning: Slack refused an update of the onboarding checklist in <#C0ACME>")
    assert "`invalid_blocks`" in note and "shortened version" in note
    note = build_refusal_note("message", "U0STAFF", "<!here>", reduced=False, ticket_number=3)
    assert "for ticket #3" in note and "<#U0STAFF>" not in note and "<!here>" not in note


def test_a_welcome_refused_because_the_channel_is_archived_is_told_to_triage_once(
    bot: BotUnderTest, slack: Any
) -> None:
    from fakeslack import TRIAGE

    slack.fail("chat.postMessage", status=200, error="is_archived", channel="C0GONE", times=10)
    bot.join_channel("C0GONE", name="gone")
    note = slack.wait_for(lambda: [p for p in slack.posts(TRIAGE) if "Slack refused" in p["text"]])[0]
    assert "the welcome message in <#C0GONE> (`is_archived`)" in note["text"]


def test_a_private_note_refused_for_a_person_is_not_a_triage_note(bot: BotUnderTest, channel: str) -> None:

    from fakeslack import TRIAGE

    bot.slack.fail("chat.postEphemeral", status=200, error="user_not_in_channel")
    event = {"type": "app_mention", "user": "U0CUST", "channel": channel, "ts": "1700003000.000303", "text": "<@U0BOT>"}
    bot.event(event)
    bot.slack.wait_for(lambda: bot.sql("SELECT state FROM outbox WHERE kind = 'ephemeral'") == [("failed",)])
    drained(bot)
    assert not [p for p in bot.slack.posts(TRIAGE) if "Slack refused" in p["text"]]
