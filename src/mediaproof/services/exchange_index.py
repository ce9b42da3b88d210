"""The index an upload is matched through against signals received from peers and the
local negative list, so a match costs a few probes, not a scan of every received row.

PDQ signals sit in an exact multi-index (:class:`~mediaproof.matching.hamming_index.
HammingIndex`: the same answer as brute force); vPDQ and Chromaprint signals in the
index the bank's case media use (:class:`~mediaproof.matching.media_bank.MediaBank`:
frames in an exact Hamming index, sound in the Chromaprint index, with the bank's
thresholds); ``video_md5`` is a database lookup by value (an index on type and
digest). The index holds only ``(row id, hash)``: everything
that decides what a hit means (its category, quarantine, review, the row still being
there) is read from the rows the hits name, fresh, at each match. So:

- a pull adds rows: each match first tops the index up from row ids above the last it
  saw (ids are never reused, migration 0026), one indexed query, usually empty;
- a withdrawal, a snapshot reload or the quality gate deletes rows: a hit on a deleted
  row finds no row and is dropped from the index then;
- quarantine, release and a source's negative class are read from the row;
- the local negative list is indexed the same way, apart.

Each process keeps its own index (``Instance.exchange_index``); it reads the shared
database, so a pull by another process (a worker, a second ``serve``) is seen at the
next match. The final verdict is :func:`mediaproof.exchange.incoming.find` over the
candidate rows as stored, so the rules are the ones the scan applied.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mediaproof.exchange.incoming import PDQ_BITS, PDQ_MAX_DISTANCE
from mediaproof.exchange.media_signals import MEDIA_TYPES
from mediaproof.matching.hamming_index import HammingIndex
from mediaproof.matching.media_bank import MediaBank
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_exchange_incoming import (
    IncomingRecord,
    IncomingRepository,
    NegativeRecord,
)

TOP_UP_BATCH = 100_000  # rows read per query when the index tops up (a first load: many)
PDQ = "pdq"


def _pdq_bytes(value: str) -> bytes | None:
    if len(value) != PDQ_BITS // 4:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


class _Side:
    """One table's PDQ, vPDQ and Chromaprint rows in an index, topped up from ids above
    ``last``. The media index is keyed by the row id as text."""

    def __init__(self) -> None:
        self.index = HammingIndex(max_distance=PDQ_MAX_DISTANCE)
        self.media = MediaBank()
        self.last = 0

    def add(self, rows: Sequence[tuple[int, str, str]]) -> None:
        ids: list[int] = []
        hashes: list[bytes] = []
        for i, t, v in rows:
            if t in MEDIA_TYPES:
                self.media.add(str(i), i, {t: v})
                continue
            b = _pdq_bytes(v) if t == PDQ else None
            if b is not None:
                ids.append(i)
                hashes.append(b)
        if ids:
            self.index.add_many(np.array(ids, dtype=np.int64), hashes)
        if rows:
            self.last = rows[-1][0]

    def near(self, queries: Sequence[bytes], max_distance: int) -> set[int]:
        out: set[int] = set()
        for q in queries:
            ids, _ = self.index.query_arrays(q, max_distance)
            out.update(ids.tolist())
        return out

    def near_media(self, keys: Mapping[str, Sequence[str]]) -> set[int]:
        out: set[int] = set()
        for t in MEDIA_TYPES:
            for v in keys.get(t, ()):
                out.update(h.case_id for h in self.media.near({t: v}) if h.alg == t)
        return out

    def forget(self, gone: set[int]) -> None:
        if gone:
            self.index.remove_many(np.fromiter(gone, dtype=np.int64, count=len(gone)))
            for i in gone:
                self.media.remove(str(i))


@dataclass(frozen=True)
class Candidates:
    """Rows an upload may match, read fresh: received signals and local negatives."""

    received: list[IncomingRecord]
    negatives: list[NegativeRecord]


class ReceivedIndex:
    """Received and locally negative PDQ, vPDQ and Chromaprint signals of one database,
    kept in step with it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._received = _Side()
        self._negative = _Side()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._received.index) + len(self._received.media)

    @property
    def nbytes(self) -> int:
        """Memory of both indexes' arrays and tables."""
        return self._received.index.nbytes + self._negative.index.nbytes

    def refresh(self, repo: IncomingRepository) -> None:
        """Add rows stored since the last refresh (every row on the first)."""
        with self._lock:
            for side, read in (
                (self._received, repo.received_after),
                (self._negative, repo.negatives_after),
            ):
                while True:
                    rows = read(side.last, TOP_UP_BATCH)
                    side.add(rows)
                    if len(rows) < TOP_UP_BATCH:
                        break

    def candidates(
        self,
        repo: IncomingRepository,
        keys: Mapping[str, Sequence[str]],
        max_distance: int = PDQ_MAX_DISTANCE,
    ) -> Candidates:
        """The stored rows within ``max_distance`` of an upload's PDQ hashes, those its
        vPDQ or Chromaprint matches, and those whose exact-type value it has; a superset
        of what :func:`find` keeps."""
        self.refresh(repo)
        queries = [b for v in keys.get(PDQ, ()) if (b := _pdq_bytes(v)) is not None]
        r = min(max_distance, PDQ_MAX_DISTANCE)
        want: set[int] = set()
        nwant: set[int] = set()
        if queries:
            want |= self._received.near(queries, r)
            nwant |= self._negative.near(queries, r)
        if any(keys.get(t) for t in MEDIA_TYPES):
            want |= self._received.near_media(keys)
            nwant |= self._negative.near_media(keys)
        received: list[IncomingRecord] = []
        negatives: list[NegativeRecord] = []
        if want:
            received += repo.incoming_by_ids(want)
            self._received.forget(want - {g.id for g in received})
        if nwant:
            negatives += repo.negatives_by_ids(nwant)
            self._negative.forget(nwant - {g.id for g in negatives})
        for t, values in keys.items():
            if t == PDQ or t in MEDIA_TYPES or not values:
                continue
            lowered = {v.lower() for v in values}
            received += repo.incoming_by_values(t, lowered)
            negatives += repo.negatives_by_values(t, lowered)
        return Candidates(received, negatives)
