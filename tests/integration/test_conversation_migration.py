"""Migration 0008 (conversations) on a database that already has tickets: those waiting on a
first response are waiting since they were filed; a conversation's NULL severity survives a
downgrade as Medium (the old schema has no 'no severity')."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from store.db import make_engine
from store.migrate import _config, upgrade

_TICKET = (
    "INSERT INTO tickets (id, channel_id, reporter_id, reporter_is_staff, severity, title, description, status, "
    "source, submission_key, created_at, updated_at, first_response_at, reply_count, sla_warned, updates_owed) "
    "VALUES (:id, 'C0OLD', 'U0C', 0, :severity, 't', '', :status, 'command', :key, '2026-01-05 10:00:00', "
    "'2026-01-05 10:00:00', :answered, 0, 0, 0)"
)


def test_waiting_since_is_filled_in_and_null_severity_survives_a_downgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as conn:
        command.upgrade(_config(conn), "0007_channels")
        conn.execute(
            text(
                "INSERT INTO customer_channels (channel_id, name, is_ext_shared, active, joined_at, state) "
                "VALUES ('C0OLD', 'acme', 1, 1, '2026-01-05 00:00:00', 'customer')"
            )
        )
        for number, status, answered in (
            (1, "open", None),
            (2, "in_progress", "2026-01-05 10:05:00"),
            (3, "resolved", None),
        ):
            conn.execute(
                text(_TICKET),
                {"id": number, "severity": "high", "status": status, "key": f"k{number}", "answered": answered},
            )
        conn.execute(
            text(
                "INSERT INTO ticket_messages (ticket_id, ts, user_id, from_staff, posted_at) "
                "VALUES (2, '1.0', 'U0S', 1, '2026-01-05 10:05:00')"
            )
        )
        conn.commit()
    upgrade(engine)  # re-creates tickets (batch mode) while ticket_messages rows point at it
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, waiting_since IS NOT NULL, intake_mode "
                "FROM tickets JOIN customer_channels USING (channel_id) ORDER BY id"
            )
        ).all()
        assert [tuple(r) for r in rows] == [(1, 1, None), (2, 0, None), (3, 0, None)]
        conn.execute(text("UPDATE tickets SET severity = NULL, source = 'message' WHERE id = 1"))
        conn.commit()
        command.downgrade(_config(conn), "0007_channels")
        conn.commit()
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # enforced again afterwards
        assert conn.execute(text("SELECT ticket_id FROM ticket_messages")).all() == [(2,)]
        assert conn.execute(text("SELECT id, severity FROM tickets ORDER BY id")).all() == [
            (1, "medium"),
            (2, "high"),
            (3, "high"),
        ]
    engine.dispose()
