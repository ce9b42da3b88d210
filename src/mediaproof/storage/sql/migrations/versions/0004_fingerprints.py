"""fingerprints: PDQ, vPDQ, MD5 and Chromaprint of registered originals

Revision ID: 0004_fingerprints
Revises: 0003_cases
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_fingerprints"
down_revision = "0003_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fingerprints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "asset_id",
            sa.Integer(),
            sa.ForeignKey("assets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("signal", sa.String(20), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("variant", sa.String(20), nullable=True),
        sa.Column("frame", sa.Integer(), nullable=True),
        sa.Column("frames_total", sa.Integer(), nullable=True),
        sa.Column("pipeline", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_fingerprints_signal_id", "fingerprints", ["signal", "id"])
    op.create_index("ix_fingerprints_asset_id", "fingerprints", ["asset_id"])
    op.create_index("ix_fingerprints_digest", "fingerprints", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_fingerprints_digest", table_name="fingerprints")
    op.drop_index("ix_fingerprints_asset_id", table_name="fingerprints")
    op.drop_index("ix_fingerprints_signal_id", table_name="fingerprints")
    op.drop_table("fingerprints")
