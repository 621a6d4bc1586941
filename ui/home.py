"""App Home builders: the staff home ("Waiting on us", open tickets and onboarding progress) and
the customer home.

Pure functions from plain values to a `home` view. Customer-typed text (ticket titles, company names)
goes through `escape_text`. A Home tab holds at most 100 blocks, so both views are paged.

Paging: tickets and customers share pages with a fixed budget per section. Page `p` (0-based) shows
tickets [p*TICKETS_PER_PAGE, (p+1)*TICKETS_PER_PAGE) and customers [p*CUSTOMERS_PER_PAGE, ...) of their
sorted lists; the view has as many pages as the longer of the two needs, and a section that has run
out shows a one-line note on later pages. A page number out of range (a stale button after tickets
closed) shows the nearest page. The worst case is HOME_FIXED_BLOCKS + both budgets, under 100.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tickets.rules import CLOSED_STATUSES, STATUS_LABELS, TITLE_MAX, Status, humanize_duration
from tickets.severity import SEVERITY_LEVELS, Severity
from tickets.sla import sla_state
from tickets.slack_text import slack_length, visible
from ui.blocks import Blocks, _mrkdwn, _plain, _truncate, escape_text, severity_label
from ui.ids import (
    FILE_TICKET_HOME_BUTTON,
    HOME_CUSTOMER_ACTIONS_BLOCK,
    HOME_OPEN_CHANNEL_BUTTON,
    HOME_PAGE_NEXT_BUTTON,
    HOME_PAGE_PREV_BUTTON,
    HOME_PAGING_BLOCK,
)
from ui.onboarding import _company, _mention

HOME_MAX_BLOCKS = 100  # Slack's limit for a Home tab view
TICKETS_PER_PAGE = 40
CUSTOMERS_PER_PAGE = 40
CUSTOMER_TICKETS_PER_PAGE = 40
# "Waiting on us" (staff page): one section listing the oldest waits, and a divider.
WAITING_SHOWN = 15
WAITING_BLOCKS = 2
WAITING_TITLE_MAX = 80
WAITING_TEXT_BUDGET = 2900  # under Slack's 3,000 per section, leaving room for "…and N more"
# Staff page, besides the ticket and customer budgets: header, page context, tickets heading, up to one
# heading per severity (and "No severity yet"), the onboarding divider and heading, a note for each
# section, paging divider and actions, the waiting list. (A section shows either its items or its note,
# so this over-counts by two.)
HOME_FIXED_BLOCKS = 3 + len(SEVERITY_LEVELS) + 1 + 2 + 2 + 2 + WAITING_BLOCKS
PROGRESS_BAR_MAX_CELLS = 10
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITY_LEVELS)}


@dataclass(frozen=True)
class HomeTicket:
    """A ticket as a Home tab shows it; `sla_text` comes from `tickets.sla.sla_state`."""

    number: int
    channel_id: str
    title: str
    severity: Severity | None  # None: a conversation nobody has given a severity yet
    status: Status
    assignee_id: str | None
    created_at: datetime
    sla_text: str = ""
    # Or, instead of a text, what it is computed from: only the tickets on the page shown pay for it.
    first_response_at: datetime | None = None
    sla_due_at: datetime | None = None
    waiting_since: datetime | None = None  # the customer has been waiting on us since (None: not)

    def sla(self, now: datetime) -> str:
        if self.sla_text or self.sla_due_at is None:
            return self.sla_text
        return sla_state(
            created_at=self.created_at, first_response_at=self.first_response_at, due_at=self.sla_due_at, now=now
        ).text


@dataclass(frozen=True)
class HomeCustomer:
    """A customer's onboarding progress: `settled` of `total` checklist steps done or declined."""

    channel_id: str
    company: str
    settled: int
    total: int


def progress_bar(settled: int, total: int) -> str:
    """A text progress bar like '▓▓▓░░ 3/5' (at most 10 cells; one per step up to 10 steps)."""
    if total <= 0:
        return "no steps"
    settled = min(max(settled, 0), total)
    cells = min(total, PROGRESS_BAR_MAX_CELLS)
    filled = settled * cells // total
    return "▓" * filled + "░" * (cells - filled) + f" {settled}/{total}"


def _channel(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id or "") else escape_text(channel_id or "")


def _title(title: str) -> str:
    return escape_text(_truncate(visible(title), TITLE_MAX)) or "(no title)"


def _age(created_at: datetime, now: datetime) -> str:
    return f"opened {humanize_duration(max(now - created_at, timedelta(0)))} ago"


def _button(action_id: str, label: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": _plain(label), "value": value, **extra}


def _page_count(*sections: tuple[int, int]) -> int:
    """Pages needed for sections given as (item count, items per page); at least one."""
    return max([1, *(math.ceil(count / per_page) for count, per_page in sections)])


def _clamp(page: int, pages: int) -> int:
    return min(max(page, 0), pages - 1)


def _range_text(noun: str, start: int, shown: int, count: int) -> str:
    if count == 0:
        return f"no {noun}"
    if shown == 0:
        return f"{count:,} {noun} (none on this page)"
    return f"{noun} {start + 1:,}–{start + shown:,} of {count:,}"


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _paging(page: int, pages: int) -> Blocks:
    buttons = []
    if page > 0:
        buttons.append(_button(HOME_PAGE_PREV_BUTTON, "Previous", str(page - 1)))
    if page < pages - 1:
        buttons.append(_button(HOME_PAGE_NEXT_BUTTON, "Next", str(page + 1)))
    if not buttons:
        return []
    return [{"type": "divider"}, {"type": "actions", "block_id": HOME_PAGING_BLOCK, "elements": buttons}]


def _view(blocks: Blocks, page: int) -> dict[str, Any]:
    return {"type": "home", "private_metadata": json.dumps({"page": page}), "blocks": blocks}


def severity_rank(severity: Severity | None) -> int:
    """Critical 0 ... Low 3, no severity yet 4: the staff Home's first sort key."""
    return _SEVERITY_RANK.get(severity, len(_SEVERITY_RANK)) if severity is not None else len(_SEVERITY_RANK)


def _staff_order(ticket: HomeTicket) -> tuple[int, datetime, int]:
    return severity_rank(ticket.severity), ticket.created_at, ticket.number


@dataclass(frozen=True)
class WaitingList:
    """The staff Home's "Waiting on us": the oldest waits first (at most WAITING_SHOWN), and how
    many open tickets and conversations have a customer waiting on us in all."""

    tickets: Sequence[HomeTicket] = ()
    total: int = 0


def waiting_list(tickets: Sequence[HomeTicket]) -> WaitingList:
    """ "Waiting on us" from every ticket: the open ones whose customer waits on us, oldest wait first."""
    waiting = sorted(
        (t for t in tickets if t.waiting_since is not None and t.status not in CLOSED_STATUSES),
        key=lambda t: (t.waiting_since, t.number),
    )
    return WaitingList(waiting[:WAITING_SHOWN], len(waiting))


def _waiting_line(ticket: HomeTicket, now: datetime) -> str:
    assert ticket.waiting_since is not None
    waited = humanize_duration(max(now - ticket.waiting_since, timedelta(0)))
    title = escape_text(_truncate(visible(ticket.title), WAITING_TITLE_MAX)) or "(no title)"
    who = _mention(ticket.assignee_id) or "unassigned"
    return (
        f"• *{waited}* · *#{ticket.number}* {title} · {_channel(ticket.channel_id)} · "
        f"{severity_label(ticket.severity)} · {who}"
    )


def _waiting_blocks(waiting: WaitingList, now: datetime) -> Blocks:
    """One section: who has waited longest for us, with how long; then a divider."""
    heading = f"*Waiting on us* ({waiting.total:,}, longest first)"
    if not waiting.total:
        text = f"{heading}\nNobody is waiting on us. :tada:"
    else:
        lines = [heading]
        size = slack_length(heading)
        for ticket in waiting.tickets:
            line = _waiting_line(ticket, now)
            if size + 1 + slack_length(line) > WAITING_TEXT_BUDGET:
                break
            lines.append(line)
            size += 1 + slack_length(line)
        hidden = waiting.total - (len(lines) - 1)
        if hidden > 0:
            lines.append(f"_…and {hidden:,} more_")
        text = "\n".join(lines)
    return [{"type": "section", "text": _mrkdwn(text)}, {"type": "divider"}]


def _staff_ticket_block(ticket: HomeTicket, now: datetime) -> dict[str, Any]:
    assignee = _mention(ticket.assignee_id) or "unassigned"
    details = [
        _channel(ticket.channel_id),
        STATUS_LABELS[ticket.status],
        _age(ticket.created_at, now),
        escape_text(_truncate(ticket.sla(now).strip(), 200)),
        assignee,
    ]
    text = f"*#{ticket.number} · {_title(ticket.title)}*\n" + " · ".join(d for d in details if d)
    return {"type": "section", "text": _mrkdwn(text)}


def _customer_block(customer: HomeCustomer) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": _mrkdwn(
            f"*{_company(customer.company)}* {_channel(customer.channel_id)}\n"
            f"`{progress_bar(customer.settled, customer.total)}`"
        ),
    }
    if _CHANNEL_ID.fullmatch(customer.channel_id or ""):
        block["accessory"] = _button(
            HOME_OPEN_CHANNEL_BUTTON,
            "Open channel",
            customer.channel_id,
            url=f"https://slack.com/app_redirect?channel={customer.channel_id}",
        )
    return block


@dataclass(frozen=True)
class TicketPage:
    """One page of the staff Home's open tickets in staff order, with counts over all pages."""

    tickets: Sequence[HomeTicket]
    start: int  # position of the first of them among all open tickets
    per_severity: Mapping[Severity | None, int]

    @property
    def total(self) -> int:
        return sum(self.per_severity.values())


def staff_page(open_tickets: int, customers: int, page: int) -> int:
    """The page actually shown when `page` is asked for (out of range: the nearest one)."""
    return _clamp(page, _page_count((open_tickets, TICKETS_PER_PAGE), (customers, CUSTOMERS_PER_PAGE)))


def build_staff_home(
    tickets: Sequence[HomeTicket], customers: Sequence[HomeCustomer], page: int, now: datetime
) -> dict[str, Any]:
    """The staff Home tab: "Waiting on us" (tickets and conversations whose customer waits on us,
    longest wait first, with how long); open tickets by severity (Critical first, no severity yet
    last) then age (oldest first), each with its channel, status, age, SLA text and assignee; then
    each customer's onboarding progress with an "Open channel" button. Closed tickets (resolved, not
    a ticket) are left out. Customers with unfinished onboarding come first, then by company name.
    Paged as the module docstring describes; never more than 100 blocks.
    """
    open_tickets = sorted((t for t in tickets if t.status not in CLOSED_STATUSES), key=_staff_order)
    page = staff_page(len(open_tickets), len(customers), page)
    start = page * TICKETS_PER_PAGE
    counts = Counter(t.severity for t in open_tickets)
    return build_staff_home_page(
        TicketPage(open_tickets[start : start + TICKETS_PER_PAGE], start, counts),
        customers,
        page,
        now,
        waiting_list(open_tickets),
    )


def build_staff_home_page(
    tickets: TicketPage,
    customers: Sequence[HomeCustomer],
    page: int,
    now: datetime,
    waiting: WaitingList | None = None,
) -> dict[str, Any]:
    """`build_staff_home` from the one page of tickets shown and the waiting list (the database
    sorts and pages them)."""
    ordered_customers = sorted(
        customers, key=lambda c: (c.settled >= c.total, _company(c.company).casefold(), c.channel_id)
    )
    pages = _page_count((tickets.total, TICKETS_PER_PAGE), (len(ordered_customers), CUSTOMERS_PER_PAGE))
    page = _clamp(page, pages)
    ticket_start, customer_start = tickets.start, page * CUSTOMERS_PER_PAGE
    page_tickets = list(tickets.tickets)
    page_customers = ordered_customers[customer_start : customer_start + CUSTOMERS_PER_PAGE]
    ticket_range = _range_text("tickets", ticket_start, len(page_tickets), tickets.total)
    customer_range = _range_text("customers", customer_start, len(page_customers), len(ordered_customers))

    blocks: Blocks = [
        {"type": "header", "text": _plain("Support")},
        _context(
            f"Page {page + 1} of {pages} · {ticket_range} · {customer_range} · "
            f"updated {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        ),
        *_waiting_blocks(waiting or WaitingList(), now),
        {"type": "section", "text": _mrkdwn(f"*Open tickets* ({tickets.total:,})")},
    ]
    if not page_tickets:
        blocks.append(
            _context("No open tickets. :tada:" if not tickets.total else "All open tickets are on earlier pages.")
        )
    per_severity = tickets.per_severity
    current: Severity | None = None  # None is a group too: "No severity yet"
    for index, ticket in enumerate(page_tickets):
        if index == 0 or ticket.severity != current:
            current = ticket.severity
            blocks.append(
                {
                    "type": "section",
                    "text": _mrkdwn(f"*{severity_label(current)}* · {per_severity.get(current, 0):,} open"),
                }
            )
        blocks.append(_staff_ticket_block(ticket, now))

    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "section",
            "text": _mrkdwn(
                f"*Onboarding* ({len(ordered_customers):,} customer{'' if len(ordered_customers) == 1 else 's'})"
            ),
        }
    )
    if not page_customers:
        blocks.append(
            _context("No customers onboarding." if not ordered_customers else "All customers are on earlier pages.")
        )
    blocks.extend(_customer_block(customer) for customer in page_customers)
    blocks.extend(_paging(page, pages))
    return _view(blocks, page)


def _customer_order(ticket: HomeTicket) -> tuple[int, int, float, int]:
    if ticket.status == Status.RESOLVED:
        return 1, 0, -ticket.created_at.timestamp(), ticket.number  # resolved: newest first
    return 0, severity_rank(ticket.severity), ticket.created_at.timestamp(), ticket.number


def _customer_ticket_block(ticket: HomeTicket, now: datetime) -> dict[str, Any]:
    details = [
        severity_label(ticket.severity),
        STATUS_LABELS[ticket.status],
        _age(ticket.created_at, now),
        _channel(ticket.channel_id),
    ]
    return {"type": "section", "text": _mrkdwn(f"*#{ticket.number} · {_title(ticket.title)}*\n" + " · ".join(details))}


def build_customer_home(tickets: Sequence[HomeTicket], page: int, now: datetime) -> dict[str, Any]:
    """The customer's Home tab: a "File a ticket" button and the tickets it is given (the caller filters
    them to the customer's own organisation), unresolved first by severity and age, then resolved ones
    newest first. Severity, status, age and channel only: no assignee, SLA text or staff actions.
    """
    ordered = sorted(tickets, key=_customer_order)
    pages = _page_count((len(ordered), CUSTOMER_TICKETS_PER_PAGE))
    page = _clamp(page, pages)
    start = page * CUSTOMER_TICKETS_PER_PAGE
    page_tickets = ordered[start : start + CUSTOMER_TICKETS_PER_PAGE]
    blocks: Blocks = [
        {"type": "header", "text": _plain("Your support tickets")},
        {
            "type": "section",
            "text": _mrkdwn("Need help? File a ticket and the team is notified straight away."),
        },
        {
            "type": "actions",
            "block_id": HOME_CUSTOMER_ACTIONS_BLOCK,
            "elements": [_button(FILE_TICKET_HOME_BUTTON, "File a ticket", "home", style="primary")],
        },
    ]
    if not page_tickets:
        blocks.append(_context("You have no tickets yet."))
    else:
        blocks.append(
            _context(f"Page {page + 1} of {pages} · {_range_text('tickets', start, len(page_tickets), len(ordered))}")
        )
        blocks.extend(_customer_ticket_block(ticket, now) for ticket in page_tickets)
    blocks.extend(_paging(page, pages))
    return _view(blocks, page)


def build_no_channel_yet_modal() -> dict[str, Any]:
    """The Home's File-a-ticket button, for a customer whose org has no support channel with us yet
    (or none Slack could place them in): where tickets are filed instead."""
    return {
        "type": "modal",
        "title": _plain("File a ticket"),
        "close": _plain("OK"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    "Tickets are filed in your shared support channel with us: press *File a ticket* there, react "
                    "to a message with :ticket:, or mention me. Once you have filed one, this button files the "
                    "next one too."
                ),
            }
        ],
    }
