"""prompt screening: protected officials, seed examples, blocks and reviews per tool

Revision ID: 0013_screening
Revises: 0012_exchange
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_screening"
down_revision = "0012_exchange"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "screen_officials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("aliases", sa.Text, nullable=False),
        sa.Column("role", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "screen_seeds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scenario", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "screen_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("tool", sa.String(100), nullable=False),
        sa.Column("user_ref", sa.String(128), nullable=True),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("prompt_hmac", sa.String(64), nullable=False),
        sa.Column("prompt_text", sa.Text, nullable=True),
        sa.Column("reasons", sa.Text, nullable=False),
    )
    op.create_index("ix_screen_events_tool_user", "screen_events", ["tool", "user_ref", "at"])


def downgrade() -> None:
    op.drop_index("ix_screen_events_tool_user", table_name="screen_events")
    op.drop_table("screen_events")
    op.drop_table("screen_seeds")
    op.drop_table("screen_officials")
