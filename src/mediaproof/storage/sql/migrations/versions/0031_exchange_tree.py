"""each collection log's tree kept as stored complete-subtree hashes, so a page of a
pull, its proofs and the checkpoint read O(page * log n) of them instead of hashing the
whole log (services/exchange_tree.py)

``exchange_tree_nodes``: the nodes; ``exchange_collections.tree_size``: how many leaves
they cover (0 for collections from before this revision: the first read builds them);
``tree_stale``: set by a trigger when a stored update's hashed fields change or a row is
deleted (rows are only ever appended), so answers go back to hashing the stored rows and
peers see the rewrite, as before this revision; a sync that finds the store consistent
with what was signed rebuilds the nodes and clears it.

Revision ID: 0031_exchange_tree
Revises: 0030_source_record_refs
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031_exchange_tree"
down_revision = "0030_source_record_refs"
branch_labels = None
depends_on = None

# the columns FeedRow.entry() hashes (and the row's collection)
HASHED = (
    "collection_id, seq, signal_type, value, category, tags, quality, owner, deleted, time, "
    "opinion, reason"
)


def upgrade() -> None:
    op.create_table(
        "exchange_tree_nodes",
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("exchange_collections.id"),
            primary_key=True,
        ),
        sa.Column("level", sa.Integer, primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    with op.batch_alter_table("exchange_collections") as b:
        b.add_column(sa.Column("tree_size", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("tree_stale", sa.Boolean, nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "sqlite":
        for event, name in ((f"UPDATE OF {HASHED}", "update"), ("DELETE", "delete")):
            op.execute(
                f"CREATE TRIGGER exchange_updates_tree_stale_{name} AFTER {event} "
                "ON exchange_updates FOR EACH ROW BEGIN "
                "UPDATE exchange_collections SET tree_stale = 1 WHERE id = OLD.collection_id; "
                "END"
            )
    else:
        op.execute(
            "CREATE FUNCTION exchange_updates_tree_stale() RETURNS trigger AS $$ BEGIN "
            "UPDATE exchange_collections SET tree_stale = true WHERE id = OLD.collection_id; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER exchange_updates_tree_stale AFTER UPDATE OF {HASHED} OR DELETE "
            "ON exchange_updates FOR EACH ROW EXECUTE FUNCTION exchange_updates_tree_stale()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER exchange_updates_tree_stale_update")
        op.execute("DROP TRIGGER exchange_updates_tree_stale_delete")
    else:
        op.execute("DROP TRIGGER exchange_updates_tree_stale ON exchange_updates")
        op.execute("DROP FUNCTION exchange_updates_tree_stale()")
    with op.batch_alter_table("exchange_collections") as b:
        b.drop_column("tree_stale")
        b.drop_column("tree_size")
    op.drop_table("exchange_tree_nodes")
