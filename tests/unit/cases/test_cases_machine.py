"""The case state machine: every (state, step) pair, and the guards."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from mediaproof.cases.errors import AppealWindowError, InvalidTransitionError, ReviewRuleError
from mediaproof.cases.machine import (
    TRANSITIONS,
    Step,
    check_appeal_reviewer,
    check_appeal_window,
    check_appellant,
    check_second_reviewer,
    decision_step,
    may_withdraw_case,
    next_state,
    settle,
)
from mediaproof.cases.models import CaseState as S
from mediaproof.cases.models import Outcome, Party

LEGAL = {
    (S.OPEN, Step.NOTICE): S.OPEN,
    (S.OPEN, Step.DECIDE): S.DECIDED,
    (S.OPEN, Step.PROPOSE): S.AWAITING_SECOND_REVIEW,
    (S.OPEN, Step.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_SECOND_REVIEW, Step.NOTICE): S.AWAITING_SECOND_REVIEW,
    (S.AWAITING_SECOND_REVIEW, Step.CONFIRM): S.DECIDED,
    (S.AWAITING_SECOND_REVIEW, Step.REJECT): S.OPEN,
    (S.AWAITING_SECOND_REVIEW, Step.WITHDRAW): S.WITHDRAWN,
    (S.DECIDED, Step.NOTICE): S.DECIDED,
    (S.DECIDED, Step.APPEAL): S.APPEALED,
    (S.APPEALED, Step.APPEAL): S.APPEALED,
    (S.RESOLVED, Step.APPEAL): S.APPEALED,
    (S.OPEN, Step.APPEAL): S.OPEN,
    (S.AWAITING_SECOND_REVIEW, Step.APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.APPEALED, Step.NOTICE): S.APPEALED,
    (S.APPEALED, Step.DECIDE_APPEAL): S.RESOLVED,
    (S.OPEN, Step.DECIDE_APPEAL): S.OPEN,
    (S.AWAITING_SECOND_REVIEW, Step.DECIDE_APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.APPEALED, Step.PROPOSE_ON_APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.OPEN, Step.PROPOSE_ON_APPEAL): S.AWAITING_SECOND_REVIEW,
    (S.RESOLVED, Step.NOTICE): S.RESOLVED,
    (S.WITHDRAWN, Step.NOTICE): S.OPEN,
}


def test_table_is_exactly_the_documented_one() -> None:
    # written out independently so a silent edit of the table fails here
    assert dict(TRANSITIONS) == LEGAL


@pytest.mark.parametrize(("state", "step"), sorted(LEGAL, key=str))
def test_legal_transitions(state: S, step: Step) -> None:
    assert next_state(state, step) is LEGAL[(state, step)]


ILLEGAL = [p for p in itertools.product(S, Step) if p not in LEGAL]


@pytest.mark.parametrize(("state", "step"), ILLEGAL, ids=[f"{a}-{b}" for a, b in ILLEGAL])
def test_illegal_transitions_raise(state: S, step: Step) -> None:
    with pytest.raises(InvalidTransitionError) as e:
        next_state(state, step)
    assert state.value.replace("_", " ") in e.value.message


def test_there_are_illegal_pairs_for_every_state() -> None:
    assert len(ILLEGAL) == len(S) * len(Step) - len(LEGAL)
    assert {s for s, _ in ILLEGAL} == set(S)


def test_after_resolution_only_another_party_appeal_reopens() -> None:
    for step in (Step.DECIDE, Step.PROPOSE, Step.DECIDE_APPEAL, Step.WITHDRAW):
        with pytest.raises(InvalidTransitionError):
            next_state(S.RESOLVED, step)
    assert next_state(S.RESOLVED, Step.APPEAL) is S.APPEALED


def test_settle_says_whether_an_appeal_waits() -> None:
    for st_ in (S.DECIDED, S.APPEALED, S.RESOLVED):
        assert settle(st_, pending_appeals=2, appeals_decided=True) is S.APPEALED
        assert settle(st_, pending_appeals=0, appeals_decided=True) is S.RESOLVED
        assert settle(st_, pending_appeals=0, appeals_decided=False) is S.DECIDED
    # review work comes first: the appeal queue lists the waiting appeal meanwhile
    for st_ in (S.OPEN, S.AWAITING_SECOND_REVIEW, S.WITHDRAWN):
        assert settle(st_, pending_appeals=1, appeals_decided=True) is st_


def test_removal_needs_second_review_when_configured() -> None:
    assert decision_step(Outcome.REMOVE, frozenset({Outcome.REMOVE})) is Step.PROPOSE
    assert decision_step(Outcome.LABEL, frozenset({Outcome.REMOVE})) is Step.DECIDE
    assert decision_step(Outcome.REMOVE, frozenset()) is Step.DECIDE


def test_second_reviewer_must_differ() -> None:
    check_second_reviewer("alice", "bob")
    with pytest.raises(ReviewRuleError):
        check_second_reviewer("alice", " Alice ")


def test_appeal_reviewer_must_be_a_different_human() -> None:
    check_appeal_reviewer("carol", ("alice", "bob"))
    with pytest.raises(ReviewRuleError, match="own decisions"):
        check_appeal_reviewer("bob", ("alice", "bob"))
    with pytest.raises(ReviewRuleError, match="own decisions"):
        check_appeal_reviewer("ALICE", ("alice", None))
    with pytest.raises(ReviewRuleError, match="human"):
        check_appeal_reviewer("auto:bank", ("alice",))


def test_appeal_window_at_least_six_months() -> None:
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    window = dt.timedelta(days=183)
    check_appeal_window(t0, t0 + dt.timedelta(days=182), window)
    check_appeal_window(t0, t0 + window, window)  # the last moment is still inside
    with pytest.raises(AppealWindowError):
        check_appeal_window(t0, t0 + window + dt.timedelta(seconds=1), window)


def test_uploader_cannot_appeal_no_action() -> None:
    check_appellant(Party.REPORTER, Outcome.NO_ACTION)
    check_appellant(Party.UPLOADER, Outcome.REMOVE)
    with pytest.raises(ReviewRuleError):
        check_appellant(Party.UPLOADER, Outcome.NO_ACTION)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(Step)), max_size=30))
def test_random_walks_keep_the_invariants(steps: list[Step]) -> None:
    """Whatever reviewers and parties try, with the guards the service applies (an
    appeal needs a decision to contest, an appeal decision needs a waiting appeal) and
    the case settled on its appeals after each step: a case is decided before it is
    appealed, APPEALED exactly while an appeal waits and no review work does, RESOLVED
    only after an appeal was decided, and never withdrawn once decided."""
    state, seen = S.OPEN, [S.OPEN]
    pending = decided = 0
    for step in steps:
        if step is Step.WITHDRAW and not may_withdraw_case(S.DECIDED in seen):
            continue  # the guard the service applies (an appeal can reopen review)
        if step is Step.APPEAL and S.DECIDED not in seen:
            continue  # nothing to contest yet
        if step in (Step.DECIDE_APPEAL, Step.PROPOSE_ON_APPEAL) and not pending:
            continue  # no appeal waits
        try:
            state = next_state(state, step)
        except InvalidTransitionError:
            continue
        if step is Step.APPEAL:
            pending += 1
        elif step in (Step.DECIDE_APPEAL, Step.PROPOSE_ON_APPEAL):
            pending, decided = pending - 1, decided + 1
        state = settle(state, pending_appeals=pending, appeals_decided=decided > 0)
        seen.append(state)
        if state is S.APPEALED:
            assert pending > 0
        if state in (S.DECIDED, S.RESOLVED):
            assert pending == 0
        if state is S.RESOLVED:
            assert decided > 0
    if S.APPEALED in seen:
        assert S.DECIDED in seen[: seen.index(S.APPEALED)]
    if S.RESOLVED in seen:
        assert S.APPEALED in seen[: seen.index(S.RESOLVED)]
    if S.DECIDED in seen:
        assert S.WITHDRAWN not in seen[seen.index(S.DECIDED) :]


# --- issue 15: nobody judges their own matter; every removal has four eyes -------------


def test_parties_are_recused_from_every_decision() -> None:
    from mediaproof.cases.machine import check_not_party

    check_not_party("alice", ["mallory"])
    check_not_party("alice", [])
    for bad in ("mallory", " Mallory "):
        with pytest.raises(ReviewRuleError, match="reported or appealed"):
            check_not_party(bad, ["mallory"])
    with pytest.raises(ReviewRuleError, match="reported or appealed"):
        check_second_reviewer("alice", "mallory", ["mallory"])
    with pytest.raises(ReviewRuleError, match="reported or appealed"):
        check_appeal_reviewer("mallory", ("alice", "bob"), ["mallory"])
    check_second_reviewer("alice", "bob", ["mallory"])
    check_appeal_reviewer("carol", ("alice", "bob"), ["mallory"])


def test_automatic_removals_need_a_copied_decision_with_four_eyes() -> None:
    from mediaproof.cases.machine import automatic_outcome_allowed

    four = frozenset({Outcome.REMOVE})
    assert automatic_outcome_allowed(Outcome.REMOVE, four, ("alice", "bob"))
    assert not automatic_outcome_allowed(Outcome.REMOVE, four, ("alice", None))
    assert not automatic_outcome_allowed(Outcome.REMOVE, four, ("alice", "ALICE"))
    assert not automatic_outcome_allowed(Outcome.REMOVE, four, ("auto:bank", "bob"))
    assert automatic_outcome_allowed(Outcome.LABEL, four, ("alice", None))
    assert automatic_outcome_allowed(Outcome.REMOVE, frozenset(), ("alice", None))


def test_an_appeal_can_only_propose_a_removal() -> None:
    assert next_state(S.APPEALED, Step.PROPOSE_ON_APPEAL) is (S.AWAITING_SECOND_REVIEW)
    with pytest.raises(InvalidTransitionError):
        next_state(S.APPEALED, Step.DECIDE)
    with pytest.raises(InvalidTransitionError):
        next_state(S.APPEALED, Step.PROPOSE)
