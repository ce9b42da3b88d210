"""The service's fingerprint index: loaded in bulk, snapshotted, memory-mapped at the
next start and caught up from the database, never silently stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from tests.factories import asset_row

VARIANTS = ("original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus",
            "flipminus")  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = Database(f"sqlite:///{tmp_path / 'fp.db'}")
    upgrade(d.engine)
    yield d
    d.dispose()


def _register(db: Database, rng: np.random.Generator, n_assets: int) -> list[tuple[int, bytes]]:
    """Assets with 8 random PDQ rows each (and an MD5); returns (asset id, first hash)."""
    out = []
    with db.session() as s:
        for _ in range(n_assets):
            asset = asset_row(s, sha256=rng.bytes(32).hex())
            hashes = [rng.bytes(32) for _ in VARIANTS]
            entries = [FingerprintEntry("md5", digest=rng.bytes(16).hex())] + [
                FingerprintEntry("pdq", h, quality=100, variant=v, pipeline="draft512")
                for h, v in zip(hashes, VARIANTS, strict=True)
            ]
            FingerprintRepository(s).add_many(asset.id, entries)
            out.append((asset.id, hashes[0]))
    return out


def _near(h: bytes, k: int = 5) -> bytes:
    v = bytearray(h)
    for b in range(k):
        v[b] ^= 1
    return bytes(v)


def test_restart_maps_the_snapshot_and_catches_up(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    snap = tmp_path / "index"
    old = _register(db, rng, 40)
    first = SqlFingerprintLookup(db, snapshot_dir=snap)
    first.write_snapshot()
    # registered just before the restart, and one withdrawn after the snapshot
    late = _register(db, rng, 1)
    with db.session() as s:
        AssetRepository(s).set_status(old[3][0], "withdrawn")

    restarted = SqlFingerprintLookup(db, snapshot_dir=snap)
    restarted.start_loading()
    found = restarted.find_near("pdq", _near(late[0][1]), 31)  # waits for the load
    assert [(c.asset_id, c.variant, c.distance) for c in found] == [
        (str(late[0][0]), "original", 5)
    ]
    assert restarted.ready
    # the old rows came from the snapshot; only the late asset's rows were read
    assert restarted.progress.snapshot_rows == 40 * 8
    assert restarted.progress.caught_up_rows == 8
    words = restarted._store._index["pdq"]._state.main.words
    assert isinstance(words, np.memmap)  # mapped, not read into memory
    assert [c.asset_id for c in restarted.find_near("pdq", old[5][1], 31)] == [str(old[5][0])]
    assert restarted.find_near("pdq", old[3][1], 31) == []  # withdrawn since the snapshot
    assert restarted.hash_count == 40 * 8  # 40 - 1 withdrawn + 1 late, 8 each


def test_a_snapshot_of_another_database_is_not_used(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    snap = tmp_path / "index"
    _register(db, rng, 5)
    SqlFingerprintLookup(db, snapshot_dir=snap).write_snapshot()
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other.engine)
    try:
        mine = _register(other, np.random.default_rng(9), 3)  # ids 1..3 again: same anchors?
        fresh = SqlFingerprintLookup(other, snapshot_dir=snap)
        hits = fresh.find_near("pdq", mine[0][1], 0)
        assert [c.asset_id for c in hits] == [str(mine[0][0])]
        assert fresh.progress.snapshot_rows == 0  # the foreign snapshot was refused
        assert fresh.hash_count == 3 * 8
    finally:
        other.dispose()


def test_a_damaged_snapshot_is_ignored_and_rows_are_read(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(10)
    snap = tmp_path / "index"
    regs = _register(db, rng, 4)
    folder = SqlFingerprintLookup(db, snapshot_dir=snap).write_snapshot()
    (folder / "pdq.ix.words.npy").write_bytes(b"not an array")
    fresh = SqlFingerprintLookup(db, snapshot_dir=snap)
    assert [c.asset_id for c in fresh.find_near("pdq", regs[2][1], 0)] == [str(regs[2][0])]
    assert fresh.progress.snapshot_rows == 0 and fresh.hash_count == 4 * 8


def test_md5_is_answered_by_the_database_for_active_assets(db: Database) -> None:
    with db.session() as s:
        a = asset_row(s, sha256="a" * 64)
        FingerprintRepository(s).add_many(a.id, [FingerprintEntry("md5", digest="ab" * 16)])
    lookup = SqlFingerprintLookup(db)
    assert [c.asset_id for c in lookup.find_near("md5", "ab" * 16, 0)] == [str(a.id)]
    with db.session() as s:
        AssetRepository(s).set_status(a.id, "withdrawn")
    assert lookup.find_near("md5", "ab" * 16, 0) == []


def test_the_inactive_query_uses_the_status_index(db: Database) -> None:
    from sqlalchemy import text

    plan = " ".join(
        str(r)
        for r in db.engine.connect().execute(
            text(
                "EXPLAIN QUERY PLAN SELECT id FROM assets "
                "WHERE status < 'active' OR status > 'active'"
            )
        )
    )
    assert "ix_assets_status_id" in plan


@pytest.mark.empty_database
def test_migration_0014_matches_the_tables(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mediaproof.storage.sql.tables import Base

    d = Database(db_url)
    try:
        upgrade(d.engine)
        with d.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        d.dispose()
    names = ("hash_list", "ix_assets_status_id")
    assert [x for x in diff if any(n in repr(x) for n in names)] == []
