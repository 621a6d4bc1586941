"""Onboarding: customer records and checklist steps.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from store.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("channel_id", sa.String(32), sa.ForeignKey("customer_channels.channel_id"), primary_key=True),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("monthly_events", sa.BigInteger(), nullable=True),
        sa.Column("maus", sa.BigInteger(), nullable=True),
        sa.Column("cloud_provider", sa.String(16), nullable=False),
        sa.Column("plan", sa.String(16), nullable=False),
        sa.Column("monthly_spend", sa.BigInteger(), nullable=False),
        sa.Column("cs_owner_id", sa.String(32), nullable=False),
        sa.Column("started_by", sa.String(32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("checklist_ts", sa.String(32), nullable=True),
        sa.Column("size_warned", sa.Boolean(), nullable=False),
        sa.Column("nudges_sent", sa.Integer(), nullable=False),
        sa.Column("last_nudge_at", UTCDateTime(), nullable=True),
        sa.Column("next_nudge_at", UTCDateTime(), nullable=True),
        sa.Column("milestones_sent", sa.Integer(), nullable=False),
    )
    op.create_table(
        "onboarding_steps",
        sa.Column("channel_id", sa.String(32), sa.ForeignKey("customers.channel_id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("by_user", sa.String(32), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=True),
        sa.Column("link", sa.String(500), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("onboarding_steps")
    op.drop_table("customers")
