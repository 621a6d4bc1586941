"""Product areas (issue 18): the area a ticket belongs to.

- tickets.area: the name of its area in the routing file (SUPPORT_ROUTING_FILE); None: no area
  (the default triage channel, SUPPORT_TRIAGE_CHANNEL).

Revision ID: 0011_ticket_area
Revises: 0010_pending_customer
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_ticket_area"
down_revision = "0010_pending_customer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("area", sa.String(75), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("area")
