"""assets: the registry of signed and registered originals

Revision ID: 0001_assets
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_assets"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("author", sa.String(300), nullable=True),
        sa.Column("source_type", sa.String(100), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("signer_subject", sa.String(500), nullable=True),
        sa.Column("signer_issuer", sa.String(500), nullable=True),
        sa.Column("manifest_label", sa.String(300), nullable=True),
        sa.Column("manifest_store", sa.LargeBinary(), nullable=True),
        sa.Column("original_blob", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assets_sha256", "assets", ["sha256"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_assets_sha256", table_name="assets")
    op.drop_table("assets")
