"""long media split into parts: ``job_parts`` (one row per part of a job, with what it
read) and, on ``jobs``, ``parts`` (how many), ``combiner`` (the part whose task claimed
the combine step) and ``combines`` (how many times the combine was started)

Revision ID: 0032_job_parts
Revises: 0031_exchange_tree
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032_job_parts"
down_revision = "0031_exchange_tree"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_parts",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("span", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_try", sa.Boolean, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
    )
    with op.batch_alter_table("jobs") as b:
        b.add_column(sa.Column("parts", sa.Integer, nullable=True))
        b.add_column(sa.Column("combiner", sa.Integer, nullable=True))
        b.add_column(sa.Column("combines", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as b:
        b.drop_column("combines")
        b.drop_column("combiner")
        b.drop_column("parts")
    op.drop_table("job_parts")
