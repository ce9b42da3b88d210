"""Pruning ``case_media_changes`` never makes the case media index miss a change: an
index at the horizon goes on from it; one below it (a reversal and fingerprints added
later, whose changes were pruned) rebuilds from the rows and answers as a fresh one."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mediaproof.services.cases.media_index import SqlCaseMediaIndex
from mediaproof.services.change_prune import prune_change_sequences
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_case_media import CaseMediaRepository
from mediaproof.storage.sql.repos_cases import CaseRepository
from mediaproof.storage.sql.repos_changes import horizon
from mediaproof.storage.sql.tables_cases import NoticeRow
from tests.integration.test_case_media_late_commit import T0, _case_id, _notice, _pdq, _sha

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


def _prune_all(db: Database) -> int:
    prune_change_sequences(db, 0, now=LATER)
    with db.session() as s:
        return horizon(s, "case_media_changes")


def test_case_media_index_at_the_horizon_goes_on_and_behind_it_rebuilds(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds = []
    real = SqlCaseMediaIndex._rebuild

    def counted(index: SqlCaseMediaIndex) -> None:
        rebuilds.append(index)
        real(index)

    monkeypatch.setattr(SqlCaseMediaIndex, "_rebuild", counted)
    case_a = _case_id(db, 1)
    with db.session() as s:
        CaseRepository(s).add_bank_entry(case_a, _sha(1), _pdq(1), T0)
        nid = _notice(s, case_a, 3, {})
        _notice(s, case_a, 5, _pdq(5))
    at, behind = SqlCaseMediaIndex(db), SqlCaseMediaIndex(db)
    at.refresh()
    behind.refresh()
    assert [m.kind for m in behind.bank_matches(_sha(1), _pdq(1))] == ["exact"]
    with db.session() as s:
        _notice(s, case_a, 7, _pdq(7))  # the newest change: kept
    at.refresh()
    h = _prune_all(db)
    assert h == at._seq - 1
    with db.session() as s:
        _notice(s, case_a, 8, _pdq(8))
    at.refresh()
    assert rebuilds == [] and at.find_case_by_media(_sha(9), _pdq(8)) == case_a

    # changes only the change sequence carries: fingerprints added to a notice after it
    # was filed, and a reversal switching the bank row off; then more, so they are pruned
    with db.session() as s:
        row = s.get(NoticeRow, nid)
        assert row is not None
        row.fingerprints = json.dumps(_pdq(3))
    with db.session() as s:
        for b in CaseRepository(s).bank_for_case(case_a):
            b.active = False
    with db.session() as s:
        _notice(s, case_a, 10, _pdq(10))
    h = _prune_all(db)
    assert behind._seq is not None and behind._seq < h
    assert behind.bank_matches(_sha(1), _pdq(1)) == []  # the reversal reached it
    assert rebuilds == [behind]
    assert behind.find_case_by_media(_sha(4), _pdq(3)) == case_a
    assert behind.find_case_by_media(_sha(11), _pdq(10)) == case_a
    assert at.bank_matches(_sha(1), _pdq(1)) == []
    assert at.find_case_by_media(_sha(4), _pdq(3)) == case_a
    fresh = SqlCaseMediaIndex(db)
    assert fresh.bank_matches(_sha(1), _pdq(1)) == []
    assert fresh.find_case_by_media(_sha(4), _pdq(3)) == case_a
    assert len(rebuilds) == 2  # ``at`` too (behind the new horizon); not ``fresh``
    with db.session() as s:
        assert CaseMediaRepository(s).last_change() > h  # the newest stayed
