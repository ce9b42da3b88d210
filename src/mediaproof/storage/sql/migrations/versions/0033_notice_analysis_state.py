"""the outcome of a notice's background analysis: ``analysis_state`` on ``case_notices``
(NULL while none is recorded: no background analysis, or one still to come; ``done``;
``failed``) and ``analysis_error`` (JSON: a short code and a reviewer-facing message,
no personal data, no file paths)

Revision ID: 0033_notice_analysis_state
Revises: 0032_job_parts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033_notice_analysis_state"
down_revision = "0032_job_parts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_notices") as b:
        b.add_column(sa.Column("analysis_state", sa.String(10), nullable=True))
        b.add_column(sa.Column("analysis_error", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_notices") as b:
        b.drop_column("analysis_error")
        b.drop_column("analysis_state")
