"""rate-limit buckets in the database, shared by every API process

Revision ID: 0018_h20_rate_buckets
Revises: 0017_exchange_opinions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_h20_rate_buckets"
down_revision = "0017_exchange_opinions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("bucket", sa.String(40), primary_key=True),
        sa.Column("client", sa.String(200), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("stamp", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
    )
    op.create_index("ix_rate_buckets_stamp", "rate_buckets", ["stamp"])


def downgrade() -> None:
    op.drop_index("ix_rate_buckets_stamp", "rate_buckets")
    op.drop_table("rate_buckets")
