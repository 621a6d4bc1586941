"""Customer tiers (issue 18): the tier a ticket was filed under.

- tickets.tier: the name of a [tiers.NAME] table of the routing file (SUPPORT_ROUTING_FILE), the
  customer's plan or "onboarding", decided when the ticket is filed; None: the global targets.

Revision ID: 0012_ticket_tier
Revises: 0011_ticket_area
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_ticket_tier"
down_revision = "0011_ticket_area"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("tier", sa.String(75), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("tier")
