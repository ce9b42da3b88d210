"""fingerprint index as deployed: an (status, id) index on assets; imported hash lists

Every process serving fingerprint lookups asks, about once a second, which assets are
no longer active. Without an index that was a scan of every asset (about 23 ms at a
million assets); with it, an index-only read of the few inactive ones.

``hash_lists`` / ``hash_list_entries``: hashes imported in bulk (``mediaproof
fingerprints import``), kept apart from registered originals (docs/fingerprints.md).

Revision ID: 0014_fingerprint_index
Revises: 0013_screening
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_fingerprint_index"
down_revision = "0013_screening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assets_status_id", "assets", ["status", "id"])
    op.create_table(
        "hash_lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "hash_list_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "list_id", sa.Integer, sa.ForeignKey("hash_lists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("tags", sa.String(500), nullable=True),
    )
    op.create_index(
        "ix_hash_list_entries_signal_id", "hash_list_entries", ["signal_type", "id"]
    )
    op.create_index("ix_hash_list_entries_value", "hash_list_entries", ["value"])
    op.create_index("ix_hash_list_entries_list", "hash_list_entries", ["list_id"])


def downgrade() -> None:
    op.drop_table("hash_list_entries")
    op.drop_table("hash_lists")
    op.drop_index("ix_assets_status_id", table_name="assets")
