"""Ticket workflow: SLA timers, critical update cadence, ratings, reporter team, source message,
and the customer org of each channel (for App Home).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("reporter_team_id", sa.String(32)),
    ("source_ts", sa.String(32)),
    ("sla_warn_at", UTCDateTime()),
    ("sla_due_at", UTCDateTime()),
    ("sla_breached_at", UTCDateTime()),
    ("last_staff_message_at", UTCDateTime()),
    ("next_update_due_at", UTCDateTime()),
    ("rating", sa.String(16)),
    ("rating_comment", sa.Text()),
    ("rated_by", sa.String(32)),
)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("sla_warned", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("updates_owed", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_tickets_reporter_team", ["reporter_team_id", "status"])
    with op.batch_alter_table("customer_channels") as batch:
        batch.add_column(sa.Column("customer_team_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_channels") as batch:
        batch.drop_column("customer_team_id")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_reporter_team")
        for name in ("updates_owed", "sla_warned", *(name for name, _ in COLUMNS)):
            batch.drop_column(name)
