"""exchange pulling: matches of uploads against received signals, the verdicts sent back
(an outbox), the local negative list, quarantine of flooding signals and the quality
gate's counts per source

Revision ID: 0022_exchange_pull_match
Revises: 0021_webhook_request_id
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_exchange_pull_match"
down_revision = "0021_webhook_request_id"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("exchange_peers") as b:
        b.add_column(sa.Column("gated_low_quality", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("gated_flat", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("exchange_incoming") as b:
        b.add_column(sa.Column("quarantined_at", TS, nullable=True))
        b.add_column(sa.Column("quarantine_reason", sa.Text, nullable=True))
    op.create_table(
        "exchange_matches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incoming_id", sa.Integer, nullable=True),
        sa.Column(
            "peer_id",
            sa.Integer,
            sa.ForeignKey("exchange_peers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("collection", sa.String(63), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("distance", sa.Integer, nullable=False),
        sa.Column("checkpoint_size", sa.Integer, nullable=False),
        sa.Column("checkpoint_root", sa.String(64), nullable=True),
        sa.Column("media_sha256", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("case_number", sa.String(40), nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_exchange_matches_signal", "exchange_matches", ["incoming_id", "at"])
    op.create_index("ix_exchange_matches_case_number", "exchange_matches", ["case_number"])
    op.create_table(
        "exchange_verdicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "match_id",
            sa.Integer,
            sa.ForeignKey("exchange_matches.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "peer_id",
            sa.Integer,
            sa.ForeignKey("exchange_peers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("opinion", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_exchange_verdicts_status", "exchange_verdicts", ["status"])
    op.create_table(
        "exchange_negatives",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.UniqueConstraint("signal_type", "digest", name="uq_exchange_negatives_signal"),
    )


def downgrade() -> None:
    op.drop_table("exchange_negatives")
    op.drop_index("ix_exchange_verdicts_status", table_name="exchange_verdicts")
    op.drop_table("exchange_verdicts")
    op.drop_index("ix_exchange_matches_case_number", table_name="exchange_matches")
    op.drop_index("ix_exchange_matches_signal", table_name="exchange_matches")
    op.drop_table("exchange_matches")
    with op.batch_alter_table("exchange_incoming") as b:
        b.drop_column("quarantine_reason")
        b.drop_column("quarantined_at")
    with op.batch_alter_table("exchange_peers") as b:
        b.drop_column("gated_flat")
        b.drop_column("gated_low_quality")
