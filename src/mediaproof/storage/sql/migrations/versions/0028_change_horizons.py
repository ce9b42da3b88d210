"""how far each change sequence was pruned (index_changes, case_media_changes)

``change_horizons``: one row per pruned change table (``name``), written in the same
transaction as the delete: every change with ``seq`` at or below ``seq`` may be gone, so
a follower whose place is below it rebuilds from the rows instead. No rows are inserted
here: a table without a row was never pruned (horizon 0).

Revision ID: 0028_change_horizons
Revises: 0027_case_media_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_change_horizons"
down_revision = "0027_case_media_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_horizons",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("change_horizons")
