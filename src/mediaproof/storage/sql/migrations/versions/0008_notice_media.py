"""notice media: the reported file kept in the blob store until a retention date

Revision ID: 0008_notice_media
Revises: 0007_likeness
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_notice_media"
down_revision = "0007_likeness"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case_notices") as batch:
        batch.add_column(sa.Column("media_mime", sa.String(100), nullable=True))
        batch.add_column(sa.Column("media_kept_until", TS, nullable=True))
        batch.create_index("ix_case_notices_media_kept_until", ["media_kept_until"])


def downgrade() -> None:
    with op.batch_alter_table("case_notices") as batch:
        batch.drop_index("ix_case_notices_media_kept_until")
        batch.drop_column("media_kept_until")
        batch.drop_column("media_mime")
