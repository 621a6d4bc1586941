"""A burst must not bury triage (issue 16): when more triage cards wait than Slack takes within a
few seconds (about one post per channel per second), one summary post lists them, updated in
place as it grows, so triage is never more than ~15 s behind. Design: outbox/batching.py."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fakeslack import CUSTOMER_TEAM, STAFF, TRIAGE, SlackStub
from fakeslack.messages import person_message
from tests.support import BotUnderTest, drained, file_ticket, posts_for, running_bot
from ui import ids

HOST_URL = "https://host-inc.slack.com"  # the stub's auth.test url: permalinks are built on it


def _customers(slack: SlackStub, count: int) -> list[str]:
    users = [f"U0BURST{n:03d}" for n in range(count)]
    for user in users:
        slack.add_user(user, CUSTOMER_TEAM)
    return users


def _burst(bot: BotUnderTest, channel: str, users: list[str], every: float = 0.0) -> tuple[list[dict[str, Any]], float]:
    """Each user writes one top-level message: all at once (8 at a time), or one every `every`
    seconds; returns the messages and when the last answer came back (time.monotonic)."""
    said = [
        person_message(channel, user, f"Problem {n}: exports fail", team=CUSTOMER_TEAM) for n, user in enumerate(users)
    ]
    if every:
        statuses = []
        for message in said:
            statuses.append(bot.event(message)[0])
            time.sleep(every)
    else:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda message: bot.event(message)[0], said))
    assert statuses == [200] * len(said)
    return said, time.monotonic()


def _shown(slack: SlackStub) -> dict[int, list[tuple[str, str]]]:
    """Per ticket number, where triage shows it now: ("card", ts) for its own triage card,
    ("summary", ts) for a line in a summary, across every top-level triage message."""
    shown: dict[int, list[tuple[str, str]]] = {}
    for message in slack.posts(TRIAGE):
        if message.get("thread_ts"):
            continue
        for block in message.get("blocks") or []:
            block_id = str(block.get("block_id", ""))
            if block_id.startswith("summary_item:"):
                shown.setdefault(int(block_id.partition(":")[2]), []).append(("summary", message["ts"]))
            elif block_id.startswith(ids.TICKET_ACTIONS_BLOCK):
                shown.setdefault(int(block_id[len(ids.TICKET_ACTIONS_BLOCK) :]), []).append(("card", message["ts"]))
    return shown


def _is_summary(message: dict[str, Any]) -> bool:
    return any(str(b.get("block_id", "")).startswith("summary_item:") for b in message.get("blocks") or [])


def _summaries(slack: SlackStub) -> list[dict[str, Any]]:
    """The top-level triage messages that are summaries, as they show now."""
    return [m for m in slack.posts(TRIAGE) if not m.get("thread_ts") and _is_summary(m)]


def _line(message: dict[str, Any], number: int) -> str:
    return next(b["text"]["text"] for b in message["blocks"] if b.get("block_id") == f"summary_item:{number}")


def test_a_burst_of_conversations_reaches_triage_in_summaries_within_seconds(bot: BotUnderTest, channel: str) -> None:
    slack = bot.slack
    said, last = _burst(bot, channel, _customers(slack, 60))
    tickets = bot.sql("SELECT id, thread_ts FROM tickets ORDER BY id")
    assert len(tickets) == 60  # 60 conversations, none grouped

    def all_shown() -> bool:
        shown = _shown(slack)
        return all(number in shown for number, _ in tickets)

    slack.wait_for(all_shown, timeout=30)
    behind = time.monotonic() - last
    assert behind <= 15, f"triage was {behind:.1f} s behind the last message"

    shown = _shown(slack)
    assert {number: len(places) for number, places in shown.items()} == {number: 1 for number, _ in tickets}
    posts_to_triage = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert len(posts_to_triage) <= 15  # far fewer than 60 cards
    summaries = _summaries(slack)
    assert summaries and all(len(m["blocks"]) <= 50 for m in summaries)
    # Each summary line links to the customer's message, with its number, title and "no severity yet".
    for number, thread_ts in tickets:
        kind, ts = shown[number][0]
        if kind == "summary":
            line = _line(next(m for m in summaries if m["ts"] == ts), number)
            assert f"{HOST_URL}/archives/{channel}/p{thread_ts.replace('.', '')}" in line
            assert f"#{number}*" in line and "Problem" in line and "No severity yet" in line
    # Summaries are updated in place, coalesced: never two updates of one summary within a second.
    for summary in summaries:
        times = sorted(c.at for c in slack.calls_to("chat.update") if c.args["ts"] == summary["ts"])
        assert all(b - a >= 1.0 for a, b in zip(times, times[1:], strict=False)), times
    # Customer-channel posts are unaffected: every message still got its 👀.
    slack.wait_for(lambda: all(slack.reactions.get((channel, m["ts"]), {}).get("eyes") for m in said))
    # What the database says matches what Slack shows (once the bot has recorded what it sent).
    drained(bot)
    batched = bot.sql("SELECT count(*) FROM tickets WHERE triage_batch_id IS NOT NULL")[0][0]
    assert batched == sum(1 for places in shown.values() if places[0][0] == "summary")
    summary_rows = bot.sql("SELECT ts, item_count, version, shown_version FROM triage_batches ORDER BY id")
    assert sorted(ts for ts, *_ in summary_rows) == sorted(m["ts"] for m in summaries)
    assert all(items > 0 and version == shown for _, items, version, shown in summary_rows)
    # A listed ticket's message in triage is its summary.
    mismatched = "SELECT count(*) FROM tickets t JOIN triage_batches b ON b.id = t.triage_batch_id "
    assert bot.sql(mismatched + "WHERE t.triage_ts IS NULL OR t.triage_ts <> b.ts")[0][0] == 0


def test_a_steady_stream_faster_than_slack_takes_stays_within_seconds(bot: BotUnderTest, channel: str) -> None:
    """Four new conversations a second for ten seconds (Slack takes one triage post a second)."""
    slack = bot.slack
    _, last = _burst(bot, channel, _customers(slack, 40), every=0.25)
    numbers = [number for (number,) in bot.sql("SELECT id FROM tickets ORDER BY id")]
    assert len(numbers) == 40
    slack.wait_for(lambda: all(n in _shown(slack) for n in numbers), timeout=30)
    behind = time.monotonic() - last
    assert behind <= 15, f"triage was {behind:.1f} s behind the last message"
    assert {n: len(places) for n, places in _shown(slack).items()} == {n: 1 for n in numbers}
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]) <= 20
    # Never more than one chat.update of a summary within a second, however fast items arrive.
    for summary in _summaries(slack):
        times = sorted(c.at for c in slack.calls_to("chat.update") if c.args["ts"] == summary["ts"])
        assert all(b - a >= 1.0 for a, b in zip(times, times[1:], strict=False)), times


def test_a_burst_of_tickets_from_many_channels_is_summarised_after_their_cards(bot: BotUnderTest) -> None:
    """Tickets' cards go to their customer channels one by one (paced per channel, unaffected);
    their triage mirrors, due as each card is out, are summarised once they pile up."""
    slack = bot.slack
    channels = [f"C0MANY{n}" for n in range(6)]
    for channel in channels:
        bot.join_channel(channel, name=channel.lower())
    for n in range(24):
        file_ticket(bot, channel=channels[n % len(channels)], severity="low", title=f"Broken thing {n}")
    last = time.monotonic()
    numbers = [number for (number,) in bot.sql("SELECT id FROM tickets ORDER BY id")]
    assert len(numbers) == 24
    slack.wait_for(lambda: all(n in _shown(slack) for n in numbers), timeout=30)
    assert time.monotonic() - last <= 15
    assert {n: len(places) for n, places in _shown(slack).items()} == {n: 1 for n in numbers}
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]) <= 16
    # Every card and acknowledgement reached its customer channel, once.
    slack.wait_for(lambda: all(posts_for(slack, n)["ack"] == 1 for n in numbers), timeout=30)
    assert all(posts_for(slack, n)["card"] == 1 for n in numbers)
    # A summary line links to the ticket's card in its channel.
    for number, channel, card_ts in bot.sql("SELECT id, channel_id, thread_ts FROM tickets ORDER BY id"):
        kind, ts = _shown(slack)[number][0]
        if kind == "summary":
            line = _line(next(m for m in _summaries(slack) if m["ts"] == ts), number)
            assert f"{HOST_URL}/archives/{channel}/p{card_ts.replace('.', '')}" in line and "Low" in line


def test_lost_answers_and_rate_limits_neither_double_nor_lose_an_item(bot: BotUnderTest, channel: str) -> None:
    """Slack stores the first triage posts but the answers are lost (5xx), and rate limits the
    first summary updates: every item still shows exactly once, in summaries posted once each."""
    slack = bot.slack
    slack.fail_after_accept("chat.postMessage", status=500, times=2)
    slack.fail("chat.update", status=429, retry_after=1, times=2)
    _burst(bot, channel, _customers(slack, 50))
    numbers = [number for (number,) in bot.sql("SELECT id FROM tickets ORDER BY id")]
    assert len(numbers) == 50

    def exactly_once() -> bool:
        shown = _shown(slack)
        return {n: len(shown.get(n, [])) for n in numbers} == {n: 1 for n in numbers}

    slack.wait_for(exactly_once, timeout=30)
    drained(bot)
    assert exactly_once()
    summary_rows = bot.sql("SELECT ts FROM triage_batches ORDER BY id")
    assert sorted(ts for (ts,) in summary_rows) == sorted(m["ts"] for m in _summaries(slack))
    assert bot.sql("SELECT count(*) FROM triage_batches WHERE shown_version <> version")[0][0] == 0


def test_a_ticket_in_a_summary_gets_its_notes_and_its_changes_shown(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_SLA_UNTRIAGED="10s") as bot:
        channel = "C0BURST"
        bot.join_channel(channel)
        _burst(bot, channel, _customers(slack, 12))
        summary = slack.wait_for(lambda: _summaries(slack), timeout=15)[0]
        number = bot.slack.wait_for(
            lambda: bot.sql("SELECT min(id) FROM tickets WHERE triage_batch_id IS NOT NULL")[0][0]
        )
        slack.wait_for(lambda: number in _shown(slack) and _shown(slack)[number][0][0] == "summary", timeout=10)
        summary_ts = _shown(slack)[number][0][1]

        # "Take it" from its line's ⋯ menu: the summary is re-rendered (one update), showing who has it.
        def menu(verb: str, item: int) -> int:
            extra = {"type": "overflow", "selected_option": {"value": f"{verb}:{item}"}}
            return bot.click(
                ids.SUMMARY_ITEM_MENU, user=STAFF, channel=TRIAGE, message_ts=summary_ts, action_extra=extra
            )[0]

        assert menu("take", number) == 200
        summary = slack.wait_for(
            lambda: [m for m in _summaries(slack) if m["ts"] == summary_ts and f"<@{STAFF}>" in _line(m, number)],
            timeout=10,
        )[0]
        assert "Take it" not in str(next(b for b in summary["blocks"] if b.get("block_id") == f"summary_item:{number}"))
        # The rest of a card's buttons are there too: set a severity, close another as not a ticket.
        other = bot.sql("SELECT max(id) FROM tickets WHERE triage_batch_id IS NOT NULL")[0][0]
        assert menu("noise", other) == 200
        assert bot.sql("SELECT status FROM tickets WHERE id = :n", n=other)[0][0] == "noise"
        assert menu("severity", number) == 200
        assert bot.slack.wait_for(lambda: bot.slack.calls_to("views.open"))[-1].args["view"]["callback_id"] == (
            ids.SEVERITY_MODAL
        )

        # Its SLA notes reach triage: the warning in the summary's thread, the breach at the top level.
        def note(words: str) -> list[dict[str, Any]]:
            return [p for p in slack.posts(TRIAGE) if words in p["text"] and f"#{number} " in p["text"]]

        warning = slack.wait_for(lambda: note("75% of the first-response target"), timeout=40)[0]
        assert warning["thread_ts"] == summary_ts
        breach = slack.wait_for(lambda: note("first response is overdue"), timeout=40)[0]
        assert breach["thread_ts"] is None
        assert f"{HOST_URL}/archives/{channel}/p" in breach["text"]  # linked to the customer's message
