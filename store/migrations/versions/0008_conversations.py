"""Every customer message heard: conversations, intake modes, next-response clocks.

- customer_channels.intake_mode: all / ask / explicit (NULL: the SUPPORT_INTAKE default).
- tickets.severity may be NULL: a conversation has no severity until someone sets one.
- tickets.waiting_since: the customer has been waiting on us since (NULL: they are not).
- tickets.next_response_*: the next-response clock (a customer wrote again after a staff reply).
- ticket_threads: every top-level message of a conversation (its replies join the ticket).
- intake_asks: when a customer was last asked "track this?" in a channel (the ask cooldown).

Revision ID: 0008_conversations
Revises: 0007_channels
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0008_conversations"
down_revision = "0007_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_channels") as batch:
        batch.add_column(sa.Column("intake_mode", sa.String(16), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("severity", existing_type=sa.String(16), nullable=True)
        batch.add_column(sa.Column("waiting_since", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("next_response_warn_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("next_response_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("next_response_warned", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("next_response_breached_at", UTCDateTime(), nullable=True))
    # Tickets waiting on a first response when this runs are waiting since they were filed.
    op.execute("UPDATE tickets SET waiting_since = created_at WHERE first_response_at IS NULL AND status <> 'resolved'")
    op.create_index("ix_tickets_waiting", "tickets", ["waiting_since"])
    op.create_table(
        "ticket_threads",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("thread_ts", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "intake_asks",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("intake_asks")
    op.drop_table("ticket_threads")
    op.drop_index("ix_tickets_waiting", "tickets")
    op.execute("UPDATE tickets SET severity = 'medium' WHERE severity IS NULL")
    with op.batch_alter_table("tickets") as batch:
        for column in (
            "next_response_breached_at",
            "next_response_warned",
            "next_response_due_at",
            "next_response_warn_at",
            "waiting_since",
        ):
            batch.drop_column(column)
        batch.alter_column("severity", existing_type=sa.String(16), nullable=False)
    with op.batch_alter_table("customer_channels") as batch:
        batch.drop_column("intake_mode")
