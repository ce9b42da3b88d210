"""exchange opinions: an update of a collection may be an opinion on one of its signals
(owner, opinion, reason), a leaf of the collection's log like any other update

Revision ID: 0017_exchange_opinions
Revises: 0016_jobs
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_exchange_opinions"
down_revision = "0016_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_updates") as b:
        b.add_column(sa.Column("opinion", sa.String(20), nullable=True))
        b.add_column(sa.Column("reason", sa.Text, nullable=True))
    op.create_index(
        "ix_exchange_updates_opinion",
        "exchange_updates",
        ["collection_id", "signal_type", "opinion"],
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_updates_opinion", table_name="exchange_updates")
    with op.batch_alter_table("exchange_updates") as b:
        b.drop_column("reason")
        b.drop_column("opinion")
