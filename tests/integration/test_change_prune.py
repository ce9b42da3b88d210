"""Pruning the change sequences (``index_changes``, ``case_media_changes``) never makes a
follower miss a change: a follower at the horizon goes on from it, one below it
rebuilds from the rows, a registration made while prunes run is found, and ``seq`` never
goes back (SQLite hands out the highest seq again once its row is gone)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from typer.testing import CliRunner

from mediaproof.cli.main import app
from mediaproof.config import Settings
from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.services.change_prune import prune_change_sequences
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.services.instance import Instance
from mediaproof.services.log_writer import run_log_writer
from mediaproof.services.matchers import ShardReplica, build_snapshots
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_changes import horizon
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from mediaproof.storage.sql.tables_fingerprints import IndexChangeRow
from tests.conftest import _drop_pg_database, _pg_database
from tests.integration.test_audio_late_commit import _entry, _items, _NoRemote, _sha
from tests.matcher_support import Registry

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)  # every change is old by then


def _prune_all(db: Database) -> int:
    """Prune everything prunable (all but the newest change); the new horizon."""
    prune_change_sequences(db, 0, now=LATER)
    with db.session() as s:
        return horizon(s, "index_changes")


def _seqs(db: Database) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(IndexChangeRow.seq).order_by(IndexChangeRow.seq)))


@pytest.fixture
def inst(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    i = Instance(Settings(home=tmp_path / "inst", database_url=db_url))
    try:
        yield i
    finally:
        i.close()


def _lookup_answers(lookup: SqlFingerprintLookup, q: bytes) -> list[tuple[str, int]]:
    return sorted((c.asset_id, int(c.distance)) for c in lookup.find_near("pdq", q, 31))


def _replica_answers(replica: ShardReplica, q: bytes) -> list[tuple[str, int]]:
    _, found = replica.find_near("pdq", q, 31)
    return sorted((c.asset_id, int(c.distance)) for c in found)


class _Rebuilds:
    """Counts the API index's rebuilds (the real method runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        real = SqlFingerprintLookup._rebuild

        def counted(lookup: SqlFingerprintLookup) -> None:
            self.n += 1
            real(lookup)

        monkeypatch.setattr(SqlFingerprintLookup, "_rebuild", counted)


def test_newest_change_is_kept_and_seq_never_reused(inst: Instance) -> None:
    reg = Registry(inst.db)
    reg.register(3)
    before = _seqs(inst.db)
    assert prune_change_sequences(inst.db, 7)[0].deleted == 0  # nothing a week old
    h = _prune_all(inst.db)
    assert _seqs(inst.db) == [before[-1]] and h == before[-2]  # the newest stays
    reg.register(1)
    after = _seqs(inst.db)
    assert after[-1] > before[-1]  # not handed out again
    assert _prune_all(inst.db) == before[-1]
    assert _prune_all(inst.db) == before[-1]  # nothing more to prune: horizon unchanged
    with inst.db.session() as s:
        assert FingerprintRepository(s).last_change_seq() == after[-1]
        # even with every row gone (deleted by hand), a fresh follower is not "behind"
        s.query(IndexChangeRow).delete()
    with inst.db.session() as s:
        assert FingerprintRepository(s).last_change_seq() == before[-1]
        assert FingerprintRepository(s).changes_after(before[-1]) == []


def test_api_index_at_the_horizon_goes_on_and_behind_it_rebuilds(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds = _Rebuilds(monkeypatch)
    reg = Registry(inst.db)
    reg.register(10)
    at = SqlFingerprintLookup(inst.db)
    behind = SqlFingerprintLookup(inst.db)
    at.refresh(force=True)
    behind.refresh(force=True)
    reg.register(1)  # the newest change: the prune keeps it, the horizon is just below
    at.refresh(force=True)
    assert _prune_all(inst.db) == at._seq - 1
    reg.register(1)
    at.refresh(force=True)
    assert rebuilds.n == 0  # exactly from where it was

    fresh = SqlFingerprintLookup(inst.db)  # a start after a prune: not behind
    fresh.refresh(force=True)
    fresh.refresh(force=True)
    assert rebuilds.n == 0

    # ``behind`` has followed nothing since: withdrawals and registrations it missed
    reg.withdraw(sorted(reg.active)[:3])
    reg.register(4)
    h = _prune_all(inst.db)
    assert behind._seq < h
    behind.refresh(force=True)
    assert rebuilds.n == 1 and behind._seq >= h
    at.refresh(force=True)
    assert rebuilds.n == 2  # ``at`` was one change behind the new horizon
    for a in sorted(reg.hashes):  # withdrawn ones included: they must not match
        q = reg.query(a)
        want = reg.brute(q)
        assert _lookup_answers(behind, q) == want
        assert _lookup_answers(at, q) == want
    behind.refresh(force=True)
    assert rebuilds.n == 2  # once caught up, no more rebuilds


def test_matcher_behind_the_horizon_rebuilds_from_rows(inst: Instance, tmp_path: Path) -> None:
    reg = Registry(inst.db)
    reg.register(12)
    build_snapshots(inst.db, inst.blob_store, 1, tmp_path / "build")
    live = ShardReplica(inst.db, inst.blob_store, 0, 1, tmp_path / "c1")
    live.load()
    reg.register(1)
    live.poll()
    assert _prune_all(inst.db) == live.seq - 1  # at the horizon: goes on
    reg.register(2)
    live.poll()
    assert live.snapshot_built_at is not None  # still its snapshot, not rebuilt

    # a new replica on the old snapshot (older than the horizon) reads the rows instead
    reg.withdraw(sorted(reg.active)[:2])
    reg.register(3)
    h = _prune_all(inst.db)
    late = ShardReplica(inst.db, inst.blob_store, 0, 1, tmp_path / "c2")
    late.load()
    assert late.seq >= h and late.snapshot_built_at is None
    # the live one was behind the new horizon too: rebuilt aside and swapped in
    live.poll()
    assert live.seq >= h and live.snapshot_built_at is None
    for a in sorted(reg.hashes):
        q = reg.query(a)
        assert _replica_answers(late, q) == reg.brute(q)
        assert _replica_answers(live, q) == reg.brute(q)


def test_prune_between_a_followers_two_reads_is_noticed(
    inst: Instance, tmp_path: Path
) -> None:
    """A prune that commits between the follower's read of the changes and its read of
    the horizon: had it read the horizon first, it would skip the pruned changes."""
    reg = Registry(inst.db)
    reg.register(4)
    replica = ShardReplica(inst.db, inst.blob_store, 0, 1, tmp_path / "c")
    replica.load()
    new = reg.register(5)
    armed = {"on": True}

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        is_read = statement.lstrip().upper().startswith("SELECT")
        if armed["on"] and is_read and ("index_changes" in statement
                                        or "change_horizons" in statement):  # fmt: skip
            armed["on"] = False  # the follower's first read of the two: prune now
            _prune_all(inst.db)

    event.listen(inst.db.engine, "after_cursor_execute", after)
    try:
        replica.poll()
    finally:
        event.remove(inst.db.engine, "after_cursor_execute", after)
    assert not armed["on"]
    for a in new:
        q = reg.query(a)
        assert str(a) in {m for m, _ in _replica_answers(replica, q)}
        assert _replica_answers(replica, q) == reg.brute(q)


def test_registrations_during_prunes_are_found(
    inst: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = Registry(inst.db)
    reg.register(5)
    lookup = SqlFingerprintLookup(inst.db)
    lookup.refresh(force=True)
    replica = ShardReplica(inst.db, inst.blob_store, 0, 1, tmp_path / "c")
    replica.load()
    done = threading.Event()
    failed: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(25):
                reg.register(1)
        except BaseException as e:  # reported below
            failed.append(e)
        finally:
            done.set()

    t = threading.Thread(target=writer)
    t.start()
    prunes = 0
    while not done.is_set() or prunes < 3:
        _prune_all(inst.db)
        prunes += 1
        replica.poll()
        lookup.refresh(force=True)
    t.join()
    assert not failed
    replica.poll()
    lookup.refresh(force=True)
    assert len(reg.hashes) == 30
    for a in sorted(reg.hashes):
        q = reg.query(a)
        want = reg.brute(q)
        assert str(a) in {m for m, _ in want}
        assert _replica_answers(replica, q) == want
        assert _lookup_answers(lookup, q) == want


def test_prune_command_and_the_log_writer_prune(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = Registry(inst.db)
    reg.register(3)
    monkeypatch.setenv("MEDIAPROOF_DATABASE_URL", inst.db.url)
    home = ["--home", str(inst.home)]
    r = CliRunner().invoke(app, ["matcher", "prune", "--json", *home])
    assert r.exit_code == 0, r.output
    assert {p["table"]: p["deleted"] for p in json.loads(r.stdout)}["index_changes"] == 0
    time.sleep(0.05)
    r = CliRunner().invoke(app, ["matcher", "prune", "--keep-days", "0", "--json", *home])
    assert r.exit_code == 0, r.output
    out = {p["table"]: p for p in json.loads(r.stdout)}
    assert out["index_changes"]["deleted"] == 2
    assert out["index_changes"]["horizon"] == _seqs(inst.db)[0] - 1

    # the log writer prunes on its own, at its first round and then hourly
    reg.register(2)
    time.sleep(0.2)
    reg.register(1)
    monkeypatch.setattr(inst.settings.service, "changes_keep_days", 0.1 / 86400)
    before = _seqs(inst.db)
    stop = threading.Event()
    t = threading.Thread(target=run_log_writer, args=(inst, 0.05, stop))
    t.start()
    try:
        deadline = time.monotonic() + 20
        while _seqs(inst.db) != before[-1:] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        t.join(10)
    assert _seqs(inst.db) == before[-1:]


def test_api_audio_index_behind_the_horizon_rebuilds(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the matchers (``remote``) the API process keeps only the audio prints: a
    rebuild keeps it that way and serves what a fresh start serves."""
    rebuilds = _Rebuilds(monkeypatch)

    def register(n: int) -> int:
        with inst.db.session() as s:
            a = AssetRepository(s).add(sha256=_sha(n), mime="audio/wav", size=1, title="t")
            FingerprintRepository(s).add_many(a.id, [_entry(_items(n))])
            return a.id

    def found(lookup: SqlFingerprintLookup, n: int) -> list[str]:
        return [c.asset_id for c in lookup.find_near("chromaprint", _items(n).tolist(), 0.1)]

    ids = {n: register(n) for n in range(1, 4)}
    lookup = SqlFingerprintLookup(inst.db, remote=_NoRemote())
    lookup.refresh(force=True)
    with inst.db.session() as s:
        AssetRepository(s).set_status(ids[1], "withdrawn")
    ids |= {n: register(n) for n in range(4, 7)}
    assert lookup._seq < _prune_all(inst.db)
    lookup.refresh(force=True)
    assert rebuilds.n == 1
    assert found(lookup, 1) == []
    for n in range(2, 7):
        assert found(lookup, n) == [str(ids[n])]
    with pytest.raises(AssertionError, match="went to the matchers"):
        lookup.find_near("pdq", b"\0" * 32, 31)  # PDQ stays with the matchers


@pytest.mark.postgres
def test_registration_uncommitted_while_a_prune_commits_is_found(
    pg_template: str, tmp_path: Path
) -> None:
    """PostgreSQL: a registration holds the change lock with its change row written but
    not committed while a prune deletes and commits (it takes no lock: the uncommitted
    change is above the newest committed one, which stays). SQLite runs one writer at a
    time, so there the prune would just wait (the threaded test above)."""
    url = _pg_database(pg_template)
    i = Instance(Settings(home=tmp_path / "inst", database_url=url))
    try:
        reg = Registry(i.db)
        reg.register(4)
        replica = ShardReplica(i.db, i.blob_store, 0, 1, tmp_path / "c")
        replica.load()
        lookup = SqlFingerprintLookup(i.db)
        lookup.refresh(force=True)
        with i.db.session() as slow:
            a = AssetRepository(slow).add(sha256="f" * 64, mime="image/png", size=1, title="t")
            q = reg.hashes[sorted(reg.hashes)[0]][0][::-1]  # a hash no one else has
            FingerprintRepository(slow).add_many(a.id, [FingerprintEntry("pdq", q, quality=100)])
            h = _prune_all(i.db)  # commits while ``slow`` holds the lock
            with i.db.session() as s:
                newest = FingerprintRepository(s).last_change_seq()
            assert h == newest - 1 and replica.seq == newest
        replica.poll()
        lookup.refresh(force=True)
        assert str(a.id) in {c.asset_id for c in replica.find_near("pdq", q, 0)[1]}
        assert str(a.id) in {c.asset_id for c in lookup.find_near("pdq", q, 0)}
    finally:
        i.close()
        _drop_pg_database(url)
