"""Scenario 5: build the staff App Home over 1,000 customers and 10,000 tickets.

The data is inserted in bulk: the tickets are all open, one in ten still unanswered, spread over
the customers and the four severities. Then the real read path (`services.home.staff_home_page`)
and the real builder (`ui.home.build_staff_home_page`) run repeatedly; what is timed is
what a staff member waits for between opening the Home tab and views.publish leaving the process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bench.load import percentile
from onboarding.reminders import scaling_milestones
from services.home import staff_home_page
from store import migrate
from store.db import Database, make_engine
from store.models import Customer, CustomerChannel, Ticket
from ui.home import build_staff_home_page

SEVERITIES = ("critical", "high", "medium", "low")


def seed(db: Database, customers: int, tickets: int, now: datetime) -> None:
    with db.transaction() as session:
        session.execute(
            insert(CustomerChannel),
            [
                {
                    "channel_id": f"C{i:09d}",
                    "name": f"customer-{i}",
                    "is_ext_shared": True,
                    "active": True,
                    "joined_at": now,
                }
                for i in range(customers)
            ],
        )
        session.execute(
            insert(Customer),
            [
                {
                    "channel_id": f"C{i:09d}",
                    "company": f"Customer {i} <!channel>",
                    "cloud_provider": "aws",
                    "plan": "scale",
                    "monthly_spend": 5000,
                    "cs_owner_id": "U0STAFF",
                    "started_by": "U0STAFF",
                    "started_at": now - timedelta(days=i % 90),
                    "updated_at": now,
                    "size_warned": False,
                    "nudges_sent": 0,
                    # Check-ins that fell due before today went out then (no backlog fires mid-run).
                    "milestones_sent": sum(
                        1 for _, when in scaling_milestones(now - timedelta(days=i % 90)) if when <= now
                    ),
                }
                for i in range(customers)
            ],
        )
        session.execute(
            insert(Ticket),
            [
                {
                    "channel_id": f"C{i % customers:09d}",
                    "reporter_id": "U0CUST",
                    "reporter_is_staff": False,
                    "reporter_team_id": f"T{i % customers:09d}",
                    "severity": SEVERITIES[i % 4],
                    "title": f"Problem number {i} with dashboards",
                    "description": "",
                    # One in ten still waits for a first response (those have SLA alarms); the rest
                    # are being worked on. All are open, so all count for the Home.
                    "status": "open" if i % 10 == 0 else "in_progress",
                    "first_response_at": None if i % 10 == 0 else now - timedelta(minutes=i) + timedelta(minutes=5),
                    "source": "command",
                    "submission_key": f"bench:{i}",
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now,
                    "reply_count": 0,
                    "sla_warned": False,
                    "updates_owed": 0,
                    # Unanswered ones are due later (their alarms don't fire while the Home is timed);
                    # answered ones met or missed theirs long ago.
                    "sla_due_at": now + timedelta(hours=2) + timedelta(seconds=i)
                    if i % 10 == 0
                    else now - timedelta(minutes=i) + timedelta(hours=1),
                }
                for i in range(tickets)
            ],
        )


def measure_app_home(
    database_url: str, customers: int = 1000, tickets: int = 10_000, builds: int = 20
) -> dict[str, Any]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    db = Database(engine)
    now = datetime.now(UTC)
    seed(db, customers, tickets, now)
    timings, blocks = [], 0
    for page in range(builds):
        started = time.perf_counter()
        with db.session() as session:
            tickets, progress, shown = staff_home_page(session, now, page % 5)
        view = build_staff_home_page(tickets, progress, shown, now)
        timings.append((time.perf_counter() - started) * 1000)
        blocks = max(blocks, len(view["blocks"]))
    engine.dispose()
    timings.sort()
    return {
        "customers": customers,
        "tickets": tickets,
        "builds": builds,
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "max_ms": round(timings[-1], 1),
        "max_blocks": blocks,
    }
