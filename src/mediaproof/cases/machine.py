"""The case state machine: a table of legal steps, and the guards that need more than a state.

Every step a case can take is one :class:`Step`. ``next_state`` answers from the table
alone; the ``check_*`` guards add the rules that depend on who acts and when (four eyes
for removals, a different person for appeals, the appeal window). Nothing here reads a
clock or a database: callers pass ``now`` and the facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from enum import StrEnum

from mediaproof.cases.errors import (
    AppealWindowError,
    InvalidTransitionError,
    ReviewRuleError,
)
from mediaproof.cases.models import CaseState, Outcome, Party


class Step(StrEnum):
    NOTICE = "notice"  # a (further) notice joins the case
    DECIDE = "decide"  # a reviewer decides; final at once
    PROPOSE = "propose"  # a reviewer proposes an outcome that needs a second reviewer
    CONFIRM = "confirm"  # the second reviewer confirms the proposal
    REJECT = "reject"  # the second reviewer does not confirm; back to the queue
    WITHDRAW = "withdraw"  # the last active notice was withdrawn before a decision
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    # an appeal reverses "no action" into an outcome that needs four eyes: the appeal is
    # decided, the new outcome waits for a second reviewer like any proposal
    PROPOSE_ON_APPEAL = "propose_on_appeal"


S = CaseState
TRANSITIONS: dict[tuple[CaseState, Step], CaseState] = {
    (S.OPEN, Step.NOTICE): S.OPEN,
    (S.OPEN, Step.DECIDE): S.DECIDED,
    (S.OPEN, Step.PROPOSE): S.AWAITING_SECOND_REVIEW,
    (S.OPEN, Step.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_SECOND_REVIEW, Step.NOTICE): S.AWAITING_SECOND_REVIEW,
    (S.AWAITING_SECOND_REVIEW, Step.CONFIRM): S.DECIDED,
    (S.AWAITING_SECOND_REVIEW, Step.REJECT): S.OPEN,
    (S.AWAITING_SECOND_REVIEW, Step.WITHDRAW): S.WITHDRAWN,
    # later notices about decided media join the case; the decision already covers them
    (S.DECIDED, Step.NOTICE): S.DECIDED,
    # appeals are per decision and party: any party may appeal a decision it received
    # while other appeals wait or after they were decided (``settle`` then says whether
    # one still waits)
    (S.DECIDED, Step.APPEAL): S.APPEALED,
    (S.APPEALED, Step.APPEAL): S.APPEALED,
    (S.RESOLVED, Step.APPEAL): S.APPEALED,
    # an earlier decision is appealed while a new outcome is in review (a proposal on
    # appeal, or one its second reviewer sent back): the review goes on
    (S.OPEN, Step.APPEAL): S.OPEN,
    (S.AWAITING_SECOND_REVIEW, Step.APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.APPEALED, Step.NOTICE): S.APPEALED,
    (S.APPEALED, Step.DECIDE_APPEAL): S.RESOLVED,
    (S.OPEN, Step.DECIDE_APPEAL): S.OPEN,
    (S.AWAITING_SECOND_REVIEW, Step.DECIDE_APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.APPEALED, Step.PROPOSE_ON_APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.OPEN, Step.PROPOSE_ON_APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.RESOLVED, Step.NOTICE): S.RESOLVED,
    # a new notice about withdrawn media starts the review again
    (S.WITHDRAWN, Step.NOTICE): S.OPEN,
}


def next_state(state: CaseState, step: Step) -> CaseState:
    try:
        return TRANSITIONS[(state, step)]
    except KeyError:
        raise InvalidTransitionError(
            f"a case that is {state.value.replace('_', ' ')} cannot take the step "
            f"“{step.value.replace('_', ' ')}”"
        ) from None


def settle(state: CaseState, *, pending_appeals: int, appeals_decided: bool) -> CaseState:
    """What a decided case is, given its appeals: APPEALED while one waits for a
    decision, RESOLVED once every appeal lodged was decided (each party's internal
    redress against the decision it appealed is exhausted; other parties may still
    appeal, which makes it APPEALED again), DECIDED when none was ever lodged. States
    of review work (open, awaiting a second review, withdrawn) stay as they are: the
    appeal queue lists pending appeals whatever the state."""
    if state not in (S.DECIDED, S.APPEALED, S.RESOLVED):
        return state
    if pending_appeals:
        return S.APPEALED
    return S.RESOLVED if appeals_decided else S.DECIDED


def decision_step(outcome: Outcome, second_review_for: frozenset[Outcome]) -> Step:
    """DECIDE, or PROPOSE when the policy wants four eyes on this outcome."""
    return Step.PROPOSE if outcome in second_review_for else Step.DECIDE


def check_not_party(reviewer: str, parties: Collection[str]) -> None:
    """Nobody judges their own matter: the accounts that reported the case (signed in)
    or appealed it may not decide, confirm or decide the appeal."""
    if any(_same(reviewer, p) for p in parties if p):
        raise ReviewRuleError("you reported or appealed this case: another reviewer must decide it")


def check_second_reviewer(proposer: str, second: str, parties: Collection[str] = ()) -> None:
    if _same(proposer, second):
        raise ReviewRuleError("a second review needs a different reviewer than the proposer")
    check_not_party(second, parties)


def check_appeal_reviewer(
    reviewer: str, decided_by: tuple[str | None, ...], parties: Collection[str] = ()
) -> None:
    """Art. 20(6): complaints are decided by people, and not by those who decided."""
    if not reviewer.strip() or reviewer.startswith("auto:"):
        raise ReviewRuleError("an appeal must be decided by a named human reviewer")
    if any(d is not None and _same(reviewer, d) for d in decided_by):
        raise ReviewRuleError("reviewers cannot decide appeals of their own decisions")
    check_not_party(reviewer, parties)


def automatic_outcome_allowed(
    outcome: Outcome,
    second_review_for: frozenset[Outcome],
    copied_from: tuple[str, str | None],
) -> bool:
    """May an automatic action (the bank's identical copies) apply ``outcome`` on the
    strength of the decision it copies, ``(reviewer, second reviewer)``? Only where that
    decision itself had the four eyes the policy now asks for this outcome."""
    if outcome not in second_review_for:
        return True
    first, second = copied_from
    return (
        second is not None
        and not first.startswith("auto:")
        and not second.startswith("auto:")
        and not _same(first, second)
    )


def may_withdraw_case(decided_before: bool) -> bool:
    """Withdrawing the last notice withdraws the case only if nothing was ever decided
    on it: a case that an appeal sent back to review keeps its record."""
    return not decided_before


def check_appeal_window(notified_at: dt.datetime, now: dt.datetime, window: dt.timedelta) -> None:
    """Art. 20(1): at least six months from the notification of the decision."""
    if now > notified_at + window:
        raise AppealWindowError(
            f"the appeal window closed on {(notified_at + window).date().isoformat()}"
        )


def check_appellant(party: Party, outcome: Outcome) -> None:
    """Only someone the decision went against may appeal it."""
    if party is Party.UPLOADER and outcome is Outcome.NO_ACTION:
        raise ReviewRuleError("the uploader cannot appeal a decision to take no action")


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()
