"""Customer channels through their life: state (customer / pending / internal), archived_at.

Channels recorded before this migration were all treated as customer channels: they stay so.

Revision ID: 0007_channels
Revises: 0006_people
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0007_channels"
down_revision = "0006_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_channels") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="customer"))
        batch.add_column(sa.Column("archived_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_channels") as batch:
        batch.drop_column("archived_at")
        batch.drop_column("state")
