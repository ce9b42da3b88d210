"""Audio prints (Chromaprint) of a registration whose rows commit after a higher row id
was read (two writers on PostgreSQL, where ids are handed out before commit) still
become matchable in every process: the in-process audio index follows the change
sequence, as the PDQ index does (tests/integration/test_fingerprint_late_commit.py).
With the matchers (``remote``) the API process keeps only the audio prints, so there
this is the whole of its index."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from mediaproof.matching.lookup import Candidate, FingerprintEntry
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository, record_index_change
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
from tests.factories import asset_row

pytestmark = pytest.mark.postgres


class _NoRemote:
    """A stand-in for the matchers (PDQ/vPDQ only): never asked about audio here."""

    def find_near(self, signal: str, value: object, max_distance: float) -> list[Candidate]:
        raise AssertionError(f"{signal} went to the matchers")


def _items(seed: int) -> np.ndarray:
    # ~50 s of Chromaprint items: unrelated clips sit near a bit-error rate of 0.5
    return np.random.default_rng(seed).integers(0, 2**32, 400, dtype=np.uint32)


def _entry(items: np.ndarray) -> FingerprintEntry:
    return FingerprintEntry(signal="chromaprint", value=items.astype("<u4").tobytes())


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def _found(lookup: SqlFingerprintLookup, items: np.ndarray) -> list[str]:
    return [c.asset_id for c in lookup.find_near("chromaprint", items.tolist(), 0.1)]


@pytest.mark.parametrize("remote", [False, True], ids=["whole-index", "with-matchers"])
def test_audio_rows_committed_behind_a_higher_id_are_found(pg: Database, remote: bool) -> None:
    lookup = SqlFingerprintLookup(pg, remote=_NoRemote() if remote else None)
    lookup.refresh(force=True)  # loaded, empty
    late, early = _items(1), _items(2)

    # writer A's row gets the lower id, but it commits last
    with pg.session() as slow:
        a = asset_row(slow, sha256=_sha(1))
        e = _entry(late)
        # the row first, the change (and its lock) at the tail, as add_many does
        slow.add(FingerprintRow(asset_id=a.id, signal=e.signal, value=e.value))
        slow.flush()

        # writer B registers and commits meanwhile: its row has a higher id
        with pg.session() as s:
            b = asset_row(s, sha256=_sha(2))
            FingerprintRepository(s).add_many(b.id, [_entry(early)])
        lookup.refresh(force=True)
        assert _found(lookup, early) == [str(b.id)]
        assert _found(lookup, late) == []  # not committed yet

        record_index_change(slow, a.id, "add")
    lookup.refresh(force=True)
    # reading by id alone had passed A's row for good; the change sequence brings it back
    assert _found(lookup, late) == [str(a.id)]
    assert _found(lookup, early) == [str(b.id)]
    lookup.refresh(force=True)  # following the same change again changes nothing
    assert _found(lookup, late) == [str(a.id)]

    # a withdrawn asset's audio stays out, even though its change is followed again
    with pg.session() as s:
        AssetRepository(s).set_status(a.id, "withdrawn")
    lookup.refresh(force=True)
    assert _found(lookup, late) == []
