"""case web layer: notices carry their analysis report and the filing account; verified
candidates approved by an admin

Revision ID: 0006_case_web
Revises: 0005_watermark_id
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_case_web"
down_revision = "0005_watermark_id"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case_notices") as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("analysis", sa.Text(), nullable=True))
        batch.create_index("ix_case_notices_account_id", ["account_id"])
        batch.create_foreign_key("fk_case_notices_account", "users", ["account_id"], ["id"])
    op.create_table(
        "verified_candidates",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("approved_by", sa.String(64), nullable=False),
        sa.Column("approved_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("verified_candidates")
    with op.batch_alter_table("case_notices") as batch:
        batch.drop_constraint("fk_case_notices_account", type_="foreignkey")
        batch.drop_index("ix_case_notices_account_id")
        batch.drop_column("analysis")
        batch.drop_column("account_id")
