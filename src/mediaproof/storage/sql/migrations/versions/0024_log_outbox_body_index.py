"""an index on the log outbox's leaf bodies: finding where a screening event's leaf
landed looked the body up by scanning every staged and sent leaf

Revision ID: 0024_log_outbox_body_index
Revises: 0023_pytx_sources
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0024_log_outbox_body_index"
down_revision = "0023_pytx_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # hash on PostgreSQL: equality only, and no btree size limit on a long bytea
    op.create_index("ix_log_outbox_body", "log_outbox", ["body"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_log_outbox_body", table_name="log_outbox")
