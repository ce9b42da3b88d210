"""A registration whose rows commit after a higher row id was read (two writers on
PostgreSQL, where ids are handed out before commit) still becomes matchable in every
process: the in-process index follows the change sequence, not only row ids."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_changes import prune_changes
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository, record_index_change
from mediaproof.storage.sql.tables import AssetRow, utcnow
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
from tests.factories import asset_row

pytestmark = pytest.mark.postgres


def _pdq(seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(32)


def _entry(value: bytes) -> FingerprintEntry:
    return FingerprintEntry(signal="pdq", value=value, quality=100,
                            variant="original")  # fmt: skip


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


@contextlib.contextmanager
def _two_writers(pg: Database, seed: int) -> Iterator[tuple[AssetRow, AssetRow]]:
    """Writer A's row (hash ``_pdq(seed)``) gets the lower id but commits last: inside
    the block it is written, not committed, while writer B (hash ``_pdq(seed + 1)``)
    has registered and committed; A commits, with its change, when the block ends."""
    with pg.session() as slow:
        a = asset_row(slow, sha256=_sha(seed))
        e = _entry(_pdq(seed))
        # the rows first, the change (and its lock) at the tail, as add_many does
        slow.add(FingerprintRow(asset_id=a.id, signal=e.signal, value=e.value,
                                quality=e.quality, variant=e.variant))  # fmt: skip
        slow.flush()
        with pg.session() as s:  # its rows have higher ids
            b = asset_row(s, sha256=_sha(seed + 1))
            FingerprintRepository(s).add_many(b.id, [_entry(_pdq(seed + 1))])
        yield a, b
        record_index_change(slow, a.id, "add")


def test_rows_committed_behind_a_higher_id_are_found(pg: Database) -> None:
    lookup = SqlFingerprintLookup(pg)
    lookup.refresh(force=True)  # loaded, empty
    late_hash, early_hash = _pdq(1), _pdq(2)

    with _two_writers(pg, 1) as (a, b):
        lookup.refresh(force=True)
        assert [c.asset_id for c in lookup.find_near("pdq", early_hash, 0)] == [str(b.id)]
        assert lookup.find_near("pdq", late_hash, 0) == []  # not committed yet
    lookup.refresh(force=True)
    # reading by id alone had passed A's row for good; the change sequence brings it back
    assert [c.asset_id for c in lookup.find_near("pdq", late_hash, 0)] == [str(a.id)]
    assert [c.asset_id for c in lookup.find_near("pdq", early_hash, 0)] == [str(b.id)]
    lookup.refresh(force=True)  # following the same change again adds nothing twice
    assert len(lookup.find_near("pdq", late_hash, 0)) == 1


def test_a_row_the_snapshot_passed_over_is_found_by_a_process_starting_from_it(
    pg: Database, tmp_path: Path
) -> None:
    """A snapshot covers rows up to the last id its writer had read; a row with a lower
    id that commits after the snapshot was written is in neither the snapshot nor the
    rows read after it, so a process starting from the snapshot must follow the changes
    since the snapshot's own place, not only those after its start."""
    snapshots = tmp_path / "index"
    writer = SqlFingerprintLookup(pg, snapshot_dir=snapshots)
    writer.refresh(force=True)
    late_hash, early_hash = _pdq(11), _pdq(12)

    with _two_writers(pg, 11) as (a, b):
        writer.write_snapshot()  # rows up to B's id; A's is not committed yet

    started = SqlFingerprintLookup(pg, snapshot_dir=snapshots)
    started.refresh(force=True)
    assert started.progress.snapshot_rows > 0  # it did start from the snapshot
    assert [c.asset_id for c in started.find_near("pdq", late_hash, 0)] == [str(a.id)]
    assert [c.asset_id for c in started.find_near("pdq", early_hash, 0)] == [str(b.id)]


def test_a_snapshot_older_than_the_pruned_changes_is_not_trusted(
    pg: Database, tmp_path: Path
) -> None:
    """The changes that would bring back what a snapshot passed over are gone once
    pruned past its place: a process starting then reads the rows instead."""
    snapshots = tmp_path / "index"
    writer = SqlFingerprintLookup(pg, snapshot_dir=snapshots)
    writer.refresh(force=True)
    late_hash = _pdq(21)
    with _two_writers(pg, 21) as (a, _):
        writer.write_snapshot()
    with pg.session() as s:  # a newer change, so A's is not the newest kept
        c = asset_row(s, sha256=_sha(23))
        FingerprintRepository(s).add_many(c.id, [_entry(_pdq(23))])
    with pg.session() as s:
        pruned = prune_changes(s, "index_changes", utcnow() + dt.timedelta(days=1))
    assert pruned.deleted >= 2

    started = SqlFingerprintLookup(pg, snapshot_dir=snapshots)
    started.refresh(force=True)
    assert started.progress.snapshot_rows == 0  # the snapshot was set aside
    for asset, value in ((a, late_hash), (c, _pdq(23))):
        assert [x.asset_id for x in started.find_near("pdq", value, 0)] == [str(asset.id)]
