"""consent records: a person lets a tool maker use their face or voice synthetically

Revision ID: 0015_consent
Revises: 0013_screening
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_consent"
down_revision = "0013_screening"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "screen_consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(40), nullable=False, unique=True),
        sa.Column("enrolment_id", sa.String(64), nullable=False),
        sa.Column("grantee_id", sa.Integer, nullable=False),
        sa.Column("modalities", sa.Text, nullable=False),
        sa.Column("permitted_uses", sa.Text, nullable=False),
        sa.Column("prohibited_uses", sa.Text, nullable=False),
        sa.Column("territory", sa.Text, nullable=False),
        sa.Column("valid_from", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=False),
        sa.Column("signed_how", sa.String(40), nullable=False),
        sa.Column("granted_by", sa.String(10), nullable=False),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
    )
    op.create_index(
        "ix_screen_consents_grantee", "screen_consents", ["grantee_id", "enrolment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_screen_consents_grantee", table_name="screen_consents")
    op.drop_table("screen_consents")
