"""likeness: enrolments, kept samples, impostor reference, reports, alerts, seen media

Revision ID: 0007_likeness
Revises: 0006_case_web
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_likeness"
down_revision = "0006_case_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "likeness_enrolments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "likeness_samples",
        sa.Column(
            "enrolment_id",
            sa.String(64),
            sa.ForeignKey("likeness_enrolments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "likeness_reference",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_likeness_reference_modality", "likeness_reference", ["modality", "id"])
    op.create_table(
        "likeness_reports",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "likeness_report_subjects",
        sa.Column("report_id", sa.String(64), primary_key=True),
        sa.Column("enrolment_id", sa.String(64), primary_key=True),
    )
    op.create_index(
        "ix_likeness_report_subjects_enrolment", "likeness_report_subjects", ["enrolment_id"]
    )
    op.create_table(
        "likeness_alerts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("enrolment_id", sa.String(64), nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_likeness_alerts_enrolment", "likeness_alerts", ["enrolment_id"])
    op.create_table(
        "likeness_seen",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("likeness_seen")
    op.drop_index("ix_likeness_alerts_enrolment", table_name="likeness_alerts")
    op.drop_table("likeness_alerts")
    op.drop_index("ix_likeness_report_subjects_enrolment", table_name="likeness_report_subjects")
    op.drop_table("likeness_report_subjects")
    op.drop_table("likeness_reports")
    op.drop_index("ix_likeness_reference_modality", table_name="likeness_reference")
    op.drop_table("likeness_reference")
    op.drop_table("likeness_samples")
    op.drop_table("likeness_enrolments")
