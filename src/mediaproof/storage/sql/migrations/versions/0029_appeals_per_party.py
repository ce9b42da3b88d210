"""appeals per decision and party: an appeal names who lodged it (the reporter's notice,
or the uploader's action), so each party may appeal each decision it received once;
a decision taken on an appeal names that appeal

``case_appeals.notice_id`` / ``action_id``: the appellant (a reporter's notice, an
uploader's action; neither for an automated restriction's appeal), unique per decision.
``case_decisions.appeal_id``: the appeal a decision answers (a reversal's "no action",
or the new outcome that reversed "no action"); its appellant cannot appeal it again.
Appeals lodged before this revision (one per case then) get their party where the rows
tell it: an uploader's, the action of the decision appealed; a reporter's, the case's
notice when it has only one. The others name no party, and the rule cannot apply to them.

Revision ID: 0029_appeals_per_party
Revises: 0028_change_horizons
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_appeals_per_party"
down_revision = "0028_change_horizons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_appeals") as batch:
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("action_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_case_appeals_notice", "case_notices", ["notice_id"], ["id"])
        batch.create_foreign_key("fk_case_appeals_action", "case_actions", ["action_id"], ["id"])
        # NULLs never collide: appeals without a named party are not constrained
        batch.create_unique_constraint(
            "uq_case_appeals_decision_notice", ["decision_id", "notice_id"]
        )
        batch.create_unique_constraint(
            "uq_case_appeals_decision_action", ["decision_id", "action_id"]
        )
    op.execute(
        "UPDATE case_appeals SET action_id = (SELECT MIN(x.id) FROM case_actions x"
        " WHERE x.decision_id = case_appeals.decision_id AND x.action <> 'restore')"
        " WHERE party = 'uploader'"
    )
    op.execute(
        "UPDATE case_appeals SET notice_id = (SELECT MIN(n.id) FROM case_notices n"
        " WHERE n.case_id = case_appeals.case_id)"
        " WHERE party = 'reporter' AND (SELECT COUNT(*) FROM case_notices n"
        " WHERE n.case_id = case_appeals.case_id) = 1"
    )
    with op.batch_alter_table("case_decisions") as batch:
        batch.add_column(sa.Column("appeal_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_case_decisions_appeal", "case_appeals", ["appeal_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("case_decisions") as batch:
        batch.drop_constraint("fk_case_decisions_appeal", type_="foreignkey")
        batch.drop_column("appeal_id")
    with op.batch_alter_table("case_appeals") as batch:
        batch.drop_constraint("uq_case_appeals_decision_action", type_="unique")
        batch.drop_constraint("uq_case_appeals_decision_notice", type_="unique")
        batch.drop_constraint("fk_case_appeals_action", type_="foreignkey")
        batch.drop_constraint("fk_case_appeals_notice", type_="foreignkey")
        batch.drop_column("action_id")
        batch.drop_column("notice_id")
