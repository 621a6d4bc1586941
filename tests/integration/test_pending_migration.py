"""Migration 0010 (tickets waiting on the customer) on a database that already has tickets, on
SQLite and (with TEST_DATABASE_URL) PostgreSQL: tickets already waiting get their reminder and
close counted from their last change; the others none; a downgrade drops the columns again."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text

from store.db import make_engine
from store.migrate import _config, upgrade

_CHANNEL = (
    "INSERT INTO customer_channels (channel_id, name, is_ext_shared, active, joined_at, state) "
    "VALUES ('C0OLD', 'acme', :yes, :yes, :at, 'customer')"
)
_TICKET = (
    "INSERT INTO tickets (id, channel_id, reporter_id, reporter_is_staff, severity, title, description, status, "
    "source, submission_key, created_at, updated_at, reply_count, sla_warned, updates_owed) "
    "VALUES (:id, 'C0OLD', 'U0C', :no, 'high', 't', '', :status, 'command', :key, :at, :updated, 0, :no, 0)"
)
FILED = datetime(2026, 1, 5, 10, 0)
WAITING_SINCE = datetime(2026, 1, 6, 12, 30)


def _naive(value: object) -> datetime:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_tickets_already_waiting_are_counted_from_their_last_change(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        command.upgrade(_config(conn), "0009_triage_batches")
        conn.execute(text(_CHANNEL), {"yes": True, "at": FILED})
        for number, status, updated in ((1, "waiting_on_customer", WAITING_SINCE), (2, "in_progress", FILED)):
            params = {"id": number, "status": status, "key": f"k{number}", "at": FILED, "updated": updated}
            conn.execute(text(_TICKET), {**params, "no": False})
        conn.commit()
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, pending_since, pending_remind_at, pending_close_at, pending_reminded_at "
                "FROM tickets ORDER BY id"
            )
        ).all()
        since, remind_at, close_at = (_naive(v) for v in rows[0][1:4])
        assert (since, remind_at - since, close_at - since) == (WAITING_SINCE, timedelta(days=5), timedelta(days=7))
        assert rows[0][4] is None
        assert tuple(rows[1]) == (2, None, None, None, None)
        command.downgrade(_config(conn), "0009_triage_batches")
        conn.commit()
        columns = {c["name"] for c in inspect(conn).get_columns("tickets")}
        assert "pending_since" not in columns and "triage_batch_id" in columns
        assert conn.execute(text("SELECT id, status FROM tickets ORDER BY id")).all() == [
            (1, "waiting_on_customer"),
            (2, "in_progress"),
        ]
    engine.dispose()
