"""webhook deliveries remember the request id of the request that caused them, and send
it as X-Request-ID (docs/deploy.md, "Metrics and logs")

Revision ID: 0021_webhook_request_id
Revises: 0020_screen_abuse
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_webhook_request_id"
down_revision = "0020_screen_abuse"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_outbox") as b:
        b.add_column(sa.Column("request_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_outbox") as b:
        b.drop_column("request_id")
