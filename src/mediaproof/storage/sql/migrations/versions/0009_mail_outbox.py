"""case mail outbox: reporters' e-mail staged with the change it tells of

Revision ID: 0009_mail_outbox
Revises: 0008_notice_media
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_mail_outbox"
down_revision = "0008_notice_media"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_mail_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_case_mail_outbox_due", "case_mail_outbox", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_case_mail_outbox_due", table_name="case_mail_outbox")
    op.drop_table("case_mail_outbox")
