"""Which statements of reasons each party of a case reads.

A case whose outcome the bank applied to identical copies holds, besides the reviewers'
statements, one statement per copy (its automated decision, the appeal on it, the
decision that answered that appeal), each naming that copy's address. Those go to that
copy's uploader only: a reporter, the original uploader or another copy's uploader must
not learn where other people posted their copies, nor what was decided about them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediaproof.cases.bank import BANK_REVIEWER

if TYPE_CHECKING:
    from mediaproof.storage.sql.repos_cases import CaseRepository
    from mediaproof.storage.sql.tables_cases import ActionRow, StatementRow


def statements_for(
    repo: CaseRepository, case_id: int, action: ActionRow | None = None
) -> tuple[str, ...]:
    """The statements (text for people) a party of the case reads: ``action`` is the
    uploader's action behind their appeal token, None for a reporter."""
    decisions = {d.id: d for d in repo.decisions(case_id)}
    appeals = {a.id: a for a in repo.appeals(case_id)}
    copy_decisions = {
        d.id for d in decisions.values() if d.automated and d.reviewer == BANK_REVIEWER
    }
    copy_actions = {
        a.decision_id: a.id
        for a in repo.actions(case_id)
        if a.decision_id in copy_decisions and a.appeal_id is None
    }

    def copy_of(st: StatementRow) -> int | None:
        """The copy's action a statement is about (0 when the copy is unknown), None
        when it is about the case itself."""
        if st.decision_id in copy_decisions:
            return copy_actions.get(st.decision_id, 0)
        appeal_id = st.appeal_id
        if appeal_id is None and st.decision_id in decisions:
            appeal_id = decisions[st.decision_id].appeal_id  # a reversal's own decision
        ap = appeals.get(appeal_id) if appeal_id is not None else None
        if ap is None:
            return None
        if ap.decision_id in copy_decisions:
            return copy_actions.get(ap.decision_id, 0)
        return None

    mine = action.id if action is not None and action.decision_id in copy_decisions else None
    return tuple(
        st.human for st in repo.statements(case_id) if copy_of(st) in (None, mine)
    )
