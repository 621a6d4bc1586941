"""Tickets waiting on the customer are reminded, then closed (issue 18).

- tickets.pending_since: when the ticket started waiting on the customer (None: not waiting).
- tickets.pending_remind_at / pending_close_at: when the customer is reminded / the ticket closed.
- tickets.pending_reminded_at: when the reminder was owed (once per wait).

Tickets already waiting count from their last change (`updated_at`), with the default delays
(5 and 7 days): never sooner than they would have been had the feature been there all along.

Revision ID: 0010_pending_customer
Revises: 0009_triage_batches
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0010_pending_customer"
down_revision = "0009_triage_batches"
branch_labels = None
depends_on = None

_COLUMNS = ("pending_since", "pending_remind_at", "pending_close_at", "pending_reminded_at")
_REMIND, _CLOSE = timedelta(days=5), timedelta(days=7)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, UTCDateTime(), nullable=True))
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("updated_at", UTCDateTime()),
        *(sa.column(name, UTCDateTime()) for name in _COLUMNS),
    )
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(tickets.c.id, tickets.c.updated_at).where(tickets.c.status == "waiting_on_customer")
    ).all()
    for ticket_id, since in waiting:  # in Python: date arithmetic differs between SQLite and PostgreSQL
        bind.execute(
            tickets.update()
            .where(tickets.c.id == ticket_id)
            .values(pending_since=since, pending_remind_at=since + _REMIND, pending_close_at=since + _CLOSE)
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
