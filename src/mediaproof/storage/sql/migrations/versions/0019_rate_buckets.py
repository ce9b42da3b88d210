"""rate-limit buckets in the database, shared by every API process (UNLOGGED on PostgreSQL)

Revision ID: 0019_rate_buckets
Revises: 0018_exchange_contributions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_rate_buckets"
down_revision = "0018_exchange_contributions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # UNLOGGED on PostgreSQL: a take writes no WAL and its commit waits for no disk flush
    # (bench/bench_rate_limits.py); after a server crash the table is empty, which is
    # every bucket full again, and standbys do not carry it: both harmless for limits
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rate_buckets",
        sa.Column("bucket", sa.String(40), primary_key=True),
        sa.Column("client", sa.String(200), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("stamp", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        prefixes=["UNLOGGED"] if pg else [],
    )
    op.create_index("ix_rate_buckets_stamp", "rate_buckets", ["stamp"])


def downgrade() -> None:
    op.drop_index("ix_rate_buckets_stamp", "rate_buckets")
    op.drop_table("rate_buckets")
