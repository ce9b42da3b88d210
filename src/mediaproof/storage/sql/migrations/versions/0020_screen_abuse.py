"""screening abuse handling: a tool's webhook deliveries (a ban, a lifted ban, an appeal
decided) go through the case workflow's webhook outbox, which so far only carried
actions; and the appeals of screening blocks, each linked to the case that carries it

Revision ID: 0020_screen_abuse
Revises: 0019_rate_buckets
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_screen_abuse"
down_revision = "0019_rate_buckets"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("webhook_outbox") as b:
        b.alter_column("action_id", existing_type=sa.Integer, nullable=True)
    op.create_table(
        "screen_appeals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("event_id", sa.Integer, nullable=False, unique=True),
        sa.Column("tool", sa.String(100), nullable=False),
        sa.Column("user_ref", sa.String(128), nullable=False),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_index("ix_screen_appeals_tool_user", "screen_appeals", ["tool", "user_ref"])


def downgrade() -> None:
    op.drop_index("ix_screen_appeals_tool_user", table_name="screen_appeals")
    op.drop_table("screen_appeals")
    with op.batch_alter_table("webhook_outbox") as b:
        b.alter_column("action_id", existing_type=sa.Integer, nullable=False)
