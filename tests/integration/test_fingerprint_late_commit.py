"""A registration whose rows commit after a higher row id was read (two writers on
PostgreSQL, where ids are handed out before commit) still becomes matchable in every
process: the in-process index follows the change sequence, not only row ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pytest

from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository, record_index_change
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
from tests.conftest import _drop_pg_database, _pg_database
from tests.factories import asset_row

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_template: str) -> Iterator[Database]:
    url = _pg_database(pg_template)
    d = Database(url)
    upgrade(d.engine)
    try:
        yield d
    finally:
        d.dispose()
        _drop_pg_database(url)


def _pdq(seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(32)


def _entry(value: bytes) -> FingerprintEntry:
    return FingerprintEntry(signal="pdq", value=value, quality=100,
                            variant="original")  # fmt: skip


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def test_rows_committed_behind_a_higher_id_are_found(pg: Database) -> None:
    lookup = SqlFingerprintLookup(pg)
    lookup.refresh(force=True)  # loaded, empty
    late_hash, early_hash = _pdq(1), _pdq(2)

    # writer A's rows get the lower ids, but it commits last
    with pg.session() as slow:
        a = asset_row(slow, sha256=_sha(1))
        e = _entry(late_hash)
        # the rows first, the change (and its lock) at the tail, as add_many does
        slow.add(FingerprintRow(asset_id=a.id, signal=e.signal, value=e.value,
                                quality=e.quality, variant=e.variant))  # fmt: skip
        slow.flush()

        # writer B registers and commits meanwhile: its rows have higher ids
        with pg.session() as s:
            b = asset_row(s, sha256=_sha(2))
            FingerprintRepository(s).add_many(b.id, [_entry(early_hash)])
        lookup.refresh(force=True)
        assert [c.asset_id for c in lookup.find_near("pdq", early_hash, 0)] == [str(b.id)]
        assert lookup.find_near("pdq", late_hash, 0) == []  # not committed yet

        record_index_change(slow, a.id, "add")
    lookup.refresh(force=True)
    # reading by id alone had passed A's row for good; the change sequence brings it back
    assert [c.asset_id for c in lookup.find_near("pdq", late_hash, 0)] == [str(a.id)]
    assert [c.asset_id for c in lookup.find_near("pdq", early_hash, 0)] == [str(b.id)]
    lookup.refresh(force=True)  # following the same change again adds nothing twice
    assert len(lookup.find_near("pdq", late_hash, 0)) == 1
