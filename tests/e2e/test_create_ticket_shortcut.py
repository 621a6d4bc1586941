"""The "Create ticket" message shortcut's form starts at Medium, as a 🎫 or a mention files it."""

from __future__ import annotations

from fakeslack import CUSTOMER, STAFF
from tests.support import BotUnderTest


def test_the_shortcuts_form_starts_at_medium_and_files_medium_untouched(bot: BotUnderTest, channel: str) -> None:
    message = {"ts": "1700004000.000400", "text": "Cohorts page times out", "user": CUSTOMER}
    bot.shortcut("create_ticket", user=STAFF, channel=channel, message=message)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")["element"]
    assert severity["initial_option"]["value"] == "medium"
    assert severity["initial_option"] in severity["options"]  # Slack refuses any other initial_option
    # Slack submits the preselected option as the field's value when the person leaves it alone.
    values = {
        "severity": {"severity": {"type": "radio_buttons", "selected_option": severity["initial_option"]}},
        "title": {"title": {"type": "plain_text_input", "value": "Cohorts page times out"}},
        "description": {"description": {"type": "plain_text_input", "value": message["text"]}},
    }
    status, _, _ = bot.submit_view(bot.opened_view(), values, user=STAFF)
    assert status == 200
    assert [tuple(r) for r in bot.sql("SELECT source, severity FROM tickets")] == [("shortcut", "medium")]


def test_the_slash_commands_form_leaves_the_severity_to_the_customer(bot: BotUnderTest, channel: str) -> None:
    bot.slash("/ticket", user=CUSTOMER, channel=channel)
    view = bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[0].args["view"]
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")["element"]
    assert "initial_option" not in severity
