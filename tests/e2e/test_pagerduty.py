"""Paging (docs/webhooks.md#pagerduty): a Critical ticket past its first-response target triggers a
PagerDuty Events API v2 event, its first staff reply resolves it; each once, across a restart. A
local receiver on 127.0.0.1 stands in for events.pagerduty.com."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakeslack import CUSTOMER_CHANNEL, STAFF, TRIAGE, SlackStub
from fakeslack.receiver import Receiver
from tests.support import drained, filed, running_bot

ROUTING_KEY = "R0UTINGKEY0123456789012345678901"


@pytest.fixture
def pagerduty() -> Iterator[Receiver]:
    with Receiver(ok_status=202) as running:
        yield running


def paging_env(pagerduty: Receiver, **env: str) -> dict[str, str]:
    return {"SUPPORT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "SUPPORT_PAGERDUTY_URL": pagerduty.url, **env}


def events(pagerduty: Receiver, action: str) -> list[dict]:
    return [r.json() for r in pagerduty.received(accepted_only=True) if r.json()["event_action"] == action]


def overdue_notes(slack: SlackStub) -> list[dict]:
    return [p for p in slack.posts(TRIAGE) if "overdue" in p["text"]]


def test_a_critical_breach_pages_and_the_first_reply_resolves_once_each_across_a_restart(
    slack: SlackStub, database_url: str, pagerduty: Receiver
) -> None:
    env = paging_env(pagerduty, SUPPORT_SLA_CRITICAL="2s")
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="critical", title="Checkout is down")
        trigger = pagerduty.wait_for(lambda _: events(pagerduty, "trigger"), timeout=15)[0]
        assert trigger["routing_key"] == ROUTING_KEY
        assert trigger["dedup_key"] == f"support-bot-ticket-{t['number']}"
        assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["source"]
        assert (
            "Checkout is down" in trigger["payload"]["summary"] and f"#{t['number']}" in trigger["payload"]["summary"]
        )
        assert trigger["payload"]["custom_details"]["number"] == t["number"]
        link = trigger["links"][0]["href"]
        assert link.endswith(f"/archives/{CUSTOMER_CHANNEL}/p{t['card_ts'].replace('.', '')}")
        assert pagerduty.received()[0].headers["content-type"] == "application/json"
        drained(bot)

    # A second runtime on the same database: the breach is not paged again; the reply resolves it.
    with running_bot(slack, database_url, **env) as bot:
        drained(bot)
        assert len(events(pagerduty, "trigger")) == 1
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "We are on it")
        resolve = pagerduty.wait_for(lambda _: events(pagerduty, "resolve"))[0]
        assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": trigger["dedup_key"]}
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "Fixed now")
        bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(t["number"]))
        drained(bot)

    with running_bot(slack, database_url, **env) as bot:
        drained(bot)
    assert [r.json()["event_action"] for r in pagerduty.received()] == ["trigger", "resolve"]


def test_resolving_an_unanswered_critical_ticket_resolves_its_page(
    slack: SlackStub, database_url: str, pagerduty: Receiver
) -> None:
    with running_bot(slack, database_url, **paging_env(pagerduty, SUPPORT_SLA_CRITICAL="2s")) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="critical")
        pagerduty.wait_for(lambda _: events(pagerduty, "trigger"), timeout=15)
        bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(t["number"]))
        pagerduty.wait_for(lambda _: events(pagerduty, "resolve"))
        drained(bot)
        assert [r.json()["event_action"] for r in pagerduty.received()] == ["trigger", "resolve"]


def test_a_failing_pagerduty_is_retried_and_the_resolve_waits_for_the_trigger(
    slack: SlackStub, database_url: str, pagerduty: Receiver
) -> None:
    pagerduty.fail_next(2, status=503)
    with running_bot(slack, database_url, **paging_env(pagerduty, SUPPORT_SLA_CRITICAL="2s")) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="critical")
        pagerduty.wait_for(lambda got: got, timeout=15)  # the first (failed) trigger: the resolve is owed now
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "On it")
        pagerduty.wait_for(lambda _: events(pagerduty, "resolve"), timeout=15)
        drained(bot)
    answered = [(r.json()["event_action"], r.status) for r in pagerduty.received()]
    assert answered == [("trigger", 503), ("trigger", 503), ("trigger", 202), ("resolve", 202)]


def test_a_page_refused_for_good_is_told_to_triage_in_the_tickets_thread(
    slack: SlackStub, database_url: str, pagerduty: Receiver
) -> None:
    pagerduty.fail_next(1, status=400)  # PagerDuty's answer to an unknown routing key
    with running_bot(slack, database_url, **paging_env(pagerduty, SUPPORT_SLA_CRITICAL="2s")) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="critical", title="Checkout is down")
        pagerduty.wait_for(lambda got: got, timeout=15)
        note = slack.wait_for(lambda: [p for p in slack.posts(TRIAGE) if "PagerDuty refused" in p["text"]])[0]
        drained(bot)
        assert f"#{t['number']}" in note["text"] and "nobody was paged" in note["text"]
        assert "HTTP 400" in note["text"] and "SUPPORT_PAGERDUTY_ROUTING_KEY" in note["text"]
        assert note["thread_ts"] == t["triage_ts"] and ROUTING_KEY not in note["text"]
        assert bot.sql("SELECT state FROM outbox WHERE kind = 'page'") == [("failed",)]


def test_no_page_below_critical_nor_without_a_routing_key(
    slack: SlackStub, database_url: str, pagerduty: Receiver
) -> None:
    env = paging_env(pagerduty, SUPPORT_SLA_HIGH="2s")
    with running_bot(slack, database_url, **env) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        t = filed(bot, severity="high")
        slack.wait_for(lambda: overdue_notes(slack), timeout=15)  # breached, and triage told
        bot.thread_reply(CUSTOMER_CHANNEL, t["card_ts"], STAFF, "On it")
        drained(bot)
    with running_bot(slack, database_url, SUPPORT_SLA_CRITICAL="2s", SUPPORT_PAGERDUTY_URL=pagerduty.url) as bot:
        filed(bot, severity="critical")
        slack.wait_for(lambda: len(overdue_notes(slack)) == 2, timeout=15)
        drained(bot)
        assert bot.sql("SELECT count(*) FROM outbox WHERE kind = 'page'") == [(0,)]
    assert pagerduty.received() == []
