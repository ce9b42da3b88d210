"""exchange: published collections, their updates (log leaves), grants, read audit,
peers pulled from and the signals received from them

Revision ID: 0012_exchange
Revises: 0011_webhook_secrets_sealed
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_exchange"
down_revision = "0011_webhook_secrets_sealed"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchange_collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("signal_types", sa.String(200), nullable=False),
        sa.Column("tlp", sa.String(20), nullable=False),
        sa.Column("policy_url", sa.String(2000), nullable=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("tombstone_days", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("synced_at", TS, nullable=True),
        sa.Column("signed_size", sa.Integer, nullable=False),
        sa.Column("signed_root", sa.String(64), nullable=True),
        sa.Column("alarm", sa.Text, nullable=True),
    )
    op.create_table(
        "exchange_updates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "collection_id", sa.Integer, sa.ForeignKey("exchange_collections.id"), nullable=False
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("quality", sa.Integer, nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("collection_id", "seq", name="uq_exchange_updates_seq"),
    )
    op.create_index(
        "ix_exchange_updates_created", "exchange_updates", ["collection_id", "created_at"]
    )
    op.create_table(
        "exchange_grants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "token_id",
            sa.Integer,
            sa.ForeignKey("api_tokens.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "collection_id", sa.Integer, sa.ForeignKey("exchange_collections.id"), nullable=False
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("token_id", "collection_id", name="uq_exchange_grants_token"),
    )
    op.create_table(
        "exchange_reads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "collection_id", sa.Integer, sa.ForeignKey("exchange_collections.id"), nullable=False
        ),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("token_id", sa.Integer, nullable=True),
        sa.Column("what", sa.String(30), nullable=False),
        sa.Column("after", sa.Integer, nullable=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_exchange_reads_collection_id", "exchange_reads", ["collection_id"])
    op.create_table(
        "exchange_peers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("collection", sa.String(63), nullable=False),
        sa.Column("token", sa.String(300), nullable=False),
        sa.Column("vkey", sa.String(500), nullable=False),
        sa.Column("trusted_size", sa.Integer, nullable=False),
        sa.Column("trusted_root", sa.String(64), nullable=True),
        sa.Column("checkpoint", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_pull_at", TS, nullable=True),
        sa.Column("last_ok_at", TS, nullable=True),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "exchange_incoming",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "peer_id",
            sa.Integer,
            sa.ForeignKey("exchange_peers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("quality", sa.Integer, nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("review", sa.String(20), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("peer_id", "signal_type", "digest", name="uq_exchange_incoming_signal"),
    )
    op.create_table(
        "exchange_withdrawals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "collection_id", sa.Integer, sa.ForeignKey("exchange_collections.id"), nullable=False
        ),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.UniqueConstraint(
            "collection_id", "signal_type", "digest", name="uq_exchange_withdrawals_signal"
        ),
    )


def downgrade() -> None:
    op.drop_table("exchange_withdrawals")
    op.drop_table("exchange_incoming")
    op.drop_table("exchange_peers")
    op.drop_index("ix_exchange_reads_collection_id", table_name="exchange_reads")
    op.drop_table("exchange_reads")
    op.drop_table("exchange_grants")
    op.drop_index("ix_exchange_updates_created", table_name="exchange_updates")
    op.drop_table("exchange_updates")
    op.drop_table("exchange_collections")
