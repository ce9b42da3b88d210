"""exchange matching at scale: received and negative signals' ids are never reused (the
in-memory index tops up from ids above the last it saw), and a lookup of an exact type
(video_md5) by value across every source

Revision ID: 0026_exchange_index
Revises: 0025_index_changes
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0026_exchange_index"
down_revision = "0025_index_changes"
branch_labels = None
depends_on = None

TABLES = ("exchange_incoming", "exchange_negatives")


def _autoincrement(on: bool) -> None:
    # SQLite only: a rowid table hands out max(id) + 1, so a deleted top id comes back;
    # AUTOINCREMENT never does (PostgreSQL's sequences never do either)
    if op.get_bind().dialect.name != "sqlite":
        return
    for t in TABLES:
        with op.batch_alter_table(t, recreate="always", table_kwargs={"sqlite_autoincrement": on}):
            pass


def upgrade() -> None:
    _autoincrement(True)
    op.create_index(
        "ix_exchange_incoming_type_digest", "exchange_incoming", ["signal_type", "digest"]
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_incoming_type_digest", table_name="exchange_incoming")
    _autoincrement(False)
