"""What the App Home shows, read from the database: staff see everything, a customer sees their org's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from onboarding.steps import STEP_NUMBERS
from store.models import Customer, CustomerChannel, OnboardingStep, Ticket
from tickets.rules import CLOSED_STATUSES, Status
from tickets.severity import Severity
from ui.home import (
    TICKETS_PER_PAGE,
    WAITING_SHOWN,
    HomeCustomer,
    HomeTicket,
    TicketPage,
    WaitingList,
    build_customer_home,
    build_staff_home_page,
    severity_rank,
    staff_page,
)

if TYPE_CHECKING:
    from services.deps import Deps

_COLUMNS = (
    Ticket.id,
    Ticket.channel_id,
    Ticket.title,
    Ticket.severity,
    Ticket.status,
    Ticket.assignee_id,
    Ticket.created_at,
    Ticket.first_response_at,
    Ticket.sla_due_at,
    Ticket.waiting_since,
)
_CLOSED = tuple(sorted(status.value for status in CLOSED_STATUSES))
_IS_OPEN = Ticket.status.not_in(_CLOSED)


def _severity(value: str | None) -> Severity | None:
    return None if value is None else Severity(value)


def _home_ticket(row: tuple, now: datetime) -> HomeTicket:
    number, channel_id, title, severity, status, assignee, created_at, first_response_at, due_at, waiting = row
    return HomeTicket(
        number=number,
        channel_id=channel_id,
        title=title,
        severity=_severity(severity),
        status=Status(status),
        assignee_id=assignee,
        created_at=created_at,
        first_response_at=first_response_at,
        sla_due_at=due_at,
        waiting_since=waiting,
    )


def waiting_on_us(session: Session, now: datetime) -> WaitingList:
    """Open tickets and conversations whose customer waits on us, longest wait first (the first
    WAITING_SHOWN of them), and how many there are."""
    waiting = _IS_OPEN & Ticket.waiting_since.is_not(None)
    total = session.scalar(select(func.count()).select_from(Ticket).where(waiting)) or 0
    rows = session.execute(
        select(*_COLUMNS).where(waiting).order_by(Ticket.waiting_since, Ticket.id).limit(WAITING_SHOWN)
    )
    return WaitingList([_home_ticket(row, now) for row in rows], total)


def staff_home_page(session: Session, now: datetime, page: int) -> tuple[TicketPage, list[HomeCustomer], int]:
    """The page of open tickets the staff Home shows (sorted and paged here, in the database, as
    `ui.home.build_staff_home` would), every customer's onboarding progress, and the
    page number actually shown. Closed tickets (resolved, not a ticket) are not open."""
    is_open = _IS_OPEN
    per_severity = {
        _severity(severity): count
        for severity, count in session.execute(
            select(Ticket.severity, func.count()).where(is_open).group_by(Ticket.severity)
        )
    }
    settled = func.sum(case((OnboardingStep.state != "pending", 1), else_=0))
    customers = [
        HomeCustomer(channel_id=channel_id, company=company, settled=int(done or 0), total=len(STEP_NUMBERS))
        for channel_id, company, done in session.execute(
            select(Customer.channel_id, Customer.company, settled)
            .join(OnboardingStep, OnboardingStep.channel_id == Customer.channel_id, isouter=True)
            .group_by(Customer.channel_id, Customer.company)
        )
    ]
    page = staff_page(sum(per_severity.values()), len(customers), page)
    rank = case({severity.value: severity_rank(severity) for severity in Severity}, value=Ticket.severity, else_=99)
    rows = session.execute(
        select(*_COLUMNS)
        .where(is_open)
        .order_by(rank, Ticket.created_at, Ticket.id)
        .offset(page * TICKETS_PER_PAGE)
        .limit(TICKETS_PER_PAGE)
    )
    tickets = TicketPage([_home_ticket(row, now) for row in rows], page * TICKETS_PER_PAGE, per_severity)
    return tickets, customers, page


def customer_home_data(session: Session, team_id: str | None, now: datetime) -> list[HomeTicket]:
    """The open tickets of one customer org (by the reporter's team, as Slack reported it)."""
    if not team_id:
        return []
    rows = session.execute(select(*_COLUMNS).where(Ticket.reporter_team_id == team_id, _IS_OPEN))
    return [_home_ticket(row, now) for row in rows]


def customer_channel_for(session: Session, team_id: str | None) -> str | None:
    """The support channel a customer org files tickets in (its most recent ticket's, else any of its)."""
    if not team_id:
        return None
    recent = session.scalar(
        select(Ticket.channel_id).where(Ticket.reporter_team_id == team_id).order_by(Ticket.id.desc()).limit(1)
    )
    if recent is not None:
        return recent
    return session.scalar(
        select(CustomerChannel.channel_id)
        .where(CustomerChannel.customer_team_id == team_id, CustomerChannel.active.is_(True))
        .limit(1)
    )


def home_view(deps: Deps, user_id: str, page: int) -> dict[str, Any] | None:
    """Page `page` (0-based; out of range: the nearest) of `user_id`'s Home view, or None when Slack
    could not say who they are just now: the Home they have stays (staff never see a customer's
    Home, nor a customer staff's, by a failure)."""
    who = deps.directory.identify(user_id)
    if not who.known:
        return None
    staff, team_id = who.is_staff, who.team_id
    if not staff and team_id == deps.directory.host().team_id:
        # A guest of our own workspace looks up with our team id: "their org's tickets" would be
        # every ticket staff or any other guest filed, for any customer. Show no org's tickets.
        team_id = None
    now = deps.clock()
    with deps.db.session() as session:
        if staff:
            tickets, customers, page = staff_home_page(session, now, page)
            return build_staff_home_page(tickets, customers, page, now, waiting_on_us(session, now))
        return build_customer_home(customer_home_data(session, team_id, now), page, now)


def home_ticket_channel(deps: Deps, user_id: str) -> str | None:
    """Where the Home's File-a-ticket button files for `user_id`: their org's support channel, or
    None if it has none (or Slack could not say which org they are in)."""
    team_id = deps.directory.team_of(user_id)
    with deps.db.session() as session:
        return customer_channel_for(session, team_id)
