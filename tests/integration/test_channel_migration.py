"""The migration that adds channel state keeps the channels a bot already had, on a real database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from store.db import make_engine
from store.migrate import _config, upgrade


def test_migration_keeps_existing_channels_as_customer_channels(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as conn:
        command.upgrade(_config(conn), "0004")
        conn.execute(
            text(
                "INSERT INTO customer_channels (channel_id, name, is_ext_shared, active, joined_at) "
                "VALUES ('C0OLD', 'acme', 1, 1, '2026-01-05 00:00:00')"
            )
        )
        conn.commit()
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state, archived_at FROM customer_channels")).all() == [("customer", None)]
        command.downgrade(_config(conn), "0004")
        conn.commit()
        assert conn.execute(text("SELECT channel_id FROM customer_channels")).all() == [("C0OLD",)]
    engine.dispose()
