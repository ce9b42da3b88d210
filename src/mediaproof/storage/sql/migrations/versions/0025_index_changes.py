"""the change sequence the sharded matchers follow (issue 20, item 3)

``index_changes``: one row per stored registration ("add") and per status change of an
asset ("status"), numbered in commit order. A matcher process loads its shard's snapshot
(built from rows up to some ``seq``) and applies the changes after it. Registrations
made before this revision need no rows here: a snapshot or a replica without one reads
the fingerprint rows themselves.

Revision ID: 0025_index_changes
Revises: 0024_log_outbox_body_index
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_index_changes"
down_revision = "0024_log_outbox_body_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("asset_id", sa.Integer, nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("index_changes")
