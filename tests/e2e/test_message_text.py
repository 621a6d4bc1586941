"""Text that arrives in Slack's wire format becomes what the person wrote, and is escaped once on
the way out: 🎫, the Create-ticket shortcut, @-mentions and /ticket (issue 14, part 1)."""

from __future__ import annotations

import json
from typing import Any

from fakeslack import CUSTOMER, STAFF
from fakeslack.payloads import ticket_values
from tests.support import BotUnderTest

WIRE = (
    "Exports fail for A&amp;B when rows &lt;= 5, see <https://app.example.com/insights/abc|this insight> cc <@UCUST2>"
)
WRITTEN = "Exports fail for A&B when rows <= 5, see this insight (https://app.example.com/insights/abc) cc @UCUST2"
PINGS = ("<!here>", "<!channel>", "<!everyone>", "<!subteam^", "<@UCUST2>", "<#C1", "<https://app.example.com")


def react(bot: BotUnderTest, channel: str, text: str, ts: str = "1700001000.000100") -> None:
    bot.slack.add_message(channel, ts, CUSTOMER, text)
    item = {"type": "message", "channel": channel, "ts": ts}
    status, _, _ = bot.event({"type": "reaction_added", "user": STAFF, "reaction": "ticket", "item": item})
    assert status == 200
    bot.settle("intake")  # the outbox reads the message, then files the ticket


def card(bot: BotUnderTest, channel: str, number: int = 1) -> dict[str, Any]:
    return bot.slack.wait_for(lambda: [p for p in bot.slack.posts(channel) if f"Ticket #{number}" in p["text"]])[0]


def rendered(post: dict[str, Any]) -> str:
    return json.dumps({"text": post["text"], "blocks": post["blocks"]}, ensure_ascii=False)


def assert_escaped_once(post: dict[str, Any]) -> None:
    blob = rendered(post)
    assert "&amp;amp;" not in blob and "&amp;lt;" not in blob, blob
    for ping in PINGS:
        assert ping not in blob, (ping, blob)


def test_ticket_reaction_stores_what_the_person_wrote_and_the_card_escapes_it_once(
    bot: BotUnderTest, channel: str
) -> None:
    react(bot, channel, WIRE)
    assert [tuple(r) for r in bot.sql("SELECT title, description FROM tickets")] == [(WRITTEN, WRITTEN)]
    posted = card(bot, channel)
    assert_escaped_once(posted)
    blob = rendered(posted)
    assert "A&amp;B when rows &lt;= 5, see this insight (https://app.example.com/insights/abc) cc @UCUST2" in blob
    mirror = bot.slack.wait_for(lambda: bot.slack.posts("C0TRIAGE"))[0]
    assert "A&amp;B when rows &lt;= 5" in rendered(mirror) and "&amp;amp;" not in rendered(mirror)


def test_create_ticket_shortcut_prefills_what_the_person_wrote_at_medium(bot: BotUnderTest, channel: str) -> None:
    message = {"ts": "1700002000.000200", "text": WIRE, "user": CUSTOMER}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == WRITTEN
    assert blocks["description"]["element"]["initial_value"] == WRITTEN
    assert blocks["severity"]["element"]["initial_option"]["value"] == "medium"


def test_mentioning_the_bot_stores_what_the_person_wrote(bot: BotUnderTest, channel: str) -> None:
    event = {"type": "app_mention", "user": CUSTOMER, "channel": channel, "ts": "1700003000.000300"}
    bot.event({**event, "text": f"<@U0BOT> {WIRE}"})
    assert bot.sql("SELECT title, description FROM tickets")[0] == (WRITTEN, WRITTEN)
    assert_escaped_once(card(bot, channel))


def test_broadcasts_groups_and_channel_links_become_inert_text(bot: BotUnderTest, channel: str) -> None:
    react(bot, channel, "<!here> <!subteam^S1|@oncall> dashboards are down, see <#C1|general> &amp; <!channel>")
    assert bot.sql("SELECT title FROM tickets")[0][0] == "@here @oncall dashboards are down, see #general & @channel"
    posted = card(bot, channel)
    assert_escaped_once(posted)
    assert "&amp; @\u2060channel" in rendered(posted)  # the bare word is defused too


def test_ticket_reaction_on_a_message_of_only_zero_width_characters_gets_a_title(
    bot: BotUnderTest, channel: str
) -> None:
    react(bot, channel, "\u200b\u200d\u2060\ufeff \n\u200b")
    assert [tuple(r) for r in bot.sql("SELECT title, description FROM tickets")] == [("Ticket from a message", "")]
    assert len(card(bot, channel)["blocks"]) == 4  # no empty description section


def test_mention_with_only_zero_width_characters_asks_what_is_wrong(bot: BotUnderTest, channel: str) -> None:
    event = {"type": "app_mention", "user": CUSTOMER, "channel": channel, "ts": "1700003000.000301"}
    bot.event({**event, "text": "<@U0BOT> \u200b\u2060"})
    note = bot.slack.wait_for(lambda: bot.slack.calls_to("chat.postEphemeral"))[0]
    assert "Tell me what is wrong" in note.args["text"]
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0


def test_shortcut_on_a_blank_message_prefills_a_sensible_title(bot: BotUnderTest, channel: str) -> None:
    message = {"ts": "1700002000.000201", "text": "\u200b\u200b", "user": CUSTOMER}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == "Ticket from a message"
    assert "initial_value" not in blocks["description"]["element"]


def test_a_title_of_only_zero_width_characters_is_refused(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    status, body, _ = bot.submit_view(bot.opened_view(), ticket_values(title="\u200b\u2060\ufeff"), user=CUSTOMER)
    assert status == 200 and json.loads(body)["errors"]["title"]
    assert bot.sql("SELECT count(*) FROM tickets")[0][0] == 0


def test_mrkdwn_in_a_message_is_kept_as_written(bot: BotUnderTest, channel: str) -> None:
    react(bot, channel, "*Urgent*: exports `broken` &gt; _all_ users")
    assert bot.sql("SELECT title FROM tickets")[0][0] == "*Urgent*: exports `broken` > _all_ users"
    assert "exports `broken` &gt; _all_ users" in rendered(card(bot, channel))


def test_slash_command_text_is_decoded_for_the_form(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=CUSTOMER, channel=channel, text="Exports &amp; imports fail for rows &lt; 5")
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "Exports & imports fail for rows < 5"


def test_a_typed_title_is_plain_text_stored_as_typed_and_escaped_once(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    bot.submit_view(bot.opened_view(), ticket_values(title="A&B and &amp; too", description="x"), user=CUSTOMER)
    assert bot.sql("SELECT title FROM tickets")[0][0] == "A&B and &amp; too"
    assert "A&amp;B and &amp;amp; too" in rendered(card(bot, channel))


def test_create_ticket_shortcut_form_starts_at_medium_and_slash_command_form_asks(
    bot: BotUnderTest, channel: str
) -> None:
    message = {"ts": "1700002000.000202", "text": "Flags stopped evaluating", "user": CUSTOMER}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")
    assert severity["element"]["initial_option"]["value"] == "medium"
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open")[1:])[0].args["view"]
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")
    assert "initial_option" not in severity["element"]  # the customer picks the impact themselves


def test_a_labelled_mention_of_the_bot_is_not_part_of_the_title(bot: BotUnderTest, channel: str) -> None:
    event = {"type": "app_mention", "user": CUSTOMER, "channel": channel, "ts": "1700003000.000302"}
    bot.event({**event, "text": "<@U0BOT|support> replays are blank"})
    assert bot.sql("SELECT title FROM tickets")[0][0] == "replays are blank"
