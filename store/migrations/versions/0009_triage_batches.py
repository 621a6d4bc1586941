"""A burst must not bury triage: triage summaries.

- triage_batches: one summary post listing the tickets of a burst (updated in place as it grows).
- tickets.triage_batch_id: the summary a ticket was listed in instead of its own triage card.

Revision ID: 0009_triage_batches
Revises: 0008_conversations
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0009_triage_batches"
down_revision = "0008_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triage_batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("last_joined_at", UTCDateTime(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("shown_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rendered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("channel_id", "seq", name="uq_triage_batches_seq"),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("triage_batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_tickets_triage_batch", "triage_batches", ["triage_batch_id"], ["id"])
    op.create_index("ix_tickets_triage_batch", "tickets", ["triage_batch_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_triage_batch", "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("fk_tickets_triage_batch", type_="foreignkey")
        batch.drop_column("triage_batch_id")
    op.drop_table("triage_batches")
