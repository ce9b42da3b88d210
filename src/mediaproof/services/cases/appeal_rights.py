"""Who may appeal which decision (DSA Art. 20): each party that received a decision may
lodge one appeal against it within its window, whatever other parties did.

A party is a reporter (their notice, found by its status token) or an uploader (the
action on their content, found by its appeal token). The one place that answers both
"may this party appeal now?" (the status pages) and "is this appeal accepted?"
(``Appeals.appeal``), so a page never offers an appeal the workflow refuses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediaproof.cases.models import ActionType, Outcome
from mediaproof.storage.sql.repos_cases import CaseRepository, aware

if TYPE_CHECKING:
    from mediaproof.storage.sql.tables_cases import ActionRow, DecisionRow, NoticeRow


@dataclass(frozen=True)
class Right:
    """The decision a party would appeal, and why it cannot (None: it can)."""

    decision: DecisionRow | None
    refusal: str | None
    until: dt.date | None  # the last day of the appeal window


def reporter_decision(repo: CaseRepository, case_id: int) -> DecisionRow | None:
    """What a reporter contests: the reviewers' standing decision on their notice (the
    latest final human one: a reversal on appeal records what then stands as a decision
    of its own), not the bank's automated decisions on identical copies, which the
    reporters did not receive."""
    return repo.latest_final(case_id, human=True) or repo.latest_final(case_id)


def uploader_decision(repo: CaseRepository, action: ActionRow) -> DecisionRow | None:
    """What an uploader contests: the decision that produced the action on their content
    (a bank copy's uploader: the automated decision on that copy); an action that names
    none, the reviewers' latest."""
    found = next((d for d in repo.decisions(action.case_id) if d.id == action.decision_id), None)
    return found or repo.latest_final(action.case_id, human=True)


def right_of(
    repo: CaseRepository,
    *,
    notice: NoticeRow | None = None,
    action: ActionRow | None = None,
    window: dt.timedelta,
    now: dt.datetime,
) -> Right:
    """May the reporter of ``notice`` or the uploader of ``action`` appeal now, and what?"""
    if notice is not None:
        d = reporter_decision(repo, notice.case_id)
    else:
        assert action is not None
        d = uploader_decision(repo, action)
    if d is None:
        return Right(None, "there is no decision on this case to appeal yet", None)
    until = aware(d.final_at or d.created_at) + window
    refusal = why_not(repo, d, notice, action)
    if refusal is None and now > until:
        refusal = f"the appeal window closed on {until.date().isoformat()}"
    return Right(d, refusal, until.date())


def why_not(
    repo: CaseRepository, d: DecisionRow, notice: NoticeRow | None, action: ActionRow | None
) -> str | None:
    """Why this party may not appeal ``d`` (the window aside); None when it may."""
    appeals = repo.appeals(d.case_id)

    def by_party(a_notice: int | None, a_action: int | None) -> bool:
        if notice is not None:
            return a_notice == notice.id
        return action is not None and a_action == action.id

    mine = next(
        (a for a in appeals if a.decision_id == d.id and by_party(a.notice_id, a.action_id)),
        None,
    )
    if mine is not None:
        return (
            f"you already appealed this decision (appeal {mine.public_id}); one appeal per "
            "decision: "
            + (
                "it is still waiting for a reviewer"
                if mine.outcome is None
                else "it was decided, so internal redress is exhausted (an out-of-court "
                "dispute settlement body or a court remain)"
            )
        )
    answered = next((a for a in appeals if a.id == d.appeal_id), None)
    if answered is not None and by_party(answered.notice_id, answered.action_id):
        return (
            "this decision answers your own appeal: internal redress is exhausted (an "
            "out-of-court dispute settlement body or a court remain)"
        )
    if action is not None:
        if Outcome(d.outcome) is Outcome.NO_ACTION:
            return "the uploader cannot appeal a decision to take no action"
        restored = any(
            x.action == ActionType.RESTORE.value
            and x.decision_id == action.decision_id
            and (x.content_url, x.media_sha256) == (action.content_url, action.media_sha256)
            for x in repo.actions(d.case_id)
        )
        if restored:
            return (
                "the decision on your content was reversed on appeal and the content "
                "restored: nothing stands against it to appeal"
            )
    return None
