"""App Home builders: structure, ordering, escaping, paging, and Slack's limits at scale. No Slack, no mocks."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import texts_in
from tickets.rules import Status
from tickets.severity import Severity
from ui.home import (
    CUSTOMER_TICKETS_PER_PAGE,
    CUSTOMERS_PER_PAGE,
    FILE_TICKET_HOME_BUTTON,
    HOME_FIXED_BLOCKS,
    HOME_MAX_BLOCKS,
    HOME_OPEN_CHANNEL_BUTTON,
    HOME_PAGE_NEXT_BUTTON,
    HOME_PAGE_PREV_BUTTON,
    TICKETS_PER_PAGE,
    HomeCustomer,
    HomeTicket,
    build_customer_home,
    build_staff_home,
    progress_bar,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
NASTY = "<!channel> & <@U0BOSS> @here"
SEVERITIES = list(Severity)


def home_ticket(
    number: int,
    *,
    severity: Severity | None = Severity.HIGH,
    age: timedelta = timedelta(hours=1),
    title: str | None = None,
    status: Status = Status.OPEN,
    assignee: str | None = None,
    channel: str = "C0ACME",
    sla: str = "first response due in 25 min",
) -> HomeTicket:
    return HomeTicket(number, channel, title or f"Ticket {number}", severity, status, assignee, NOW - age, sla)


def many_tickets(count: int) -> list[HomeTicket]:
    return [
        home_ticket(
            n,
            severity=SEVERITIES[n % 4],
            age=timedelta(minutes=n),
            title=f"{NASTY} " + "t" * 130,
            status=(Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)[n % 3],
            assignee="U0STAFF" if n % 2 else None,
            channel=f"C{n % 1000:06d}",
        )
        for n in range(1, count + 1)
    ]


def many_customers(count: int) -> list[HomeCustomer]:
    return [HomeCustomer(f"C{n:06d}", f"{NASTY} Company {n} " + "&" * 90, n % 6, 5) for n in range(count)]


def _buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in view["blocks"]:
        if block["type"] == "actions":
            found.extend(e for e in block["elements"] if e["type"] == "button")
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def _action_ids(view: dict[str, Any]) -> list[str]:
    return [button["action_id"] for button in _buttons(view)]


def _ticket_numbers(view: dict[str, Any]) -> list[int]:
    """Ticket numbers in display order, from the '*#N · title*' first line of each ticket section."""
    numbers = []
    for block in view["blocks"]:
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        if text.startswith("*#"):
            numbers.append(int(text[2:].split(" ", 1)[0]))
    return numbers


def _customer_channels(view: dict[str, Any]) -> list[str]:
    return [b["accessory"]["value"] for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"]


def assert_valid_home(view: dict[str, Any]) -> None:
    """Slack's limits for a Home tab view, as far as these builders can break them."""
    assert view["type"] == "home"
    blocks = view["blocks"]
    assert 0 < len(blocks) <= HOME_MAX_BLOCKS
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    assert len(view.get("private_metadata", "")) <= 3000
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            action_ids = [e["action_id"] for e in block["elements"]]
            assert len(action_ids) == len(set(action_ids))
    for button in _buttons(view):
        assert len(button["text"]["text"]) <= 75
        assert len(button["value"]) <= 2000
        assert len(button.get("url", "")) <= 3000
        assert len(button["action_id"]) <= 255
    assert len(json.dumps(view)) < 250_000


# --- small pieces ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settled", "total", "bar"),
    [(3, 5, "▓▓▓░░ 3/5"), (0, 5, "░░░░░ 0/5"), (5, 5, "▓▓▓▓▓ 5/5"), (7, 5, "▓▓▓▓▓ 5/5"), (10, 20, "▓▓▓▓▓░░░░░ 10/20")],
)
def test_progress_bar(settled: int, total: int, bar: str) -> None:
    assert progress_bar(settled, total) == bar


def test_progress_bar_without_steps() -> None:
    assert progress_bar(0, 0) == "no steps"


def test_page_budget_fits_under_the_home_limit() -> None:
    assert HOME_FIXED_BLOCKS + TICKETS_PER_PAGE + CUSTOMERS_PER_PAGE <= HOME_MAX_BLOCKS


# --- staff home --------------------------------------------------------------------------------------


def test_staff_home_orders_by_severity_then_oldest_first_and_skips_resolved() -> None:
    tickets = [
        home_ticket(1, severity=Severity.LOW, age=timedelta(days=3)),
        home_ticket(2, severity=Severity.CRITICAL, age=timedelta(minutes=5)),
        home_ticket(3, severity=Severity.HIGH, age=timedelta(hours=1)),
        home_ticket(4, severity=Severity.CRITICAL, age=timedelta(hours=2)),
        home_ticket(5, severity=Severity.HIGH, age=timedelta(hours=4)),
        home_ticket(6, severity=Severity.CRITICAL, status=Status.RESOLVED),
    ]
    view = build_staff_home(tickets, [], 0, NOW)
    assert_valid_home(view)
    assert _ticket_numbers(view) == [4, 2, 5, 3, 1]
    headings = [t for t in texts_in(view["blocks"]) if t.startswith("*:")]
    assert headings == [
        "*:red_circle: Critical* · 2 open",
        "*:large_orange_circle: High* · 2 open",
        "*:white_circle: Low* · 1 open",
    ]


def test_staff_ticket_line_has_channel_status_age_sla_and_assignee() -> None:
    tickets = [
        home_ticket(7, age=timedelta(hours=3), assignee="U0STAFF", status=Status.IN_PROGRESS, sla="overdue by 5 min"),
        home_ticket(8, age=timedelta(minutes=20)),
    ]
    texts = list(texts_in(build_staff_home(tickets, [], 0, NOW)["blocks"]))
    assert "*#7 · Ticket 7*\n<#C0ACME> · In progress · opened 3 h ago · overdue by 5 min · <@U0STAFF>" in texts
    assert "*#8 · Ticket 8*\n<#C0ACME> · Open · opened 20 min ago · first response due in 25 min · unassigned" in texts


def test_staff_home_escapes_titles_and_company_names() -> None:
    view = build_staff_home([home_ticket(1, title=NASTY)], [HomeCustomer("C0EVIL", "<!channel> & Co", 1, 5)], 0, NOW)
    payload = json.dumps(view)
    assert "<!channel>" not in payload and "<@U0BOSS>" not in payload
    texts = list(texts_in(view["blocks"]))
    assert any(t.startswith("*#1 · &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; @\u2060here*") for t in texts)
    assert "*&lt;!channel&gt; &amp; Co* <#C0EVIL>\n`▓░░░░ 1/5`" in texts


def test_customers_show_progress_and_an_open_channel_url_button() -> None:
    customers = [
        HomeCustomer("C0DONE", "Done Inc", 5, 5),
        HomeCustomer("C0BETA", "beta", 2, 5),
        HomeCustomer("C0ACME", "Acme", 4, 5),
    ]
    view = build_staff_home([], customers, 0, NOW)
    assert_valid_home(view)
    assert _customer_channels(view) == ["C0ACME", "C0BETA", "C0DONE"]  # unfinished first, then by name
    button = _buttons(view)[0]
    assert button == {
        "type": "button",
        "action_id": HOME_OPEN_CHANNEL_BUTTON,
        "text": {"type": "plain_text", "text": "Open channel", "emoji": True},
        "value": "C0ACME",
        "url": "https://slack.com/app_redirect?channel=C0ACME",
    }
    assert "No open tickets. :tada:" in list(texts_in(view["blocks"]))
    assert "*Onboarding* (3 customers)" in list(texts_in(view["blocks"]))


def test_one_customer_onboarding_is_singular() -> None:
    """Was "(1 customers)" (seen in the demo's App Home)."""
    view = build_staff_home([], [HomeCustomer("C0ACME", "Acme", 0, 5)], 0, NOW)
    assert "*Onboarding* (1 customer)" in list(texts_in(view["blocks"]))


def test_a_malformed_channel_id_gets_no_link_and_no_button() -> None:
    view = build_staff_home([], [HomeCustomer("<!here>", "Odd", 0, 5)], 0, NOW)
    assert _buttons(view) == []
    assert "<!here>" not in json.dumps(view)


def test_an_empty_staff_home() -> None:
    view = build_staff_home([], [], 0, NOW)
    assert_valid_home(view)
    texts = list(texts_in(view["blocks"]))
    assert "No open tickets. :tada:" in texts
    assert "No customers onboarding." in texts
    assert _action_ids(view) == []


def test_paging_buttons_point_at_the_neighbouring_pages() -> None:
    tickets = many_tickets(TICKETS_PER_PAGE * 2 + 5)  # three pages
    first, middle, last = (build_staff_home(tickets, [], page, NOW) for page in (0, 1, 2))
    assert [(b["action_id"], b["value"]) for b in _buttons(first)] == [(HOME_PAGE_NEXT_BUTTON, "1")]
    assert [(b["action_id"], b["value"]) for b in _buttons(middle)] == [
        (HOME_PAGE_PREV_BUTTON, "0"),
        (HOME_PAGE_NEXT_BUTTON, "2"),
    ]
    assert [(b["action_id"], b["value"]) for b in _buttons(last)] == [(HOME_PAGE_PREV_BUTTON, "1")]
    assert json.loads(middle["private_metadata"]) == {"page": 1}
    assert any(t.startswith("Page 2 of 3 · tickets 41–80 of 85") for t in texts_in(middle["blocks"]))


def test_out_of_range_pages_show_the_nearest_page() -> None:
    tickets = many_tickets(TICKETS_PER_PAGE + 1)
    assert build_staff_home(tickets, [], 99, NOW) == build_staff_home(tickets, [], 1, NOW)
    assert build_staff_home(tickets, [], -3, NOW) == build_staff_home(tickets, [], 0, NOW)


def test_every_ticket_and_customer_appears_exactly_once_across_pages() -> None:
    tickets = many_tickets(130)
    customers = many_customers(45)  # customers run out on page 2, tickets on page 4
    seen_tickets: list[int] = []
    seen_customers: list[str] = []
    pages = 4
    for page in range(pages):
        view = build_staff_home(tickets, customers, page, NOW)
        assert_valid_home(view)
        seen_tickets += _ticket_numbers(view)
        seen_customers += _customer_channels(view)
        if page >= 2:
            assert "All customers are on earlier pages." in list(texts_in(view["blocks"]))
    assert sorted(seen_tickets) == list(range(1, 131))
    assert sorted(seen_customers) == sorted(c.channel_id for c in customers)
    assert HOME_PAGE_NEXT_BUTTON not in _action_ids(build_staff_home(tickets, customers, pages - 1, NOW))


def test_ten_thousand_tickets_and_a_thousand_customers_stay_under_100_blocks_and_fast() -> None:
    tickets = many_tickets(10_000)
    customers = many_customers(1_000)
    pages = 10_000 // TICKETS_PER_PAGE
    started = time.perf_counter()
    views = [build_staff_home(tickets, customers, page, NOW) for page in (0, 1, pages // 2, pages - 1, pages + 10)]
    elapsed = time.perf_counter() - started
    for view in views:
        assert_valid_home(view)
        assert len(view["blocks"]) <= 100
        assert len(_ticket_numbers(view)) <= TICKETS_PER_PAGE
        assert len(_customer_channels(view)) <= CUSTOMERS_PER_PAGE
    # Critical tickets come first, oldest first: number 10,000 (n % 4 == 0 is Critical; age grows with n).
    assert _ticket_numbers(views[0])[:3] == [10_000, 9_996, 9_992]
    assert f"Page 1 of {pages}" in next(t for t in texts_in(views[0]["blocks"]) if t.startswith("Page"))
    assert "<!channel>" not in json.dumps(views)
    assert elapsed < 2.0, f"building 5 pages took {elapsed:.2f}s"


# --- customer home -----------------------------------------------------------------------------------


def test_customer_home_shows_only_given_tickets_and_the_file_a_ticket_button() -> None:
    tickets = [
        home_ticket(11, title="Flags API down", severity=Severity.CRITICAL, assignee="U0STAFF"),
        home_ticket(12, title="Old question", status=Status.RESOLVED, age=timedelta(days=3)),
        home_ticket(13, title="Newer question", status=Status.RESOLVED, age=timedelta(days=1)),
        home_ticket(14, title="Dashboards slow", severity=Severity.MEDIUM, age=timedelta(days=2)),
    ]
    view = build_customer_home(tickets, 0, NOW)
    assert_valid_home(view)
    assert _ticket_numbers(view) == [11, 14, 13, 12]  # unresolved by severity, then resolved newest first
    assert _action_ids(view) == [FILE_TICKET_HOME_BUTTON]
    file_button = _buttons(view)[0]
    assert file_button["text"]["text"] == "File a ticket" and file_button["value"] == "home"
    payload = json.dumps(view)
    assert "<@U0STAFF>" not in payload  # no assignee
    assert "first response due" not in payload  # no SLA text
    assert "Onboarding" not in payload  # no customers section
    texts = list(texts_in(view["blocks"]))
    assert "*#11 · Flags API down*\n:red_circle: Critical · Open · opened 1 h ago · <#C0ACME>" in texts


def test_an_empty_customer_home_still_offers_to_file_a_ticket() -> None:
    view = build_customer_home([], 0, NOW)
    assert_valid_home(view)
    assert _ticket_numbers(view) == []
    assert _action_ids(view) == [FILE_TICKET_HOME_BUTTON]
    assert "You have no tickets yet." in list(texts_in(view["blocks"]))


def test_customer_home_escapes_titles_and_pages() -> None:
    tickets = many_tickets(CUSTOMER_TICKETS_PER_PAGE * 250)
    view = build_customer_home(tickets, 1, NOW)
    assert_valid_home(view)
    assert len(_ticket_numbers(view)) == CUSTOMER_TICKETS_PER_PAGE
    assert _action_ids(view) == [FILE_TICKET_HOME_BUTTON, HOME_PAGE_PREV_BUTTON, HOME_PAGE_NEXT_BUTTON]
    assert "<!channel>" not in json.dumps(view)
    assert "&lt;!channel&gt;" in json.dumps(view)


def test_the_fullest_possible_page_is_94_blocks() -> None:
    # Every severity heading (and "No severity yet") on one page, the waiting list, a full ticket
    # budget, a full customer budget, and paging.
    kinds = [*SEVERITIES, None]
    tickets = [
        replace(home_ticket(n, severity=kinds[n % 5], age=timedelta(minutes=n)), waiting_since=NOW - timedelta(hours=n))
        for n in range(TICKETS_PER_PAGE)
    ]
    customers = many_customers(CUSTOMERS_PER_PAGE + 1)
    view = build_staff_home(tickets, customers, 0, NOW)
    assert_valid_home(view)
    assert len(view["blocks"]) == 3 + 2 + 5 + TICKETS_PER_PAGE + 2 + CUSTOMERS_PER_PAGE + 2 == 94
