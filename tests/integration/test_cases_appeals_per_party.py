"""Appeals per decision and party, on SQLite and PostgreSQL: every party that received
a statement promising an appeal can lodge it, whatever the other parties did; each
party appeals each decision once; a case re-decided after a reversal banks the same
media again instead of answering 409."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from mediaproof.cases.models import AppealOutcome, CaseState, Outcome
from mediaproof.errors import ConflictError
from mediaproof.services.cases import CaseService
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables_cases import BankRow, StatementRow
from tests.integration.test_cases_flow import SHA, T0, candidate_notice, sink, svc, voter_notice

__all__ = ["sink", "svc"]  # the fixtures, shared with the flow tests

DAY = dt.timedelta(days=1)
GROUNDS = "Please look at this decision again."


def _promise(text: str) -> tuple[str, str]:
    """(who may appeal, until) as the statement words it; ("", "") when it promises none."""
    m = re.search(
        r"Internal complaint: (.+?) may appeal this (?:decision|outcome) once, free of "
        r"charge, until (\d{4}-\d\d-\d\d)",
        text,
    )
    return (m.group(1), m.group(2)) if m else ("", "")


def _statement_of(db: Database, decision_id: int) -> str:
    """The statement of reasons that told the parties of a decision."""
    with db.session() as s:
        row = s.scalars(
            select(StatementRow)
            .where(StatementRow.decision_id == decision_id)
            .order_by(StatementRow.id)
        ).first()
        assert row is not None
        return row.human


def _walk(
    svc: CaseService,
    db: Database,
    reporters: dict[str, str],
    uploaders: dict[str, str],
    now: dt.datetime,
) -> dict[str, str]:
    """Every party whose status offers an appeal lodges it, and the workflow accepts
    it; the statement of the decision appealed promised that party an appeal until the
    date the status shows. Parties the status refuses get a reason, and lodging is
    refused (409). Returns the appeals lodged, by party."""
    lodged: dict[str, str] = {}
    for name, token in {**reporters, **uploaders}.items():
        is_reporter = name in reporters
        st = svc.status(token, now=now) if is_reporter else svc.uploader_status(token, now=now)
        if not st.appealable:
            assert st.not_appealable, name
            with pytest.raises(ConflictError):
                svc.appeal(token, grounds=GROUNDS, now=now)
            continue
        assert st.appeal_until is not None
        ap = svc.appeal(token, grounds=GROUNDS, now=now)
        lodged[name] = ap.public_id
        who, until = _promise(_statement_of(db, ap.decision_id))
        assert until == st.appeal_until.isoformat(), name
        assert ("reporter" in who) if is_reporter else who.startswith("the uploader"), name
        # one appeal per party and decision
        with pytest.raises(ConflictError, match="already appealed this decision"):
            svc.appeal(token, grounds=GROUNDS, now=now)
        after = svc.status(token, now=now) if is_reporter else svc.uploader_status(token, now=now)
        assert not after.appealable and [a.public_id for a in after.appeals][-1] == ap.public_id
    return lodged


def _decide(
    svc: CaseService,
    appeal_id: str,
    reviewer: str,
    outcome: AppealOutcome,
    now: dt.datetime,
    **kw: object,
) -> None:
    svc.decide_appeal(
        appeal_id,
        reviewer=reviewer,
        outcome=outcome,
        explanation="Looked at again by a reviewer who took no part.",
        now=now,
        **kw,  # type: ignore[arg-type]
    )


def _bank(db: Database) -> list[tuple[str, int, bool]]:
    with db.session() as s:
        return [(b.sha256, b.case_id, b.active) for b in s.scalars(select(BankRow))]


def test_every_party_promised_an_appeal_can_lodge_it(svc: CaseService, db: Database) -> None:
    r1 = svc.file_notice(candidate_notice(), T0)
    r2 = svc.file_notice(voter_notice(), T0)
    number = r1.case_number
    d1 = svc.decide(
        number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice; label it.",
        now=T0,
    )
    c1 = svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/1")
    c2 = svc.check_upload(SHA, now=T0 + DAY, content_url="https://mirror.example/c/2")
    assert d1.uploader_token and c1.uploader_token and c2.uploader_token
    reporters = {"R1": r1.status_token, "R2": r2.status_token}
    uploaders = {"U0": d1.uploader_token, "U1": c1.uploader_token, "U2": c2.uploader_token}

    # 1. all five parties appeal the decision each received, in any order
    now = T0 + 2 * DAY
    first = _walk(svc, db, reporters, uploaders, now)
    assert sorted(first) == ["R1", "R2", "U0", "U1", "U2"]
    detail = svc.show(number)
    human, copy1, copy2 = detail.decisions
    by_id = {a.public_id: a for a in detail.appeals}
    assert {n: by_id[a].decision_id for n, a in first.items()} == {
        "R1": human.id,
        "R2": human.id,
        "U0": human.id,
        "U1": copy1.id,
        "U2": copy2.id,
    }
    assert detail.case.state is CaseState.APPEALED
    assert [c.number for c in svc.appeal_queue()] == [number]
    # each party sees its own appeal, not another's grounds
    for name, token in reporters.items():
        assert [a.public_id for a in svc.status(token, now=now).appeals] == [first[name]]
    for name, token in uploaders.items():
        assert [a.public_id for a in svc.uploader_status(token, now=now).appeals] == [first[name]]
    # a further copy, labelled while the appeals wait; its uploader does not appeal yet
    c3 = svc.check_upload(SHA, now=now, content_url="https://mirror.example/c/3")
    assert c3.applied is Outcome.LABEL and c3.uploader_token
    uploaders["U3"] = c3.uploader_token

    # 2. decided one by one: the case stays APPEALED while any waits
    _decide(svc, first["U1"], "carol", AppealOutcome.REVERSED, now + DAY)  # copy 1 only
    for name in ("R2", "U0", "U2"):
        _decide(svc, first[name], "dave", AppealOutcome.UPHELD, now + DAY)
        assert svc.show(number).case.state is CaseState.APPEALED
    _decide(svc, first["R1"], "carol", AppealOutcome.REVERSED, now + DAY)
    detail = svc.show(number)
    assert detail.case.state is CaseState.RESOLVED and svc.appeal_queue() == []
    # R1's reversal: the reviewers' label and copies 2 and 3 are restored (copy 1
    # already was), the media left the bank, and "no action" now stands as carol's decision
    assert [a["action"] for a in detail.actions] == ["label"] * 4 + ["restore"] * 4
    assert _bank(db) == [(SHA, detail.case.id, False)]
    reversal = detail.decisions[-1]
    assert (reversal.outcome, reversal.reviewer) == (Outcome.NO_ACTION, "carol")
    text = detail.statements[-1]["human"]
    who, _ = _promise(text)
    assert "each reporter who did not lodge the appeal" in who and "uploader" not in who

    # 3. a reporter joins the resolved case; walk again: R2 (who appealed the label,
    # not the reversal) and R3 appeal the reversal; R1's redress against it is used up
    # (it answers her appeal); the uploaders' content was restored: nothing to appeal
    r3 = svc.file_notice(voter_notice(), now + 2 * DAY)
    assert r3.joined_existing_case
    reporters["R3"] = r3.status_token
    now = now + 3 * DAY
    second = _walk(svc, db, reporters, uploaders, now)
    assert sorted(second) == ["R2", "R3"]
    assert "answers your own appeal" in (svc.status(r1.status_token, now=now).not_appealable or "")
    refused = svc.uploader_status(c3.uploader_token, now=now).not_appealable or ""
    assert "restored" in refused  # copy 3 no longer carries a label to appeal
    # carol decided the reversal: she does not decide its appeal
    from mediaproof.cases.errors import ReviewRuleError

    with pytest.raises(ReviewRuleError, match="own decisions"):
        _decide(svc, second["R2"], "carol", AppealOutcome.UPHELD, now)
    _decide(svc, second["R3"], "dave", AppealOutcome.UPHELD, now)
    res = svc.decide_appeal(
        second["R2"],
        reviewer="dave",
        outcome=AppealOutcome.REVERSED,
        explanation="The label was right after all; label it again.",
        now=now,
        new_outcome=Outcome.LABEL,
        rule_id="DM-1",
    )
    # 4. re-decided with the same media: the bank row is switched back on, not doubled
    assert res.new_decision is not None and res.new_decision.outcome is Outcome.LABEL
    assert _bank(db) == [(SHA, detail.case.id, True)]
    assert svc.check_upload(SHA, now=now, content_url="https://mirror.example/c/9").applied
    # the new label's uploader gets a token (no endpoint) and may appeal it; R2 may not
    assert res.uploader_token
    uploaders["U0 again"] = res.uploader_token
    third = _walk(svc, db, reporters, uploaders, now + DAY)
    assert sorted(third) == ["R1", "R3", "U0 again"]

    # the transparency report counts each appeal, and the reversal as its outcome only
    rep = svc.transparency_report(T0 - DAY, T0 + 30 * DAY)
    received = {r[2]: r[4] for r in rep.section("complaints") if r[1] == "received"}
    assert received["all"] == len(svc.show(number).appeals) == 5 + 2 + len(third)
    taken = {r[2]: r[4] for r in rep.section("decisions") if r[1] == "taken"}
    assert "no_action" not in taken  # carol's reversal is the complaint's outcome


def test_redeciding_after_a_reversal_banks_the_same_media_again(
    svc: CaseService, db: Database
) -> None:
    """Remove (four eyes) banks the media; the uploader's appeal reverses it and the
    bank row goes inactive; a later report on the same media appeals the reversal and
    a removal is decided again: the same (sha256, case) row is switched back on."""
    r1 = svc.file_notice(candidate_notice(), T0)
    number = r1.case_number
    svc.decide(
        number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-1",
        explanation="Synthetic voice; remove it.",
        now=T0,
    )
    first = svc.confirm(number, reviewer="bob", now=T0)
    assert first.uploader_token
    case_id = svc.show(number).case.id
    assert _bank(db) == [(SHA, case_id, True)]
    ap = svc.appeal(first.uploader_token, grounds="It is satire, says so.", now=T0 + DAY)
    _decide(svc, ap.public_id, "carol", AppealOutcome.REVERSED, T0 + 2 * DAY)
    assert _bank(db) == [(SHA, case_id, False)]
    assert svc.check_upload(SHA, now=T0 + 2 * DAY).action.value == "ignore"

    # a new report on the same media joins the resolved case and appeals the reversal
    r2 = svc.file_notice(voter_notice(), T0 + 3 * DAY)
    assert r2.joined_existing_case and r2.case_number == number
    ap2 = svc.appeal(r2.status_token, grounds="The satire claim is false.", now=T0 + 3 * DAY)
    assert svc.show(number).case.state is CaseState.APPEALED
    _decide(
        svc,
        ap2.public_id,
        "dave",
        AppealOutcome.REVERSED,
        T0 + 4 * DAY,
        new_outcome=Outcome.REMOVE,
        rule_id="DM-1",
    )
    # a removal on appeal waits for a second reviewer; meanwhile the first reporter
    # appeals the same reversal: accepted, and the appeal queue lists the case
    assert svc.show(number).case.state is CaseState.AWAITING_SECOND_REVIEW
    ap3 = svc.appeal(r1.status_token, grounds="Please decide it quickly.", now=T0 + 4 * DAY)
    assert svc.show(number).case.state is CaseState.AWAITING_SECOND_REVIEW
    assert [c.number for c in svc.appeal_queue()] == [number]
    again = svc.confirm(number, reviewer="erin", now=T0 + 5 * DAY)
    assert again.decision.outcome is Outcome.REMOVE and again.action_ids
    assert _bank(db) == [(SHA, case_id, True)]
    # an appeal still waits (the first reporter's): APPEALED, not DECIDED
    assert again.case.state is CaseState.APPEALED
    assert svc.check_upload(SHA, now=T0 + 5 * DAY).action.value != "ignore"
    # the removal on appeal is appealable by its uploader, not by the reporter it answered
    who, _ = _promise(_statement_of(db, again.decision.id))
    assert who.startswith("the uploader") and "did not lodge the appeal" in who
    assert again.uploader_token
    svc.appeal(again.uploader_token, grounds="Satire again, see the title.", now=T0 + 6 * DAY)
    with pytest.raises(ConflictError, match="answers your own appeal"):
        svc.appeal(r2.status_token, grounds="Fine, but once more.", now=T0 + 6 * DAY)
    _decide(svc, ap3.public_id, "frank", AppealOutcome.UPHELD, T0 + 6 * DAY)
    assert svc.show(number).case.state is CaseState.APPEALED  # the uploader's still waits


def test_migration_0029_names_the_party_of_earlier_appeals(svc: CaseService, db: Database) -> None:
    """Appeals lodged before 0029 get their party where the rows tell it, so the rule
    holds for them too; the migration goes down and up again."""
    from alembic import command
    from sqlalchemy import text

    from mediaproof.storage.sql.migrate import alembic_config, upgrade

    one = svc.file_notice(voter_notice(), T0)  # a case with one notice: its appeal
    decide = {"reviewer": "alice", "rule_id": "DM-1", "explanation": "Synthetic voice."}
    svc.decide(one.case_number, outcome=Outcome.LABEL, now=T0, **decide)  # type: ignore[arg-type]
    svc.appeal(one.status_token, grounds=GROUNDS, now=T0 + DAY)
    other = svc.file_notice(
        voter_notice(media_sha256="cd" * 32, content_url="https://other.example/v/2"), T0
    )  # an uploader's
    d = svc.decide(other.case_number, outcome=Outcome.LABEL, now=T0, **decide)  # type: ignore[arg-type]
    assert d.uploader_token and other.case_number != one.case_number
    up = svc.appeal(d.uploader_token, grounds=GROUNDS, now=T0 + DAY)
    # decided, reversed: a restore, a decision and statements refer to the appeal (the
    # tables are rebuilt on SQLite, with their foreign keys on)
    _decide(svc, up.public_id, "carol", AppealOutcome.REVERSED, T0 + DAY)
    with db.engine.begin() as c:  # as 0027 left them
        c.execute(text("UPDATE case_decisions SET appeal_id = NULL"))
        c.execute(text("UPDATE case_appeals SET notice_id = NULL, action_id = NULL"))
    command.downgrade(alembic_config(db.engine), "0028_change_horizons")
    upgrade(db.engine)
    with pytest.raises(ConflictError, match="already appealed"):
        svc.appeal(one.status_token, grounds=GROUNDS, now=T0 + 2 * DAY)
    with pytest.raises(ConflictError, match="already appealed"):
        svc.appeal(d.uploader_token, grounds=GROUNDS, now=T0 + 2 * DAY)
