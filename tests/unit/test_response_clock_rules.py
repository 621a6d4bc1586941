"""Response clocks (issue 16) in the pure pieces: the next-response deadline and target, the staff
Home's "Waiting on us", the digest's median next response and conversations, the triage notes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.tickets import SlaPolicy
from tests.support import texts_in
from tickets.digest import DigestNextResponse, DigestTicket, build_digest
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from tickets.sla import parse_business_hours, sla_deadlines
from ui.blocks import build_triage_note
from ui.digest import build_digest_message
from ui.home import (
    HOME_MAX_BLOCKS,
    WAITING_SHOWN,
    HomeTicket,
    build_customer_home,
    build_staff_home,
    waiting_list,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday
HOURS = parse_business_hours("Mon-Fri 09:00-17:00 UTC")
MIN = timedelta(minutes=1)


# --- the next-response clock --------------------------------------------------------------------------


def test_next_response_targets_default_to_first_response_and_untriaged_covers_no_severity() -> None:
    targets = {s: timedelta(hours=n + 1) for n, s in enumerate(Severity)}
    policy = SlaPolicy(targets, None, timedelta(hours=1), untriaged=timedelta(minutes=20))
    assert policy.next_response_target(Severity.LOW) == targets[Severity.LOW]
    assert policy.first_response_target(None) == policy.next_response_target(None) == timedelta(minutes=20)
    nexts = {s: timedelta(minutes=5) for s in Severity}
    assert replace(policy, next_response=nexts).next_response_target(Severity.HIGH) == timedelta(minutes=5)
    assert replace(policy, untriaged=None).next_response_target(None) == targets[Severity.MEDIUM]


def test_a_clock_without_severity_keeps_business_hours_and_critical_always_runs() -> None:
    friday_evening = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)
    untriaged = sla_deadlines(friday_evening, timedelta(hours=1), None, HOURS)
    assert untriaged.due_at == datetime(2026, 11, 9, 9, 30, tzinfo=UTC)  # 30 min Friday, 30 min Monday
    assert untriaged.warn_at == datetime(2026, 11, 9, 9, 15, tzinfo=UTC)  # 75% of the hour
    critical = sla_deadlines(friday_evening, timedelta(hours=1), Severity.CRITICAL, HOURS)
    assert critical.due_at == friday_evening + timedelta(hours=1)


def test_next_response_triage_notes() -> None:
    info = TicketInfo(7, "C0ACME", None, "Exports fail", "", "U1", Status.IN_PROGRESS, None, NOW, NOW)
    warn = build_triage_note("next_response_warn", info, thread_link="https://x/p1")
    assert "75% of the next-response target" in warn and "ticket #7 (no severity yet)" in warn
    breach = build_triage_note("next_response_breach", info, oncall="S0ONCALL")
    assert breach.startswith(":rotating_light: <!subteam^S0ONCALL>") and "next response is overdue" in breach


def test_the_update_reminder_names_the_severity_once() -> None:
    """Was "owed an update on Critical ticket #7 (Critical)" (seen in the demo's --fast mode)."""
    info = TicketInfo(7, "C0ACME", Severity.CRITICAL, "Exports fail", "", "U1", Status.IN_PROGRESS, None, NOW, NOW)
    note = build_triage_note("update_owed", info, count=2)
    assert "owed an update on ticket #7 (Critical) in <#C0ACME>" in note and note.count("Critical") == 1


# --- App Home: "Waiting on us" ------------------------------------------------------------------------


def waiting(number: int, waited: timedelta | None, **kwargs: object) -> HomeTicket:
    values: dict = {"severity": Severity.HIGH, "status": Status.IN_PROGRESS, "title": f"Ticket {number}"}
    values.update(kwargs)
    since = None if waited is None else NOW - waited
    return HomeTicket(
        number, "C0ACME", values["title"], values["severity"], values["status"], None, NOW - timedelta(days=1),
        "due", waiting_since=since,
    )  # fmt: skip


def test_waiting_on_us_is_open_waits_only_longest_first() -> None:
    tickets = [
        waiting(1, 5 * MIN),
        waiting(2, timedelta(hours=3), severity=None),
        waiting(3, None),  # answered: not waiting
        waiting(4, timedelta(days=2), status=Status.RESOLVED),  # closed
        waiting(5, timedelta(days=1), status=Status.NOISE),  # closed as not a ticket
        waiting(6, timedelta(hours=3)),  # as long as #2: by number
    ]
    listed = waiting_list(tickets)
    assert [t.number for t in listed.tickets] == [2, 6, 1] and listed.total == 3


def test_staff_home_shows_waiting_on_us_first_with_how_long() -> None:
    view = build_staff_home([waiting(1, 5 * MIN), waiting(2, timedelta(hours=3), severity=None)], [], 0, NOW)
    section = view["blocks"][2]["text"]["text"]
    lines = section.split("\n")
    assert lines[0] == "*Waiting on us* (2, longest first)"
    assert lines[1].startswith("• *3 h* · *#2* Ticket 2 · <#C0ACME> · :grey_question: No severity yet")
    assert lines[2].startswith("• *5 min* · *#1* Ticket 1")
    headings = [t for t in texts_in(view["blocks"]) if t.startswith("*:")]
    assert headings[-1].startswith("*:grey_question: No severity yet*")  # no severity: last group


def test_nobody_waiting_reads_well() -> None:
    view = build_staff_home([waiting(1, None)], [], 0, NOW)
    assert view["blocks"][2]["text"]["text"] == "*Waiting on us* (0, longest first)\nNobody is waiting on us. :tada:"


def test_a_long_wait_list_is_cut_within_slack_limits_and_escaped() -> None:
    nasty = "<!channel> & " + "&" * 200
    tickets = [waiting(n, timedelta(minutes=n), title=nasty) for n in range(1, 301)]
    view = build_staff_home(tickets, [], 0, NOW)
    section = view["blocks"][2]["text"]["text"]
    assert len(section) <= 3000 and "<!channel>" not in json.dumps(view)
    shown = section.count("\n• ")
    assert 0 < shown <= WAITING_SHOWN and section.endswith(f"_…and {300 - shown:,} more_")
    assert section.index("*#300*") < section.index(f"*#{301 - shown}*")  # longest wait first
    assert len(view["blocks"]) <= HOME_MAX_BLOCKS


def test_customer_home_shows_a_conversation_without_severity() -> None:
    view = build_customer_home([waiting(1, MIN, severity=None), waiting(2, MIN)], 0, NOW)
    blob = json.dumps(view)
    assert "No severity yet" in blob and blob.index("#2 ") < blob.index("#1 ")  # no severity: after the rest


# --- the digest ---------------------------------------------------------------------------------------

SINCE = NOW - timedelta(days=7)


def digest_ticket(number: int, channel: str = "C0ACME", **kwargs: object) -> DigestTicket:
    values: dict = {"severity": Severity.HIGH, "created": SINCE + timedelta(days=1), "responded": None}
    values.update(kwargs)
    first = None if values["responded"] is None else values["created"] + values["responded"]
    return DigestTicket(
        number, channel, channel.lower(), values["severity"], values["created"], first, None, False,
        conversation=bool(values.get("conversation")), noise=bool(values.get("noise")),
    )  # fmt: skip


def test_median_next_response_counts_clocks_started_and_answered_in_the_window() -> None:
    start = SINCE + timedelta(days=2)
    clocks = [
        DigestNextResponse(start, start + 10 * MIN),
        DigestNextResponse(start, start + 30 * MIN),
        DigestNextResponse(start, start + 20 * MIN),
        DigestNextResponse(start, None),  # not answered yet
        DigestNextResponse(SINCE - MIN, SINCE + MIN),  # started last week
        DigestNextResponse(NOW - MIN, NOW + MIN),  # answered after the window
    ]
    digest = build_digest([], [], since=SINCE, until=NOW, next_responses=clocks)
    assert (digest.median_next_response, digest.next_responses_counted) == (20 * MIN, 3)
    assert build_digest([], [], since=SINCE, until=NOW).median_next_response is None


def test_conversations_per_customer_with_noise_and_no_severity() -> None:
    rows = [
        digest_ticket(1, conversation=True, severity=None, responded=4 * MIN),
        digest_ticket(2, conversation=True, severity=None, noise=True),
        digest_ticket(3),
        digest_ticket(4, "C0BETA", conversation=True, severity=None, created=SINCE - MIN),  # last week
    ]
    digest = build_digest(rows, [], since=SINCE, until=NOW)
    [acme] = digest.customers
    assert (acme.opened, acme.conversations, acme.noise) == (3, 2, 1)
    assert (digest.conversations, digest.noise) == (2, 1)
    assert digest.median_first_response[None] == 4 * MIN and digest.responses_counted[None] == 1
    assert list(digest.median_first_response)[-1] is None  # after the four severities
    text, blocks = build_digest_message(digest, {})
    body = json.dumps(blocks)
    assert "*c0acme* <#C0ACME>: 3 opened, 0 resolved, 2 conversations (1 not a ticket)" in body
    assert ":grey_question: No severity yet: 4 min (1 answered)" in body
    assert "*Median next response* (customer wrote again after a staff reply): none answered" in body
    assert "*Conversations*\\n2 (1 not a ticket)" in body
