"""the exchange's own ids beside each record's signal, for verdicts

``exchange_source_records.ref``: the ids a verdict on the signal goes to at a
python-threatexchange exchange (ThreatExchange descriptor ids, an NCMEC entry), as JSON.
Rows from before this revision have none: a verdict on such a signal is refused with
that reason until the exchange sends the record again.

Revision ID: 0030_source_record_refs
Revises: 0029_appeals_per_party
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030_source_record_refs"
down_revision = "0029_appeals_per_party"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_source_records") as b:
        b.add_column(sa.Column("ref", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_source_records") as b:
        b.drop_column("ref")
