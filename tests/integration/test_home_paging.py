"""The staff Home sorts and pages open tickets in the database (services.home.staff_home_page):
every page must be exactly the page the pure builder makes from all tickets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.home import staff_home_page, waiting_on_us
from store import migrate
from store.db import Database, make_engine
from store.models import Customer, CustomerChannel, Ticket
from tickets.rules import CLOSED_STATUSES, Status
from tickets.severity import Severity
from ui.home import TICKETS_PER_PAGE, HomeTicket, build_staff_home, build_staff_home_page

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def seed(db: Database, tickets: int, customers: int) -> None:
    rng = random.Random(7)
    with db.transaction() as session:
        for i in range(customers):
            channel = f"C0PAGE{i:04d}"
            session.add(
                CustomerChannel(channel_id=channel, name=f"c-{i}", is_ext_shared=True, active=True, joined_at=NOW)
            )
            session.flush()  # the channel row first: the customer row refers to it
            session.add(
                Customer(
                    channel_id=channel,
                    company=f"Company {rng.randint(0, 50)}",
                    cloud_provider="aws",
                    plan="scale",
                    monthly_spend=100,
                    cs_owner_id="U0STAFF",
                    started_by="U0STAFF",
                    started_at=NOW,
                    updated_at=NOW,
                    size_warned=False,
                    nudges_sent=0,
                    milestones_sent=0,
                )
            )
        session.flush()
        for i in range(tickets):
            # Few distinct creation times, so ties are broken by number as in the pure sort.
            created = NOW - timedelta(minutes=rng.randint(0, 30))
            session.add(
                Ticket(
                    channel_id=f"C0PAGE{i % customers:04d}",
                    reporter_id="U0CUST",
                    reporter_is_staff=False,
                    severity=rng.choice([*(s.value for s in Severity), None]),  # None: a conversation
                    title=f"Ticket {i}",
                    description="",
                    status=rng.choice(list(Status)).value,
                    source="command",
                    submission_key=f"page:{i}",
                    created_at=created,
                    updated_at=created,
                    reply_count=0,
                    sla_warned=False,
                    updates_owed=0,
                    sla_due_at=created + timedelta(hours=rng.choice([1, 4, 24])),
                    first_response_at=None if rng.random() < 0.5 else created + timedelta(minutes=5),
                    waiting_since=None if rng.random() < 0.5 else created + timedelta(seconds=rng.randint(0, 99)),
                )
            )


def test_database_paging_matches_the_pure_builder(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    db = Database(engine)
    seed(db, tickets=3 * TICKETS_PER_PAGE + 7, customers=30)
    with db.session() as session:
        everything = [
            HomeTicket(
                number=t.id,
                channel_id=t.channel_id,
                title=t.title,
                severity=None if t.severity is None else Severity(t.severity),
                status=Status(t.status),
                assignee_id=t.assignee_id,
                created_at=t.created_at,
                first_response_at=t.first_response_at,
                sla_due_at=t.sla_due_at,
                waiting_since=t.waiting_since,
            )
            for t in session.scalars(select(Ticket))
        ]
        open_count = sum(1 for t in everything if t.status not in CLOSED_STATUSES)
        assert open_count > 2 * TICKETS_PER_PAGE  # several pages, so paging is really exercised
        for page in (0, 1, 2, 3, 4, 99, -1):
            tickets, customers, shown = staff_home_page(session, NOW, page)
            assert tickets.total == open_count
            waiting = waiting_on_us(session, NOW)
            assert waiting.total > len(waiting.tickets) > 0
            assert build_staff_home_page(tickets, customers, shown, NOW, waiting) == build_staff_home(
                everything, customers, page, NOW
            )
    engine.dispose()
