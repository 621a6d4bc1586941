"""Onboarding step links hold what the payment-link form accepts (LINK_MAX, 2,000 characters).

The column was 500 characters: PostgreSQL refused a longer link and the form's submission failed.

Revision ID: 0005_text
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_text"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("onboarding_steps") as batch:
        batch.alter_column("link", existing_type=sa.String(500), type_=sa.String(2000), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("onboarding_steps") as batch:
        batch.alter_column("link", existing_type=sa.String(2000), type_=sa.String(500), existing_nullable=True)
