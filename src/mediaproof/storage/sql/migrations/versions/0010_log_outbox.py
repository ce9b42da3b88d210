"""log outbox and idempotent publishing: log entries staged with the registration they
record; assets remember their publisher and the digest of the file handed in

Revision ID: 0010_log_outbox
Revises: 0009_mail_outbox
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_log_outbox"
down_revision = "0009_mail_outbox"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "log_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asset_id", sa.Integer, nullable=True),
        sa.Column("entry_type", sa.String(40), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("attempt_size", sa.BigInteger, nullable=True),
        sa.Column("log_index", sa.BigInteger, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_log_outbox_asset_id", "log_outbox", ["asset_id"])
    op.create_index("ix_log_outbox_sent_at", "log_outbox", ["sent_at"])
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("publisher", sa.String(100), nullable=True))
        batch.add_column(sa.Column("source_sha256", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_assets_publisher_source", ["publisher", "source_sha256"])
    # Assets registered before this revision have no outbox row: the service's start-up
    # reconciliation finds which of them the log holds and stages the others.


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_constraint("uq_assets_publisher_source", type_="unique")
        batch.drop_column("source_sha256")
        batch.drop_column("publisher")
    op.drop_index("ix_log_outbox_sent_at", table_name="log_outbox")
    op.drop_index("ix_log_outbox_asset_id", table_name="log_outbox")
    op.drop_table("log_outbox")
