"""The case media index (notices joined by fingerprint, the bank of confirmed deceptive
media) does not pass over a row that commits after a higher id was read: two writers on
PostgreSQL, where ids are handed out before commit. It follows the change sequence
``case_media_changes``, which also carries fingerprints added to a notice later and bank
rows switched off by a reversal to every process. SQLite runs the same steps (one writer
at a time there, so nothing commits late: the steps without interleaving)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.config import Settings
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.media_index import SqlCaseMediaIndex
from mediaproof.services.instance import Instance
from mediaproof.services.likeness import CaseNoticeSource
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_cases import CaseRepository
from mediaproof.storage.sql.tables_cases import (
    BankRow,
    CaseMediaChangeRow,
    CaseRow,
    NoticeRow,
    _write_case_media_changes,
)
from tests.conftest import _drop_pg_database, _pg_database
from tests.factories import notice_input

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def _pdq(seed: int) -> dict[str, str]:
    return {"pdq": np.random.default_rng(seed).bytes(32).hex()}


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def _case_id(db: Database, n: int) -> int:
    """An open case, filed through the service (its own notice has no fingerprints)."""
    svc = CaseService(db, sink=InMemoryEventSink())
    receipt = svc.file_notice(
        notice_input(content_url=f"https://video.example/{n}", media_sha256=_sha(1000 + n)), T0
    )
    with db.session() as s:
        return int(s.scalars(select(CaseRow.id).where(CaseRow.number == receipt.case_number)).one())


def _notice(s: Session, case_id: int, n: int, fmap: dict[str, str]) -> int:
    inp = notice_input(media_sha256=_sha(n), fingerprints=fmap)
    return CaseRepository(s).add_notice(f"nt{n}", case_id, inp, f"tok{n}", T0).id


@pytest.mark.postgres
def test_bank_row_committed_behind_a_higher_id_is_matched(pg: Database) -> None:
    case_a, case_b = _case_id(pg, 1), _case_id(pg, 2)
    index = SqlCaseMediaIndex(pg)
    index.refresh()  # loaded, empty

    # writer A's bank row gets the lower id, but A commits last
    with pg.session() as slow:
        late = CaseRepository(slow).add_bank_entry(case_a, _sha(1), _pdq(1), T0)
        # writer B banks other media and commits meanwhile: a higher id
        with pg.session() as s:
            early = CaseRepository(s).add_bank_entry(case_b, _sha(2), _pdq(2), T0)
        assert late.id < early.id
        assert [m.entry.case_id for m in index.bank_matches(_sha(2), {})] == [case_b]
        assert index.bank_matches(_sha(1), {}) == []  # not committed yet
    # reading by id alone had passed A's row for good; the change sequence brings it back
    exact = index.bank_matches(_sha(1), {})
    assert [(m.entry.case_id, m.kind) for m in exact] == [(case_a, "exact")]
    near = index.bank_matches(_sha(99), _pdq(1))  # other bytes, same fingerprint
    assert [(m.entry.case_id, m.kind, m.distance) for m in near] == [(case_a, "near", 0)]
    index.refresh()  # following the same changes again adds nothing twice
    assert len(index.bank_matches(_sha(1), _pdq(1))) == 1


@pytest.mark.postgres
def test_notice_committed_behind_a_higher_id_joins_its_case(pg: Database) -> None:
    case_a, case_b = _case_id(pg, 1), _case_id(pg, 2)
    index = SqlCaseMediaIndex(pg)
    index.refresh()
    with pg.session() as slow:
        late = _notice(slow, case_a, 11, _pdq(11))
        with pg.session() as s:
            early = _notice(s, case_b, 12, _pdq(12))
        assert late < early
        assert index.find_case_by_media(_sha(50), _pdq(12)) == case_b
        assert index.find_case_by_media(_sha(51), _pdq(11)) is None
    assert index.find_case_by_media(_sha(51), _pdq(11)) == case_a


def test_changes_reach_another_process(db: Database) -> None:
    """Two indexes over one database stand for two processes: a reversal, and
    fingerprints a background analysis added to a notice, reach the one that did not
    make them (this process's own index is told; the other reads the change)."""
    case_a = _case_id(db, 1)
    here, there = SqlCaseMediaIndex(db), SqlCaseMediaIndex(db)
    with db.session() as s:
        CaseRepository(s).add_bank_entry(case_a, _sha(1), _pdq(1), T0)
        nid = _notice(s, case_a, 3, {})
        _notice(s, case_a, 5, _pdq(5))  # a later notice: the id reader passes nid
    assert [m.kind for m in there.bank_matches(_sha(1), _pdq(1))] == ["exact"]
    assert there.find_case_by_media(_sha(6), _pdq(5)) == case_a
    assert there.find_case_by_media(_sha(4), _pdq(3)) is None

    # fingerprints added to the notice after it was filed (services.cases.intake)
    with db.session() as s:
        row = s.get(NoticeRow, nid)
        assert row is not None
        row.fingerprints = json.dumps(_pdq(3))
    here.note_notice(nid, case_a, _pdq(3))
    assert here.find_case_by_media(_sha(4), _pdq(3)) == case_a
    assert there.find_case_by_media(_sha(4), _pdq(3)) == case_a

    # a reversal on appeal switches the bank row off (services.cases.appeals)
    with db.session() as s:
        for b in CaseRepository(s).bank_for_case(case_a):
            b.active = False
    assert there.bank_matches(_sha(1), _pdq(1)) == []
    fresh = SqlCaseMediaIndex(db)  # a process started after the reversal
    assert fresh.bank_matches(_sha(1), _pdq(1)) == []


def test_only_media_changes_are_recorded_and_a_rollback_records_none(db: Database) -> None:
    case_a = _case_id(db, 1)
    with db.session() as s:
        before = s.scalars(select(CaseMediaChangeRow.seq)).all()
    with pytest.raises(RuntimeError), db.session() as s:
        CaseRepository(s).add_bank_entry(case_a, _sha(1), _pdq(1), T0)
        raise RuntimeError("the unit of work fails")
    with db.session() as s:
        bank_id = CaseRepository(s).add_bank_entry(case_a, _sha(2), _pdq(2), T0).id
    with db.session() as s:  # a change that is not the media's: nothing to follow
        row = s.get(BankRow, bank_id)
        assert row is not None
        row.added_at = T0 + dt.timedelta(days=1)
    with db.session() as s:
        rows = s.execute(
            select(CaseMediaChangeRow.kind, CaseMediaChangeRow.row_id).where(
                CaseMediaChangeRow.seq.not_in(before)
            )
        ).all()
    assert [tuple(r) for r in rows] == [("bank", bank_id)]


@pytest.mark.postgres
def test_likeness_monitor_is_offered_a_notice_committed_behind_a_higher_id(
    pg_template: str, tmp_path: Path
) -> None:
    """The likeness monitor's case notice source reads notices by id too."""
    url = _pg_database(pg_template)
    inst = Instance(Settings(home=tmp_path / "home", database_url=url))
    try:
        case_a = _case_id(inst.db, 1)
        source = CaseNoticeSource(inst)
        first = {i.ref for i in source.poll()}  # the case's own notice
        with inst.db.session() as slow:
            _notice(slow, case_a, 21, {})
            with inst.db.session() as s:
                _notice(s, case_a, 22, {})
            assert {i.ref for i in source.poll()} == {"case-notice:nt22"}
        assert {i.ref for i in source.poll()} == {"case-notice:nt21"}
        assert source.poll() == []  # offered once
        assert len(first) == 1
    finally:
        inst.db.dispose()
        _drop_pg_database(url)


@pytest.mark.postgres
def test_changes_commit_in_seq_order(pg: Database) -> None:
    """A writer holds the advisory lock from writing its change to its commit: another
    writer's commit waits, so its change gets the next ``seq`` and commits after."""
    case_a = _case_id(pg, 1)
    done = threading.Event()
    with pg.session() as first:
        CaseRepository(first).add_bank_entry(case_a, _sha(1), _pdq(1), T0)
        _write_case_media_changes(first)  # what the commit does first: lock, change row

        def second() -> None:
            with pg.session() as s:
                CaseRepository(s).add_bank_entry(case_a, _sha(2), _pdq(2), T0)
            done.set()

        t = threading.Thread(target=second)
        t.start()
        assert not done.wait(1.0)  # waits for the lock, not for its own row
    t.join(10)
    assert done.is_set()
    with pg.session() as s:
        rows = s.execute(
            select(CaseMediaChangeRow.row_id, BankRow.sha256)
            .join(BankRow, BankRow.id == CaseMediaChangeRow.row_id)
            .where(CaseMediaChangeRow.kind == "bank")
            .order_by(CaseMediaChangeRow.seq)
        ).all()
    assert [sha for _, sha in rows] == [_sha(1), _sha(2)]
