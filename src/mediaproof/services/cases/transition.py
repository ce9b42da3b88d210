"""The step every state change of a case takes, in one place.

``decide``, ``confirm``, ``reject``, ``appeal`` and ``decide_appeal`` (and the bank,
withdrawals) each open a case in a transaction, check who is acting (recusal of the
case's reporters, four eyes, a different reviewer for appeals), move the case through the
state machine under its version guard, and collect the log events and e-mail the change
causes. :class:`Transition` owns those steps; ``CaseContext.transition`` wraps it in the
transaction and hands events and e-mail on after the commit::

    with ctx.transition(now) as t:
        case = t.open(ref)
        t.check_reviewer(reviewer)
        t.move(Step.DECIDE)
        ...  # rows for the decision; t.events / t.mails for what it caused
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mediaproof.cases.machine import (
    Step,
    check_appeal_reviewer,
    check_not_party,
    check_second_reviewer,
    next_state,
    settle,
)
from mediaproof.cases.models import CaseState
from mediaproof.errors import ConflictError
from mediaproof.services.cases.results import Mail
from mediaproof.storage.sql.repos_case_outbox import CaseOutboxRepository
from mediaproof.storage.sql.repos_cases import CaseRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaproof.storage.sql.tables_cases import AppealRow, CaseRow


class Transition:
    """One change to one case inside one transaction (made by ``CaseContext.transition``)."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.repo = CaseRepository(session)
        self.outbox = CaseOutboxRepository(session)
        self.now = now
        self.events: list[dict[str, Any]] = []  # staged in this order
        self.mails: list[Mail] = []
        self._case: CaseRow | None = None
        self._seen = 0  # the version the change is guarded on

    @property
    def case(self) -> CaseRow:
        if self._case is None:
            raise RuntimeError("open the case before acting on it")  # a bug, not input
        return self._case

    def open(self, ref: str | int, *, expected_version: int | None = None) -> CaseRow:
        """The case by id, number or public id. ``expected_version``: the version the
        reviewer saw; a case changed since then is a :class:`ConflictError`."""
        case = self.repo.case(ref)
        if expected_version is not None and expected_version != case.version:
            raise ConflictError(
                f"case {case.number} changed since you opened it (version "
                f"{expected_version}, now {case.version}); reload it and decide again"
            )
        self._case, self._seen = case, case.version
        return case

    def open_appeal(self, ref: str | int) -> tuple[AppealRow, CaseRow]:
        appeal = self.repo.appeal(ref)
        return appeal, self.open(appeal.case_id)

    def check_reviewer(
        self,
        reviewer: str,
        *,
        proposer: str | None = None,
        decided_by: tuple[str | None, ...] | None = None,
    ) -> None:
        """May ``reviewer`` act on the case? Never one of its reporters (recusal); with
        ``proposer``, a second reviewer other than the proposer (four eyes); with
        ``decided_by``, an appeal reviewer who took no part in the decision appealed."""
        parties = self.repo.parties(self.case.id)
        if decided_by is not None:
            check_appeal_reviewer(reviewer, decided_by, parties)
        elif proposer is not None:
            check_second_reviewer(proposer, reviewer, parties)
        else:
            check_not_party(reviewer, parties)

    def move(self, step: Step, **extra: Any) -> CaseState:
        """Take ``step`` in the state machine, guarded on the version the case was opened
        at (someone else's change in between is a :class:`ConflictError`)."""
        case = self.case
        state = next_state(CaseState(case.state), step)
        if step is not Step.NOTICE:  # a notice joining changes no appeal
            # counted with the appeal this transition added or decided (autoflush)
            pending = self.repo.pending_appeals(case.id)
            decided = len(self.repo.appeals(case.id)) > pending
            state = settle(state, pending_appeals=pending, appeals_decided=decided)
        self.repo.move(case, self._seen, state, self.now, **extra)
        self._seen = case.version
        return state
