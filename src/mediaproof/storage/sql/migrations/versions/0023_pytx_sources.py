"""exchange sources pulled through python-threatexchange's exchanges: the kind of each
source, its settings, where its credentials file is, the library's checkpoint, the count
of records of types we do not match, and which of the exchange's records gave each
received signal (so a deleted record takes its signals out)

Revision ID: 0023_pytx_sources
Revises: 0022_exchange_pull_match
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_pytx_sources"
down_revision = "0022_exchange_pull_match"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_peers") as b:
        b.add_column(sa.Column("kind", sa.String(40), nullable=False, server_default="mediaproof"))
        b.add_column(sa.Column("source_config", sa.Text, nullable=True))
        b.add_column(sa.Column("credentials_file", sa.String(2000), nullable=True))
        b.add_column(sa.Column("pytx_checkpoint", sa.Text, nullable=True))
        b.add_column(sa.Column("skipped_types", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "exchange_source_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "peer_id",
            sa.Integer,
            sa.ForeignKey("exchange_peers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.UniqueConstraint(
            "peer_id", "key_digest", "signal_type", "digest", name="uq_exchange_source_records"
        ),
    )
    op.create_index(
        "ix_exchange_source_records_signal",
        "exchange_source_records",
        ["peer_id", "signal_type", "digest"],
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_source_records_signal", table_name="exchange_source_records")
    op.drop_table("exchange_source_records")
    with op.batch_alter_table("exchange_peers") as b:
        b.drop_column("skipped_types")
        b.drop_column("pytx_checkpoint")
        b.drop_column("credentials_file")
        b.drop_column("source_config")
        b.drop_column("kind")
