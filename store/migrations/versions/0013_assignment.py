"""Automatic assignment (issue 18): round_robin's rotation per route.

- assignment_rotations: per route (an area's name), who got its latest ticket and how many it gave
  out; locked while a pick is made, so the rotation is fair across restarts and replicas.
- ix_tickets_area_assignee: counting the open tickets each member of a route holds.

Revision ID: 0013_assignment
Revises: 0012_ticket_tier
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0013_assignment"
down_revision = "0012_ticket_tier"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignment_rotations",
        sa.Column("route", sa.String(100), primary_key=True),
        sa.Column("last_user_id", sa.String(32), nullable=True),
        sa.Column("picks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_tickets_area_assignee", "tickets", ["area", "assignee_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_area_assignee", table_name="tickets")
    op.drop_table("assignment_rotations")
