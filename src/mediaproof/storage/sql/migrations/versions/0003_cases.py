"""cases: notices, cases, decisions, appeals, actions, statements of reasons, webhooks, bank

Revision ID: 0003_cases
Revises: 0001_assets
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_cases"
down_revision = "0001_assets"  # re-chained after the 0002_* migrations at merge
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("clock", sa.String(200), nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("content_url", sa.String(2000), nullable=True),
        sa.Column("platform", sa.String(255), nullable=True),
        sa.Column("mime", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_media_sha256", "cases", ["media_sha256"])

    op.create_table(
        "case_notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("content_url", sa.String(2000), nullable=True),
        sa.Column("location", sa.String(1000), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("fingerprints", sa.Text(), nullable=False),
        sa.Column("reporter_name", sa.String(300), nullable=False),
        sa.Column("reporter_email", sa.String(320), nullable=False),
        sa.Column("relationship", sa.String(40), nullable=False),
        sa.Column("good_faith", sa.Boolean(), nullable=False),
        sa.Column("signature", sa.String(300), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("withdrawn_at", TS, nullable=True),
    )
    op.create_index("ix_case_notices_case_id", "case_notices", ["case_id"])
    op.create_index("ix_case_notices_received_at", "case_notices", ["received_at"])

    op.create_table(
        "case_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("rule_id", sa.String(50), nullable=False),
        sa.Column("policy_version", sa.String(50), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("second_reviewer", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("final_at", TS, nullable=True),
    )
    op.create_index("ix_case_decisions_case_id", "case_decisions", ["case_id"])
    op.create_index("ix_case_decisions_final_at", "case_decisions", ["final_at"])

    op.create_table(
        "case_appeals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("case_decisions.id"), nullable=False),
        sa.Column("party", sa.String(20), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_index("ix_case_appeals_case_id", "case_appeals", ["case_id"])
    op.create_index("ix_case_appeals_filed_at", "case_appeals", ["filed_at"])

    op.create_table(
        "case_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("case_decisions.id"), nullable=True),
        sa.Column("appeal_id", sa.Integer(), sa.ForeignKey("case_appeals.id"), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("content_url", sa.String(2000), nullable=True),
        sa.Column("automated_detection", sa.Boolean(), nullable=False),
        sa.Column("automated_decision", sa.Boolean(), nullable=False),
        sa.Column("ground", sa.String(20), nullable=False),
        sa.Column("appeal_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_case_actions_case_id", "case_actions", ["case_id"])
    op.create_index("ix_case_actions_created_at", "case_actions", ["created_at"])

    op.create_table(
        "case_statements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("puid", sa.String(500), nullable=False, unique=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("case_decisions.id"), nullable=True),
        sa.Column("appeal_id", sa.Integer(), sa.ForeignKey("case_appeals.id"), nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        sa.Column("human", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("exported_at", TS, nullable=True),
    )
    op.create_index("ix_case_statements_case_id", "case_statements", ["case_id"])
    op.create_index("ix_case_statements_created_at", "case_statements", ["created_at"])

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(255), nullable=False, unique=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )

    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(32), nullable=False, unique=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("case_actions.id"), nullable=False),
        sa.Column(
            "endpoint_id", sa.Integer(), sa.ForeignKey("webhook_endpoints.id"), nullable=False
        ),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_webhook_outbox_due", "webhook_outbox", ["status", "next_attempt_at"])

    op.create_table(
        "media_bank",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("fingerprints", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.UniqueConstraint("sha256", "case_id", name="uq_media_bank_sha256_case"),
    )
    op.create_index("ix_media_bank_case_id", "media_bank", ["case_id"])
    op.create_index("ix_media_bank_sha256", "media_bank", ["sha256"])

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(32), nullable=False, unique=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_case_events_sent_at", "case_events", ["sent_at"])


def downgrade() -> None:
    for table in (
        "case_events",
        "media_bank",
        "webhook_outbox",
        "webhook_endpoints",
        "case_statements",
        "case_actions",
        "case_appeals",
        "case_decisions",
        "case_notices",
        "cases",
    ):
        op.drop_table(table)
