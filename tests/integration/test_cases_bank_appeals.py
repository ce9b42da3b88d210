"""Appeals and reviews on a case whose outcome the bank applied to identical copies, on
SQLite and PostgreSQL: each party contests the decision it received, a reversal restores
exactly what that decision did, and a copy the bank holds back reaches a reviewer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mediaproof.cases.errors import ReviewRuleError
from mediaproof.cases.models import AppealOutcome, CaseState, Outcome
from mediaproof.services.cases import CaseService
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables_cases import ActionRow
from tests.integration.test_cases_flow import SHA, T0, sink, svc, voter_notice

__all__ = ["sink", "svc"]  # the fixtures, shared with the flow tests

DAY = dt.timedelta(days=1)


def _decided(svc: CaseService) -> tuple[str, str, str]:
    """A voter's notice decided "label" by alice: (case number, status token, uploader's
    appeal token)."""
    r = svc.file_notice(voter_notice(), T0)
    d = svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice; label it.",
        now=T0,
    )
    assert d.uploader_token is not None  # no endpoint: the token comes back to us
    return r.case_number, r.status_token, d.uploader_token


def _acts(db: Database) -> list[tuple[str, str | None]]:
    with db.session() as s:
        rows = s.scalars(select(ActionRow).order_by(ActionRow.id))
        return [(a.action, a.content_url) for a in rows]


def test_a_copy_uploader_appeals_the_decision_on_their_copy(svc: CaseService, db: Database) -> None:
    number, _, _ = _decided(svc)
    first = svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/1")
    second = svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/2")
    assert first.uploader_token and second.uploader_token and first.applied is Outcome.LABEL
    decisions = svc.show(number).decisions
    human, copy1 = decisions[0], decisions[1]
    assert (human.reviewer, copy1.reviewer) == ("alice", "auto:bank")
    ap = svc.appeal(
        first.uploader_token, grounds="My copy is commentary, not the clip.", now=T0 + 2 * DAY
    )
    # the decision on the first copy: not the reviewers', not the latest (the second copy)
    assert ap.decision_id == copy1.id
    # the copy applied alice's judgment: she does not decide its appeal
    with pytest.raises(ReviewRuleError):
        svc.decide_appeal(
            ap.public_id,
            reviewer="alice",
            outcome=AppealOutcome.REVERSED,
            explanation="I stand by it but this copy differs.",
            now=T0 + 3 * DAY,
        )
    res = svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="The copy is framed as commentary; restore it.",
        now=T0 + 3 * DAY,
    )
    assert res.restore_action_id is not None
    detail = svc.show(number)
    assert _acts(db) == [
        ("label", "https://video.example/watch/123"),
        ("label", "https://mirror.example/c/1"),
        ("label", "https://mirror.example/c/2"),
        ("restore", "https://mirror.example/c/1"),  # that copy only
    ]
    text = detail.statements[-1]["human"]
    assert "one identical copy (https://mirror.example/c/1) only" in text
    assert f"the reviewed decision on case {number} is not changed" in text
    assert "AI" not in text.split() and "deepfake" not in text.lower()
    # the reviewers' decision still stands: further identical copies are still labelled
    third = svc.check_upload(SHA, now=T0 + 4 * DAY, content_url="https://mirror.example/c/3")
    assert third.applied is Outcome.LABEL


def test_the_original_uploader_and_reporters_appeal_the_reviewers_decision(
    svc: CaseService,
) -> None:
    number, status_token, upload_token = _decided(svc)
    svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/1")
    human = svc.show(number).decisions[0]
    # the reporter's status offers the appeal of the reviewers' decision
    assert svc.status(status_token).appealable
    ap = svc.appeal(status_token, grounds="A label is not enough, remove it.", now=T0 + 2 * DAY)
    assert ap.decision_id == human.id
    with pytest.raises(ReviewRuleError):
        svc.decide_appeal(
            ap.public_id,
            reviewer="alice",
            outcome=AppealOutcome.UPHELD,
            explanation="The label is proportionate here.",
            now=T0 + 3 * DAY,
        )
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="Authentic after all: the campaign confirmed the recording.",
        now=T0 + 3 * DAY,
    )
    detail = svc.show(number)
    # the reviewers' decision reversed: its action and the copy's are restored
    assert [a["action"] for a in detail.actions] == ["label", "label", "restore", "restore"]
    assert "identical copy" not in detail.statements[-1]["human"]
    # and the media left the bank
    assert svc.check_upload(SHA, now=T0 + 4 * DAY).action.value == "ignore"
    assert detail.case.state is CaseState.RESOLVED
    # the uploader's token: the original upload's action, from the reviewers' decision
    ap_up = svc.uploader_status(upload_token)
    assert ap_up.action == "label"


def test_an_original_uploader_appeal_names_the_reviewers_decision(svc: CaseService) -> None:
    number, _, upload_token = _decided(svc)
    svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/1")
    human = svc.show(number).decisions[0]
    ap = svc.appeal(upload_token, grounds="This is my own voice, not made up.", now=T0 + DAY)
    assert ap.decision_id == human.id


def test_a_copys_statements_reach_only_that_copys_uploader(svc: CaseService) -> None:
    """A copy's statements (the bank's decision on it, the appeal on it, which names where
    it was posted) go to that copy's uploader: other parties of the case (the reporter,
    the original uploader, other copies' uploaders) must not read them."""
    number, status_token, upload_token = _decided(svc)
    first = svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/1")
    second = svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/2")
    assert first.uploader_token and second.uploader_token
    ap = svc.appeal(first.uploader_token, grounds="Commentary.", now=T0 + 2 * DAY)
    svc.decide_appeal(
        ap.public_id, reviewer="carol", outcome=AppealOutcome.REVERSED,
        explanation="Framed as commentary; restore it.", now=T0 + 3 * DAY,
    )  # fmt: skip
    reviewed, copy1, copy2, appeal = (st["human"] for st in svc.show(number).statements)
    assert "mirror.example/c/1" in appeal and "uploader of this copy" in copy1

    assert svc.status(status_token).statements == (reviewed,)
    assert svc.uploader_status(upload_token).statements == (reviewed,)
    # each copy's uploader: the reviewed decision their copy applied, and their own
    assert svc.uploader_status(first.uploader_token).statements == (reviewed, copy1, appeal)
    assert svc.uploader_status(second.uploader_token).statements == (reviewed, copy2)
