"""Product areas (issue 18): the routing file (SUPPORT_ROUTING_FILE) checked at start-up, the
ticket form's Area picker, and each area's triage channel and on-call group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, STAFF, STAFF_2, TRIAGE, SlackStub, bot_env
from fakeslack.messages import customer_message
from fakeslack.payloads import ticket_values
from fakeslack.receiver import Receiver
from tests.support import (
    BotUnderTest,
    drained,
    file_ticket,
    free_port,
    run_cli,
    running_bot,
    submit_move,
    updates_to,
)
from ui import ids

REPLAY, BILLING = "C0REPLAY", "C0BILLING"
ROUTING = f"""
[[area]]
name = "Session replay"
description = "Recordings, heatmaps, paths"
channel = "{REPLAY}"
oncall = "S0REPLAY"

[[area]]
name = "Billing"
channel = "{BILLING}"
"""


def routing_file(tmp_path: Path) -> str:
    path = tmp_path / "routing.toml"
    path.write_text(ROUTING, encoding="utf-8")
    return str(path)


def file_in_area(bot: BotUnderTest, area: str | None, severity: str = "high") -> dict[str, Any]:
    """/ticket in the customer channel, the form submitted with `area` picked (None: left empty);
    returns the form that opened, once the ticket is stored."""
    opened = len(bot.slack.calls_to("views.open"))
    status, _, _ = bot.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL, text="Replays are blank")
    assert status == 200
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    view = bot.opened_view()
    values = ticket_values(severity=severity, title="Replays are blank")
    choice = {"value": area} if area else None
    values["area"] = {"area": {"type": "static_select", "selected_option": choice}}
    status, body, _ = bot.submit_view(view, values, user=CUSTOMER)
    assert status == 200 and body in (b"", b"{}"), body
    return view


def mirrors(slack: SlackStub, channel: str) -> list[dict[str, Any]]:
    return [p for p in slack.posts(channel) if "Replays are blank" in p["text"]]


def test_a_ticket_with_an_area_is_mirrored_in_its_channel_and_breaches_page_its_group(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    env = {"SUPPORT_ROUTING_FILE": routing_file(tmp_path), "SUPPORT_SLA_HIGH": "3s", "SUPPORT_ONCALL": "S0DEFAULT"}
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        view = file_in_area(bot, "Session replay")
        picker = next(b for b in view["blocks"] if b.get("block_id") == "area")
        assert [o["value"] for o in picker["element"]["options"]] == ["Session replay", "Billing"]
        assert [b.get("block_id") for b in view["blocks"]].index("area") > 0  # after the severity
        assert bot.sql("SELECT area FROM tickets") == [("Session replay",)]
        mirror = slack.wait_for(lambda: mirrors(slack, REPLAY))[0]
        stored = [(REPLAY, mirror["ts"])]  # recorded once Slack's answer is in (just after the stub has the post)
        slack.wait_for(lambda: bot.sql("SELECT triage_channel_id, triage_ts FROM tickets") == stored)
        breach = slack.wait_for(lambda: [p for p in slack.posts(REPLAY) if "overdue" in p["text"]], timeout=10)[0]
        assert "<!subteam^S0REPLAY>" in breach["text"] and "S0DEFAULT" not in breach["text"]
        drained(bot)
        assert mirrors(slack, TRIAGE) == [] and [p for p in slack.posts(TRIAGE) if "overdue" in p["text"]] == []


def test_a_ticket_with_no_area_goes_to_the_default_channel(slack: SlackStub, database_url: str, tmp_path: Path) -> None:
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing_file(tmp_path)) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        file_in_area(bot, None)
        slack.wait_for(lambda: mirrors(slack, TRIAGE))
        drained(bot)
        assert bot.sql("SELECT area, triage_channel_id FROM tickets") == [(None, TRIAGE)]
        assert mirrors(slack, REPLAY) == [] and mirrors(slack, BILLING) == []


def test_without_a_routing_file_the_form_has_no_area_picker(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        view = file_in_area(bot, None)
        assert "area" not in [b.get("block_id") for b in view["blocks"]]
        slack.wait_for(lambda: mirrors(slack, TRIAGE))


def test_a_bad_routing_file_stops_serve_with_one_line(slack: SlackStub, tmp_path: Path, database_url: str) -> None:
    routing = tmp_path / "routing.toml"
    routing.write_text('[[area]]\nname = "Session replay"\nchannel = "#replay"\n', encoding="utf-8")
    env = bot_env(slack, database_url, SUPPORT_ROUTING_FILE=str(routing))
    result = run_cli("serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"support-bot: SUPPORT_ROUTING_FILE: {routing}: area 'Session replay': channel: "
        "must be a channel ID such as C0123456789, not '#replay'"
    ]
    assert slack.calls == []  # stopped before asking Slack anything


def test_each_problem_of_a_routing_file_is_its_own_line(slack: SlackStub, tmp_path: Path, database_url: str) -> None:
    routing = tmp_path / "routing.toml"
    routing.write_text(
        '[[area]]\nname = "Billing"\nchannel = "C0BILLING"\nassign = "lottery"\n[[area]]\nchannel = "C0X"\n',
        encoding="utf-8",
    )
    result = run_cli("serve", env=bot_env(slack, database_url, SUPPORT_ROUTING_FILE=str(routing)))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert all(line.startswith(f"support-bot: SUPPORT_ROUTING_FILE: {routing}: ") for line in lines)
    assert "area 'Billing': assign:" in lines[0] and "area #2: name: is missing" in lines[1]


def test_a_missing_routing_file_stops_serve(slack: SlackStub, tmp_path: Path, database_url: str) -> None:
    missing = tmp_path / "nope.toml"
    result = run_cli("serve", env=bot_env(slack, database_url, SUPPORT_ROUTING_FILE=str(missing)))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"support-bot: SUPPORT_ROUTING_FILE: {missing}: cannot read the file (No such file or directory)"
    ]


# -- staff re-route from the triage card ----------------------------------------------------------
def test_move_to_another_area_posts_a_fresh_card_and_leaves_a_pointer(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    env = {"SUPPORT_ROUTING_FILE": routing_file(tmp_path), "SUPPORT_WEBHOOK_SECRET": "s3cret"}
    with (
        Receiver(ok_status=200) as receiver,
        running_bot(slack, database_url, SUPPORT_WEBHOOK_URL=receiver.url, **env) as bot,
    ):
        bot.join_channel(CUSTOMER_CHANNEL)
        file_in_area(bot, "Session replay")
        old = slack.wait_for(lambda: mirrors(slack, REPLAY))[0]
        number = bot.sql("SELECT id FROM tickets")[0][0]
        actions = next(b for b in old["blocks"] if b["type"] == "actions")
        menu = next(e for e in actions["elements"] if e["type"] == "overflow")
        move = next(o for o in menu["options"] if o["value"] == f"move:{number}")
        assert move["text"]["text"] == "Move to…"
        opened = len(slack.calls_to("views.open"))
        bot.click(
            "ticket_more",
            user=STAFF,
            channel=REPLAY,
            action_extra={"type": "overflow", "selected_option": {"value": move["value"]}},
        )
        slack.wait_for(lambda: len(slack.calls_to("views.open")) > opened)
        form = bot.opened_view()
        assert form["callback_id"] == "ticket_move_modal"
        assert form["blocks"][-1]["element"]["initial_option"]["value"] == "Session replay"
        status, body, _ = bot.submit_view(
            form, {"area": {"area": {"type": "static_select", "selected_option": {"value": "Billing"}}}}, user=STAFF
        )
        assert status == 200 and body in (b"", b"{}"), body
        new = slack.wait_for(lambda: mirrors(slack, BILLING))[0]
        pointer = slack.wait_for(lambda: [u for u in updates_to(bot, old["ts"]) if "Moved to" in json.dumps(u)])[-1]
        assert f"<#{BILLING}>" in pointer["text"] and f"<@{STAFF}>" in pointer["text"]
        assert "actions" not in [b["type"] for b in pointer["blocks"]]  # the pointer has no buttons
        drained(bot)
        assert bot.sql("SELECT area, triage_channel_id, triage_ts FROM tickets") == [("Billing", BILLING, new["ts"])]
        events = bot.sql("SELECT actor_id, old_value, new_value FROM ticket_events WHERE field = 'area'")
        assert events == [(STAFF, "Session replay", "Billing")]
        assert len(mirrors(slack, BILLING)) == 1 and len(mirrors(slack, REPLAY)) == 1  # once each
        hooks = receiver.wait_for(lambda got: [r.json() for r in got if r.json()["type"] == "ticket.area"])
        assert len(hooks) == 1 and hooks[0]["ticket"]["number"] == number
        assert {k: hooks[0]["data"][k] for k in ("old", "new", "actor", "channel")} == {
            "old": "Session replay",
            "new": "Billing",
            "actor": STAFF,
            "channel": BILLING,
        }
        # the card in the new channel works: Take it from there
        bot.click("ticket_take", user=STAFF, channel=BILLING, value=str(number))
        slack.wait_for(lambda: bot.sql("SELECT assignee_id FROM tickets")[0][0] == STAFF)


def test_only_staff_can_move_a_ticket(slack: SlackStub, database_url: str, tmp_path: Path) -> None:
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing_file(tmp_path)) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        file_in_area(bot, "Session replay")
        slack.wait_for(lambda: mirrors(slack, REPLAY))
        number = bot.sql("SELECT id FROM tickets")[0][0]
        form = {
            "id": "V0MOVE",
            "type": "modal",
            "blocks": [],
            "callback_id": "ticket_move_modal",
            "private_metadata": json.dumps({"c": REPLAY, "s": "move", "m": str(number)}),
        }
        values = {"area": {"area": {"type": "static_select", "selected_option": {"value": "Billing"}}}}
        status, body, _ = bot.submit_view(form, values, user=CUSTOMER)
        assert status == 200 and b"errors" in body
        assert bot.sql("SELECT area FROM tickets") == [("Session replay",)]


def test_a_burst_in_one_triage_channel_does_not_fold_another_areas_cards(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    """Ten Critical tickets (never summarised) queue in the default triage channel at one post a
    second; meanwhile a Session replay ticket gets its own card in its team's channel, not a
    summary: each triage channel counts its own backlog."""
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing_file(tmp_path)) as bot:
        channels = [f"C0MANY{n}" for n in range(10)]
        for channel in [*channels, CUSTOMER_CHANNEL]:
            bot.join_channel(channel, name=channel.lower())
        for channel in channels:
            file_ticket(bot, channel=channel, severity="critical", title=f"Down in {channel}")
        file_in_area(bot, "Session replay")
        mirror = slack.wait_for(lambda: mirrors(slack, REPLAY), timeout=15)[0]

        def critical_mirrors(before: float) -> int:
            return sum(
                1
                for call in slack.calls_to("chat.postMessage")
                if call.args["channel"] == TRIAGE and "Down in" in call.args.get("text", "") and call.at < before
            )

        replay_at = next(c.at for c in slack.calls_to("chat.postMessage") if c.args["channel"] == REPLAY)
        assert critical_mirrors(replay_at) <= 5  # the default channel was still in a burst then
        assert any(str(b.get("block_id", "")).startswith(ids.TICKET_ACTIONS_BLOCK) for b in mirror["blocks"])
        assert bot.sql("SELECT triage_batch_id FROM tickets WHERE area = 'Session replay'") == [(None,)]
        slack.wait_for(lambda: critical_mirrors(float("inf")) == 10, timeout=20)
        drained(bot)
        assert bot.sql("SELECT count(*) FROM triage_batches") == [(0,)]


def test_two_quick_moves_leave_one_card_in_the_last_area(slack: SlackStub, database_url: str, tmp_path: Path) -> None:
    """Two staff members both open Move to… on a ticket's card in the default triage channel; one
    moves it to Billing, whose card cannot go out yet (429), the other to Session replay: the
    ticket ends up with one card, in Session replay."""
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing_file(tmp_path)) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        file_in_area(bot, None)
        slack.wait_for(lambda: bot.sql("SELECT triage_ts FROM tickets")[0][0])
        number = bot.sql("SELECT id FROM tickets")[0][0]
        slack.fail("chat.postMessage", 429, retry_after=1, channel=BILLING)
        submit_move(bot, number, "Billing", channel=TRIAGE)
        submit_move(bot, number, "Session replay", channel=TRIAGE, user=STAFF_2)
        card = slack.wait_for(lambda: mirrors(slack, REPLAY))[0]
        slack.wait_for(lambda: bot.sql("SELECT triage_ts FROM tickets")[0][0] == card["ts"])
        slack.wait_for(lambda: not bot.sql("SELECT id FROM outbox WHERE state = 'pending'"), timeout=15)
        drained(bot)
        assert len(mirrors(slack, REPLAY)) == 1 and mirrors(slack, BILLING) == []
        assert bot.sql("SELECT area, triage_channel_id FROM tickets") == [("Session replay", REPLAY)]


def test_a_conversation_with_no_severity_yet_can_be_moved_to_an_area(
    slack: SlackStub, database_url: str, tmp_path: Path
) -> None:
    """A customer's plain message is a conversation, carded in the default triage channel until
    routed: its card offers Move to… before anyone has given it a severity."""
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing_file(tmp_path)) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        bot.event(customer_message(CUSTOMER_CHANNEL, "Replays are blank since this morning"))
        card = slack.wait_for(lambda: mirrors(slack, TRIAGE))[0]
        number = bot.sql("SELECT id FROM tickets")[0][0]
        assert bot.sql("SELECT source, severity FROM tickets") == [("message", None)]
        actions = next(b for b in card["blocks"] if b["type"] == "actions")
        menu = next(e for e in actions["elements"] if e["type"] == "overflow")
        assert [o["value"] for o in menu["options"]] == [f"move:{number}"]  # Set severity is its own button
        submit_move(bot, number, "Session replay", channel=TRIAGE)
        slack.wait_for(lambda: mirrors(slack, REPLAY))
        slack.wait_for(lambda: [u for u in updates_to(bot, card["ts"]) if "Moved to" in json.dumps(u)])
        assert bot.sql("SELECT area FROM tickets") == [("Session replay",)]
