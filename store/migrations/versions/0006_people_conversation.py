"""A ticket's conversation is wherever people answer, and a reply's author may not be known yet.

- `tickets.source_thread_ts`: the thread the source message (🎫, shortcut, mention) lives in: its
  own ts for a top-level message, its parent's for a reply. Replies there count as replies in the
  card's thread, so it is indexed beside `thread_ts`.
- `ticket_messages.from_staff` may be NULL: "author not known yet" (users.info failed); it is
  settled later, and never guessed as "customer".

Revision ID: 0006_people
Revises: 0005_text
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_people"
down_revision = "0005_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("source_thread_ts", sa.String(32), nullable=True))
        batch.create_index("ix_tickets_source_thread", ["channel_id", "source_thread_ts"])
    op.execute("UPDATE tickets SET source_thread_ts = source_ts WHERE source_ts IS NOT NULL")
    with op.batch_alter_table("ticket_messages") as batch:
        batch.alter_column("from_staff", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE ticket_messages SET from_staff = false WHERE from_staff IS NULL")
    with op.batch_alter_table("ticket_messages") as batch:
        batch.alter_column("from_staff", existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_source_thread")
        batch.drop_column("source_thread_ts")
