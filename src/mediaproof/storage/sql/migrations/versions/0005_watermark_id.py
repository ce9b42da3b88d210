"""assets.watermark_id: the ID an asset's invisible watermark carries

Revision ID: 0005_watermark_id
Revises: 0004_fingerprints
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_watermark_id"
down_revision = "0004_fingerprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("watermark_id", sa.BigInteger(), nullable=True))
        batch.create_index("ix_assets_watermark_id", ["watermark_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_index("ix_assets_watermark_id")
        batch.drop_column("watermark_id")
