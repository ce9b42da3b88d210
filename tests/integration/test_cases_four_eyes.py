"""Every path to a removal goes through the same second-review rule (issue 15, findings 2
and 3): a first decision, an appeal that reverses "no action", and the bank's automatic
copies; and nobody decides a matter of their own."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from mediaproof.accounts.models import Role
from mediaproof.cases.errors import ReviewRuleError
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import AppealOutcome, CaseState, NoticeCategory, Outcome
from mediaproof.cases.policy import DEFAULT_POLICY
from mediaproof.services.cases import CaseService
from mediaproof.storage.sql.account_tables import UserRow
from mediaproof.storage.sql.engine import Database
from tests.integration.test_cases_flow import SHA, T0, candidate_notice, voter_notice

EXPL = "Synthetic voice; the speech never happened."


@pytest.fixture
def cdb(db: Database) -> Database:
    return db


@pytest.fixture
def svc(cdb: Database) -> CaseService:
    return CaseService(cdb, sink=InMemoryEventSink())


def _no_action_then_appeal(svc: CaseService) -> tuple[str, str]:
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="Looks authentic to me.",
        now=T0,
    )
    ap = svc.appeal(r.status_token, grounds="It is a clone of my voice.", now=T0)
    return r.case_number, ap.public_id


def test_an_appeal_reversed_to_removal_waits_for_a_second_reviewer(svc: CaseService) -> None:
    number, appeal_id = _no_action_then_appeal(svc)
    res = svc.decide_appeal(
        appeal_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="The voice is cloned; removal is right.",
        now=T0 + dt.timedelta(hours=1),
        new_outcome=Outcome.REMOVE,
        rule_id="DM-1",
    )
    assert res.case.state.value == "awaiting_second_review"
    assert res.new_decision is not None and res.new_decision.status.value == "proposed"
    detail = svc.show(number)
    assert not detail.actions, "nothing is removed before the second reviewer"
    with pytest.raises(ReviewRuleError, match="different reviewer"):
        svc.confirm(number, reviewer="carol", now=T0 + dt.timedelta(hours=2))
    done = svc.confirm(number, reviewer="dave", now=T0 + dt.timedelta(hours=2))
    assert done.decision.status.value == "final" and done.decision.outcome is Outcome.REMOVE
    assert [a["action"] for a in svc.show(number).actions] == ["remove"]


def test_an_appeal_reversed_to_a_label_needs_no_second_reviewer(svc: CaseService) -> None:
    _, appeal_id = _no_action_then_appeal(svc)
    res = svc.decide_appeal(
        appeal_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="Synthetic; a label is enough.",
        now=T0 + dt.timedelta(hours=1),
        new_outcome=Outcome.LABEL,
        rule_id="DM-1",
    )
    assert res.case.state.value == "resolved"
    assert res.new_decision is not None and res.new_decision.status.value == "final"


def _account(db: Database, name: str) -> int:
    with db.session() as s:
        u = UserRow(username=name, role=Role.REVIEWER.value, password_hash="x")
        s.add(u)
        s.flush()
        return u.id


def test_the_reporting_account_is_recused_everywhere(svc: CaseService) -> None:
    mallory = _account(svc.db, "mallory")
    r = svc.file_notice(dataclasses.replace(voter_notice(), account_id=mallory), T0)
    with pytest.raises(ReviewRuleError, match="reported or appealed"):
        svc.decide(
            r.case_number,
            reviewer="Mallory",  # names compare without case, as everywhere in the rules
            outcome=Outcome.NO_ACTION,
            rule_id="DM-1",
            explanation=EXPL,
            now=T0,
        )
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-1",
        explanation=EXPL,
        now=T0,
    )
    for step in (svc.confirm, svc.reject):
        with pytest.raises(ReviewRuleError, match="reported or appealed"):
            step(r.case_number, reviewer="mallory", now=T0)
    svc.reject(r.case_number, reviewer="bob", now=T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="Not convinced it is synthetic.",
        now=T0,
    )
    # the reporter (mallory, signed in when reporting) appeals: she cannot decide it
    ap = svc.appeal(r.status_token, grounds="It is a clone, look again.", now=T0)
    with pytest.raises(ReviewRuleError, match="reported or appealed"):
        svc.decide_appeal(
            ap.public_id,
            reviewer="mallory",
            outcome=AppealOutcome.REVERSED,
            explanation=EXPL,
            now=T0,
            new_outcome=Outcome.REMOVE,
            rule_id="DM-1",
        )
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation=EXPL,
        now=T0,
        new_outcome=Outcome.REMOVE,
        rule_id="DM-1",
    )
    with pytest.raises(ReviewRuleError, match="reported or appealed"):
        svc.confirm(r.case_number, reviewer="mallory", now=T0)
    assert svc.confirm(r.case_number, reviewer="bob", now=T0).decision.second_reviewer == "bob"


def test_the_bank_never_removes_on_a_decision_without_four_eyes(cdb: Database) -> None:
    """A removal decided alone (under a policy that then allowed it) is not copied onto
    new uploads once the policy wants four eyes: the copy goes to people instead."""
    lax = dataclasses.replace(DEFAULT_POLICY, second_review_for=frozenset())
    alone = CaseService(cdb, sink=InMemoryEventSink(), policy=lax)
    r = alone.file_notice(
        candidate_notice(
            category=NoticeCategory.NON_CONSENSUAL_INTIMATE_DEEPFAKE, verified_candidate=False
        ),
        T0,
    )
    d = alone.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-3",
        explanation="Intimate image made without consent.",
        now=T0,
    )
    assert d.decision.status.value == "final" and d.decision.second_reviewer is None
    strict = CaseService(cdb, sink=InMemoryEventSink())
    copy = strict.check_upload(
        SHA, now=T0 + dt.timedelta(hours=1), content_url="https://m.example/1"
    )
    assert copy.applied is None and copy.action_id is None
    assert copy.action.value == "queue" and copy.receipt is not None
    assert [a["action"] for a in strict.show(r.case_number).actions] == ["remove"]
    # ... and reaches them: not the decided case (out of the queue), a new one in the queue
    held = copy.receipt
    assert held.case_number != r.case_number and not held.joined_existing_case
    assert strict.show(r.case_number).case.state is CaseState.DECIDED
    assert held.case_number in [c.number for c in strict.queue()]
    note = strict.show(held.case_number).notices[0].explanation
    assert f"identical (sha256) to media confirmed as deceptive in case {r.case_number}" in note
    assert "lacks the second review" in note
    assert "near match" not in note and "disputed" not in note and "AI" not in note.split()
    # a further copy joins the case waiting for review rather than opening another
    more = strict.check_upload(
        SHA, now=T0 + dt.timedelta(hours=2), content_url="https://m.example/3"
    )
    assert more.receipt is not None and more.receipt.case_number == held.case_number
    # the same media under the same lax policy is still copied automatically
    again = alone.check_upload(
        SHA, now=T0 + dt.timedelta(hours=2), content_url="https://m.example/2"
    )
    assert again.applied is Outcome.REMOVE


def test_a_case_sent_back_by_an_appeal_is_not_withdrawn(svc: CaseService) -> None:
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="Looks authentic to me.",
        now=T0,
    )
    ap = svc.appeal(r.status_token, grounds="It is a clone of my voice.", now=T0)
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="The voice is cloned; removal is right.",
        now=T0,
        new_outcome=Outcome.REMOVE,
        rule_id="DM-1",
    )
    st = svc.withdraw(r.status_token, T0 + dt.timedelta(hours=1))
    assert st.notice_status == "withdrawn"
    assert svc.show(r.case_number).case.state.value == "awaiting_second_review"
