"""Reviewers' work: the queues, a case in full, and decisions (decide; the second
reviewer's confirm or reject of a proposed removal)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from mediaproof.cases.machine import Step, decision_step
from mediaproof.cases.models import (
    CaseView,
    DecisionStatus,
    NoticeCategory,
    Outcome,
    Relationship,
    SourceType,
)
from mediaproof.errors import UsageError
from mediaproof.services.cases.core import CaseContext, _utc, scrub
from mediaproof.services.cases.finalize import Finalizer, decision_event
from mediaproof.services.cases.results import CaseDetail, DecisionResult, NoticeSummary
from mediaproof.services.cases.transition import Transition
from mediaproof.storage.sql.repos_case_media import DONE, FAILED
from mediaproof.storage.sql.repos_cases import (
    CaseRepository,
    appeal_view,
    aware,
    case_view,
    decision_view,
)

if TYPE_CHECKING:
    from mediaproof.storage.sql.tables_cases import DecisionRow, NoticeRow


class Review:
    def __init__(self, ctx: CaseContext, finalizer: Finalizer) -> None:
        self.ctx = ctx
        self.finalizer = finalizer

    def queue(self, limit: int = 50) -> list[CaseView]:
        with self.ctx.db.session() as s:
            repo = CaseRepository(s)
            return [case_view(c, repo.notices(c.id)) for c in repo.queue(limit)]

    def appeal_queue(self, limit: int = 50) -> list[CaseView]:
        """Cases whose decision was appealed and awaits a different reviewer."""
        with self.ctx.db.session() as s:
            repo = CaseRepository(s)
            return [case_view(c, repo.notices(c.id)) for c in repo.appeal_queue(limit)]

    def show(self, ref: str | int) -> CaseDetail:
        with self.ctx.db.session() as s:
            repo = CaseRepository(s)
            case = repo.case(ref)
            notices = repo.notices(case.id)
            return CaseDetail(
                case=case_view(case, notices),
                notices=tuple(notice_summary(n) for n in notices),
                decisions=tuple(decision_view(d) for d in repo.decisions(case.id)),
                appeals=tuple(appeal_view(a) for a in repo.appeals(case.id)),
                actions=tuple(
                    {
                        "id": a.public_id,
                        "action": a.action,
                        "ground": a.ground,
                        "automated": a.automated_decision,
                        "at": aware(a.created_at).isoformat(),
                    }
                    for a in repo.actions(case.id)
                ),
                statements=tuple(
                    {
                        "puid": st.puid,
                        "record": json.loads(st.record) if st.record else None,
                        "human": st.human,
                    }
                    for st in repo.statements(case.id)
                ),
                analysis=next(
                    (json.loads(n.analysis) for n in reversed(notices) if n.analysis), None
                ),
            )

    def decide(
        self,
        ref: str | int,
        *,
        reviewer: str,
        outcome: Outcome,
        rule_id: str,
        explanation: str,
        now: dt.datetime,
        expected_version: int | None = None,
        base_url: str | None = None,
    ) -> DecisionResult:
        now = _utc(now)
        if not reviewer.strip():
            raise UsageError("a decision needs the reviewer's name")
        if len(explanation.strip()) < 10:
            raise UsageError("a decision needs a written explanation")
        policy = self.ctx.policy
        with self.ctx.transition(now) as t:
            case = t.open(ref, expected_version=expected_version)
            t.check_reviewer(reviewer)
            rule = self.ctx.rule_for(case, rule_id, outcome)
            step = decision_step(outcome, policy.second_review_for)
            t.move(step)
            d = t.repo.add_decision(
                case.id,
                outcome=outcome,
                rule_id=rule.id,
                policy_version=policy.version,
                # reporters' identities stay in the notices table only
                explanation=scrub(explanation.strip(), t.repo.notices(case.id)),
                reviewer=reviewer.strip(),
                final=step is not Step.PROPOSE,
                automated=False,
                now=now,
            )
            return self.finalizer.after_decision(t, d, rule, base_url)

    def confirm(
        self, ref: str | int, *, reviewer: str, now: dt.datetime, base_url: str | None = None
    ) -> DecisionResult:
        """The second reviewer confirms a proposed removal."""
        now = _utc(now)
        with self.ctx.transition(now) as t:
            d = self._second_review(t, ref, reviewer, Step.CONFIRM)
            d.status = DecisionStatus.FINAL.value
            d.final_at = now
            rule = self.ctx.rule_for(t.case, d.rule_id, Outcome(d.outcome))
            return self.finalizer.after_decision(t, d, rule, base_url)

    def reject(self, ref: str | int, *, reviewer: str, now: dt.datetime) -> CaseView:
        """The second reviewer does not confirm; the case goes back to the queue."""
        now = _utc(now)
        with self.ctx.transition(now) as t:
            d = self._second_review(t, ref, reviewer, Step.REJECT)
            d.status = DecisionStatus.REJECTED.value
            case = t.case
            t.events.append(decision_event(t, d, "rejected", case.media_sha256))
            return case_view(case, t.repo.notices(case.id))

    @staticmethod
    def _second_review(t: Transition, ref: str | int, reviewer: str, step: Step) -> DecisionRow:
        """The case's proposed decision, taken up by its second reviewer: a different
        person than the proposer, and none of the case's reporters."""
        case = t.open(ref)
        d = t.repo.proposed(case.id)
        t.check_reviewer(reviewer, proposer=d.reviewer)
        t.move(step)
        d.second_reviewer = reviewer.strip()
        return d


def notice_summary(n: NoticeRow) -> NoticeSummary:
    state, error, code = _analysis_outcome(n)
    return NoticeSummary(
        id=n.public_id,
        category=NoticeCategory(n.category),
        source=SourceType(n.source),
        relationship=Relationship(n.relationship),
        explanation=n.explanation,
        location=n.location,
        content_url=n.content_url,
        media_sha256=n.media_sha256,
        received_at=aware(n.received_at),
        status=n.status,
        media_kept=n.media_kept_until is not None
        and aware(n.media_kept_until) > dt.datetime.now(dt.UTC),
        analysis_state=state,
        analysis_error=error,
        analysis_error_code=code,
    )


def _analysis_outcome(n: NoticeRow) -> tuple[str | None, str | None, str | None]:
    """What became of a notice's analysis: its report, none yet, or a recorded failure
    (migration 0033: ``analysis_state``, ``analysis_error``)."""
    if n.analysis is not None:
        return DONE, None, None
    if n.analysis_state == FAILED:
        err = json.loads(n.analysis_error or "{}")
        return (
            FAILED,
            str(err.get("message") or "the analysis stopped with an error"),
            str(err.get("code") or "internal"),
        )
    return ("pending" if n.media_sha256 else None), None, None
