"""Intake modes (issue 16): per customer channel, `all` tracks every customer message, `ask` asks
its author privately "Track this as a ticket?", `explicit` leaves it to /ticket and the rest. Staff
see and change a channel's mode with `/ticket intake [all|ask|explicit]`."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from fakeslack import CUSTOMER, STAFF, STAFF_2
from fakeslack.messages import customer_message, person_message
from fakeslack.payloads import ticket_values
from store.models import IntakeAsk
from tests.support import BotUnderTest, drained, file_ticket

ASK = "intake_ask_open_ticket"
NO_THANKS = "intake_ask_no_thanks"


def _mode(bot: BotUnderTest, channel: str) -> str | None:
    return bot.sql("SELECT intake_mode FROM customer_channels WHERE channel_id = :c", c=channel)[0][0]


def _answers(bot: BotUnderTest) -> list[str]:
    """What reached the person privately through response_url (a slash command's answer)."""
    return [r.get("text") or "" for r in bot.slack.responses]


def _intake(bot: BotUnderTest, channel: str, text: str, user: str = STAFF) -> str:
    """`user` runs `/ticket <text>` in `channel`; returns the private answer."""
    before = len(bot.slack.responses)
    status, _, _ = bot.slash("/ticket", user=user, channel=channel, text=text)
    assert status == 200
    bot.slack.wait_for(lambda: len(bot.slack.responses) > before)
    return _answers(bot)[-1]


def _asks(bot: BotUnderTest, user: str = CUSTOMER) -> list[dict[str, Any]]:
    """The ephemerals with ask mode's buttons that reached `user`."""
    found = []
    for call in bot.slack.calls_to("chat.postEphemeral"):
        blocks = call.args.get("blocks") or []
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        if call.args.get("user") == user and any(b.get("block_id") == "intake_ask" for b in blocks):
            found.append({**call.args, "blocks": blocks})
    return found


def _button(ask: dict[str, Any], action_id: str) -> dict[str, Any]:
    elements = [e for b in ask["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return next(e for e in elements if e["action_id"] == action_id)


def _tickets(bot: BotUnderTest) -> list[tuple]:
    return [tuple(r) for r in bot.sql("SELECT source, source_ts, submission_key, severity, title FROM tickets")]


# -- the staff control ------------------------------------------------------------------------------
def test_staff_see_the_channels_intake_mode_and_the_three_choices(bot: BotUnderTest, channel: str) -> None:
    answer = _intake(bot, channel, "intake")
    assert "*all* (the default)" in answer
    for mode in ("all", "ask", "explicit"):
        assert f"`/ticket intake {mode}`" in answer
    assert bot.slack.calls_to("views.open") == [] and _mode(bot, channel) is None


def test_staff_set_the_channels_intake_mode(bot: BotUnderTest, channel: str) -> None:
    answer = _intake(bot, channel, "intake ASK")
    assert _mode(bot, channel) == "ask"
    assert f"<@{STAFF}> set intake in <#{channel}> to *ask*" in answer
    assert "*ask*:" in _intake(bot, channel, "intake", user=STAFF_2)  # no longer "the default"
    assert "(the default)" not in _answers(bot)[-1]
    assert bot.slack.calls_to("views.open") == []


def test_a_word_that_is_not_a_mode_changes_nothing(bot: BotUnderTest, channel: str) -> None:
    answer = _intake(bot, channel, "intake sometimes")
    assert "not an intake mode" in answer and _mode(bot, channel) is None


def test_a_customer_typing_ticket_intake_files_a_ticket_titled_so(bot: BotUnderTest, channel: str) -> None:
    """For a customer "intake ask" is just words: they get the ticket form with them as its title,
    not a refusal that mentions a staff control, and the mode does not change."""
    bot.slash("/ticket", user=CUSTOMER, channel=channel, text="intake ask")
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")["element"]
    assert title["initial_value"] == "intake ask"
    drained(bot)
    assert _mode(bot, channel) is None and bot.slack.responses == []


def test_longer_text_starting_with_intake_is_a_ticket_title_for_staff_too(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=STAFF, channel=channel, text="intake form rejects emails")
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    assert next(b for b in view["blocks"] if b.get("block_id") == "title")["element"]["initial_value"] == (
        "intake form rejects emails"
    )


# -- explicit -----------------------------------------------------------------------------------------
def test_explicit_a_plain_message_creates_nothing_and_ticket_still_works(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake explicit")
    said = customer_message(channel, "The EU export job fails since 9am")
    assert bot.event(said)[0] == 200
    drained(bot)
    assert _tickets(bot) == [] and bot.sql("SELECT * FROM intake_asks") == []
    assert (channel, said["ts"]) not in bot.slack.reactions and _asks(bot) == []
    file_ticket(bot, title="Exports fail")
    assert [t[0] for t in _tickets(bot)] == ["command"]


# -- all ------------------------------------------------------------------------------------------------
def test_switching_a_channel_from_all_to_explicit_stops_conversations(bot: BotUnderTest, channel: str) -> None:
    bot.event(customer_message(channel, "Feature flags do not evaluate"))
    assert [t[0] for t in _tickets(bot)] == ["message"]
    _intake(bot, channel, "intake explicit")
    bot.event(customer_message(channel, "And now the toolbar is gone too"))
    drained(bot)
    assert [t[0] for t in _tickets(bot)] == ["message"]


# -- ask ------------------------------------------------------------------------------------------------
def test_ask_the_author_is_asked_privately_once_per_cooldown(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake ask")
    said = customer_message(channel, "Heatmaps stopped loading\nOn every page since the deploy")
    assert bot.event(said)[0] == 200
    [ask] = bot.slack.wait_for(lambda: _asks(bot))
    assert ask["channel"] == channel and "thread_ts" not in ask
    assert "Track this as a ticket?" in ask["text"]
    assert [e["text"]["text"] for e in ask["blocks"][1]["elements"]] == ["Open ticket", "No thanks"]
    assert _tickets(bot) == []  # nothing is tracked until they say so
    assert (channel, said["ts"]) not in bot.slack.reactions
    # Within the cooldown: not asked again; nor for a pleasantry, nor is staff ever asked.
    bot.event(customer_message(channel, "Also the toolbar shows no data"))
    bot.event(customer_message(channel, "thanks!"))
    bot.event(person_message(channel, STAFF, "We are looking at heatmaps"))
    drained(bot)
    assert len(_asks(bot)) == 1 and _asks(bot, STAFF) == [] and _tickets(bot) == []
    assert [tuple(r)[:2] for r in bot.sql("SELECT channel_id, user_id FROM intake_asks")] == [(channel, CUSTOMER)]


def test_ask_after_the_cooldown_they_are_asked_again(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake ask")
    bot.event(customer_message(channel, "Heatmaps stopped loading"))
    bot.slack.wait_for(lambda: _asks(bot))
    with bot.runtime.db.transaction() as session:  # an hour and a bit later (SUPPORT_ASK_COOLDOWN: 1h)
        session.execute(update(IntakeAsk).values(asked_at=datetime.now(UTC) - timedelta(minutes=61)))
    bot.event(customer_message(channel, "Now replays are blank too"))
    bot.slack.wait_for(lambda: len(_asks(bot)) == 2)


def test_ask_two_messages_at_once_ask_once(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake ask")
    said = [customer_message(channel, f"Problem number {n} with the export") for n in range(4)]
    threads = [threading.Thread(target=bot.event, args=(m,)) for m in said]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drained(bot)
    assert len(_asks(bot)) == 1


def test_ask_open_ticket_opens_the_form_filled_in_and_files_a_ticket_linked_to_the_message(
    bot: BotUnderTest, channel: str
) -> None:
    _intake(bot, channel, "intake ask")
    said = customer_message(channel, "Heatmaps stopped loading &amp; scroll maps\nOn every page since the deploy")
    bot.event(said)
    [ask] = bot.slack.wait_for(lambda: _asks(bot))
    button = _button(ask, ASK)
    assert bot.click(ASK, user=CUSTOMER, channel=channel, value=button["value"])[0] == 200
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == "Heatmaps stopped loading & scroll maps"
    assert blocks["description"]["element"]["initial_value"].endswith("On every page since the deploy")
    assert blocks["severity"]["element"]["initial_option"]["value"] == "medium"
    values = ticket_values(severity="medium", title="Heatmaps stopped loading", description="Every page")
    assert bot.submit_view(bot.opened_view(), values, user=CUSTOMER)[1] in (b"", b"{}")
    key = f"msg:{channel}:{said['ts']}"
    assert _tickets(bot) == [("ask", said["ts"], key, "medium", "Heatmaps stopped loading")]
    number = bot.sql("SELECT id FROM tickets")[0][0]
    bot.slack.wait_for(lambda: bot.sql("SELECT thread_ts FROM tickets WHERE id = :n", n=number)[0][0])
    # A second click (the question is still there) and a second submission: still one ticket.
    bot.click(ASK, user=CUSTOMER, channel=channel, value=button["value"])
    drained(bot)
    if len(bot.slack.calls_to("views.open")) == 2:
        bot.submit_view(bot.opened_view(), values, user=CUSTOMER)
    assert len(_tickets(bot)) == 1
    # A reply in the message's thread is the ticket's conversation.
    bot.event(person_message(channel, STAFF, "Looking now", thread_ts=said["ts"]))
    assert bot.sql("SELECT count(*) FROM ticket_messages WHERE ticket_id = :n", n=number)[0][0] == 1


def test_ask_open_ticket_on_a_message_already_ticketed_says_so(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake ask")
    said = customer_message(channel, "Heatmaps stopped loading")
    bot.event(said)
    [ask] = bot.slack.wait_for(lambda: _asks(bot))
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message={**said, "user": CUSTOMER})
    bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))
    bot.submit_view(bot.opened_view(), ticket_values(severity="medium"), user=STAFF)
    bot.click(ASK, user=CUSTOMER, channel=channel, value=_button(ask, ASK)["value"])
    told = bot.slack.wait_for(lambda: [t for t in _answers(bot) if "already ticket #" in t])
    assert told and len(bot.slack.calls_to("views.open")) == 1 and len(_tickets(bot)) == 1


def test_ask_only_the_author_can_answer(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake ask")
    bot.event(customer_message(channel, "Heatmaps stopped loading"))
    [ask] = bot.slack.wait_for(lambda: _asks(bot))
    before = len(bot.slack.responses)
    for action_id in (ASK, NO_THANKS):
        bot.click(action_id, user=STAFF, channel=channel, value=_button(ask, action_id)["value"])
    bot.slack.wait_for(lambda: len(bot.slack.responses) == before + 2)
    assert all("person who wrote the message" in r["text"] for r in bot.slack.responses[before:])
    assert not any(r.get("delete_original") for r in bot.slack.responses)
    assert bot.slack.calls_to("views.open") == [] and _tickets(bot) == []


def test_ask_no_thanks_dismisses_the_question_and_records_nothing(bot: BotUnderTest, channel: str) -> None:
    _intake(bot, channel, "intake ask")
    bot.event(customer_message(channel, "Heatmaps stopped loading"))
    [ask] = bot.slack.wait_for(lambda: _asks(bot))
    asked = [tuple(r) for r in bot.sql("SELECT * FROM intake_asks")]
    before = len(bot.slack.responses)
    for _ in range(2):  # a double click: deleting it again changes nothing
        assert bot.click(NO_THANKS, user=CUSTOMER, channel=channel, value=_button(ask, NO_THANKS)["value"])[0] == 200
    bot.slack.wait_for(lambda: len(bot.slack.responses) == before + 2)
    assert all(r.get("delete_original") in (True, "true") for r in bot.slack.responses[before:])
    drained(bot)
    assert _tickets(bot) == [] and bot.slack.calls_to("views.open") == []
    assert [tuple(r) for r in bot.sql("SELECT * FROM intake_asks")] == asked


def test_a_button_we_did_not_build_is_out_of_date(bot: BotUnderTest, channel: str) -> None:
    bot.click(ASK, user=CUSTOMER, channel=channel, value="not json")
    told = bot.slack.wait_for(lambda: _answers(bot))
    assert "out of date" in told[0] and bot.slack.calls_to("views.open") == []


def test_ask_a_long_message_still_gets_its_question_and_a_form(bot: BotUnderTest, channel: str) -> None:
    """A button's value holds at most 2,000 characters: a long message's text is cut to fit it
    (Slack, and the strict stub, would refuse the whole question otherwise)."""
    _intake(bot, channel, "intake ask")
    long_text = 'Exports fail with "quotes" and émojis 🎉\n' + "every line of the log says why. " * 90
    bot.event(customer_message(channel, long_text))
    [ask] = bot.slack.wait_for(lambda: _asks(bot))
    assert len(_button(ask, ASK)["value"]) <= 2000
    bot.click(ASK, user=CUSTOMER, channel=channel, value=_button(ask, ASK)["value"])
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == 'Exports fail with "quotes" and émojis 🎉'
    description = blocks["description"]["element"]["initial_value"]
    assert description.startswith("Exports fail") and description.endswith("…") and len(description) > 1500
