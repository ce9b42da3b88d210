"""consent records (a person lets a tool maker use their face or voice synthetically)
and bans of a tool's users under the operator's ban rule

Revision ID: 0015_consent
Revises: 0014_fingerprint_index
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_consent"
down_revision = "0014_fingerprint_index"
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
    op.create_table(
        "screen_bans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tool", sa.String(100), nullable=False),
        sa.Column("user_ref", sa.String(128), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("window_s", sa.Integer, nullable=False),
        sa.Column("lifted_at", TS, nullable=True),
        sa.Column("lifted_by", sa.String(100), nullable=True),
        sa.Column("notified_at", TS, nullable=True),
    )
    op.create_index("ix_screen_bans_tool_user", "screen_bans", ["tool", "user_ref"])


def downgrade() -> None:
    op.drop_index("ix_screen_bans_tool_user", table_name="screen_bans")
    op.drop_table("screen_bans")
    op.drop_index("ix_screen_consents_grantee", table_name="screen_consents")
    op.drop_table("screen_consents")
