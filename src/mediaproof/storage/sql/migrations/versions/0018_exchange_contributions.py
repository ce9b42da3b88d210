"""exchange contributions: signals peers submit to a collection, pending review

Revision ID: 0018_exchange_contributions
Revises: 0017_exchange_opinions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_exchange_contributions"
down_revision = "0017_exchange_opinions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "exchange_contributions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "collection_id", sa.Integer, sa.ForeignKey("exchange_collections.id"), nullable=False
        ),
        sa.Column("contributor", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("token_id", sa.Integer, nullable=True),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("quality", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_at", ts, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", ts, nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
        sa.Column("seq", sa.Integer, nullable=True),
    )
    op.create_index(
        "ix_exchange_contributions_status", "exchange_contributions", ["status", "collection_id"]
    )
    op.create_index(
        "ix_exchange_contributions_signal",
        "exchange_contributions",
        ["collection_id", "signal_type", "digest"],
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_contributions_signal", table_name="exchange_contributions")
    op.drop_index("ix_exchange_contributions_status", table_name="exchange_contributions")
    op.drop_table("exchange_contributions")
