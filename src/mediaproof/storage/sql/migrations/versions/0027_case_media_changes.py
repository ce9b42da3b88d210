"""the change sequence the case media index follows (notices joined by fingerprint, the
bank of confirmed deceptive media)

``case_media_changes``: one row per notice or bank row whose media changed (filed,
fingerprints added, banked, switched off by a reversal), numbered in commit order. The
index reads rows by id and re-reads the row of every change after the last it followed,
so a row that committed after a higher id was read (two writers on PostgreSQL) is not
passed over. Rows from before this revision need no change rows: the index loads them
by id when it starts.

Revision ID: 0027_case_media_changes
Revises: 0026_exchange_index
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_case_media_changes"
down_revision = "0026_exchange_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_media_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("row_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_media_changes")
