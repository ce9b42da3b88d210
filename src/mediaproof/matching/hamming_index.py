"""Exact Hamming range search over 256-bit hashes (PDQ), from thousands to 10^8 rows.

Multi-index hashing (:mod:`mediaproof.matching.mih`) finds the candidates in a few
table probes per slot; each is verified with a full popcount
(:mod:`mediaproof.matching.hamming_words`). The result is exact (same answer as brute
force), never approximate.

Below :data:`BRUTE_FORCE_BELOW` rows a vectorised brute-force scan is faster and is used
instead. New rows go to a small append-only delta that is scanned by brute force and
merged into the main tables in a background thread; removals mark rows dead at once.

Concurrency: any number of reader threads may query while one writer adds or removes
(writers serialise on a lock). Readers take one reference to an immutable state
object; the delta is append-only and its row count is published after the row is
written, so a reader sees each row either completely or not at all.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

# The word and MIH layers live in their own modules; their names stay importable here.
from mediaproof.matching.clusters import Clusters, split_rows
from mediaproof.matching.hamming_scan import scan, verify
from mediaproof.matching.hamming_scan import warm as warm_scan
from mediaproof.matching.hamming_words import HASH_BITS as HASH_BITS
from mediaproof.matching.hamming_words import I64 as I64
from mediaproof.matching.hamming_words import U64 as U64
from mediaproof.matching.hamming_words import WORDS as WORDS
from mediaproof.matching.hamming_words import IndexSnapshotError as IndexSnapshotError
from mediaproof.matching.hamming_words import brute_force as brute_force
from mediaproof.matching.hamming_words import distances as distances
from mediaproof.matching.hamming_words import hash_to_words as hash_to_words
from mediaproof.matching.hamming_words import hashes_to_words as hashes_to_words
from mediaproof.matching.mih import BIT_PERMUTATION as BIT_PERMUTATION
from mediaproof.matching.mih import DEFAULT_MAX_DISTANCE as DEFAULT_MAX_DISTANCE
from mediaproof.matching.mih import MAX_SLOT_BITS as MAX_SLOT_BITS
from mediaproof.matching.mih import _Mih as _Mih
from mediaproof.matching.mih import _n_probes as _n_probes
from mediaproof.matching.mih import _slot_keys as _slot_keys
from mediaproof.matching.mih import _slot_widths as _slot_widths
from mediaproof.matching.mih import choose_slots as choose_slots
from mediaproof.matching.mih import permute_bits as permute_bits

BRUTE_FORCE_BELOW = 10_000  # measured crossover: 0.19 ms either way at 10k rows
# 2: slots cut from the permuted bits; 3: dense clusters set apart; 4: clustered rows
# scanned where they lie in the main arrays (no column copy)
SNAPSHOT_VERSION = 4
HEAVY_CANDIDATES = 0.25  # a query with more candidates than this share of rows scans all


@dataclass(frozen=True)
class _Main:
    words: U64
    ids: I64
    alive: NDArray[np.bool_]  # flipped to False by remove(); never back
    mih: _Mih | None  # over rows [0, free) only
    free: int  # rows before this position are in the tables; the rest are in clusters
    clusters: Clusters | None


class _Delta:
    """Append-only buffer. ``count`` is published after the row is written."""

    def __init__(self, capacity: int) -> None:
        self.words = np.zeros((capacity, WORDS), dtype=np.uint64)
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.alive = np.ones(capacity, dtype=np.bool_)
        self.count = 0

    @property
    def capacity(self) -> int:
        return len(self.ids)

    def grown(self, need: int) -> _Delta:
        new = _Delta(max(need, 2 * self.capacity))
        n = self.count
        new.words[:n] = self.words[:n]
        new.ids[:n] = self.ids[:n]
        new.alive[:n] = self.alive[:n]
        new.count = n
        return new


@dataclass(frozen=True)
class _State:
    main: _Main
    delta: _Delta


@dataclass(frozen=True)
class Hit:
    id: int
    distance: int


class HammingIndex:
    """Exact range search: every stored hash within ``max_distance`` bits of a query.

    ``ids`` are caller-chosen int64 values (database row ids, say); the same id may be
    stored under several hashes (e.g. the 8 dihedral variants of one image).
    """

    def __init__(
        self,
        *,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        delta_limit: int = 16_384,
        background_merge: bool = True,
        brute_force_below: int = BRUTE_FORCE_BELOW,
        clusters: bool = True,
    ) -> None:
        if not 0 <= max_distance < HASH_BITS:
            raise ValueError("max_distance must be in [0, 256)")
        self.max_distance = max_distance
        self.delta_limit = delta_limit
        self.background_merge = background_merge
        self.brute_force_below = brute_force_below
        self.clusters = clusters
        self._lock = threading.RLock()
        self._state = _State(
            self._make_main(np.zeros((0, WORDS), np.uint64), np.zeros(0, np.int64)), _Delta(1024)
        )
        self._merging: threading.Thread | None = None
        self._removed_during_merge: list[int] = []

    # --- building ----------------------------------------------------------------

    def _make_main(
        self, words: U64, ids: I64, mih: _Mih | None = None, clusters: Clusters | None = None,
        *, restored: bool = False,
    ) -> _Main:  # fmt: skip
        """Main arrays over ``words``. A fresh build sets dense clusters of near-duplicates
        apart (:mod:`mediaproof.matching.clusters`) and builds the tables over the rest;
        a restored snapshot brings both."""
        if not restored and len(words) >= self.brute_force_below and self.clusters:
            words, ids, _, clusters = split_rows(words, ids)
        free = clusters.start if clusters is not None else len(words)
        if mih is None and not restored and free >= self.brute_force_below:
            mih = _Mih.build(words[:free], self.max_distance)
        if clusters is not None or mih is not None:
            warm_scan()  # compile the scans now, not in the first lookup (once a process)
        return _Main(words, ids, np.ones(len(ids), dtype=np.bool_), mih, free, clusters)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, bytes]], **kwargs: int | bool) -> HammingIndex:
        """Build from ``(id, 32-byte hash)`` rows (e.g. straight from the database)."""
        ids: list[int] = []
        hashes: list[bytes] = []
        for i, h in rows:
            ids.append(i)
            hashes.append(h)
        return cls.from_arrays(np.array(ids, dtype=np.int64), hashes_to_words(hashes), **kwargs)

    @classmethod
    def from_arrays(
        cls, ids: ArrayLike, hashes: ArrayLike | Sequence[bytes], **kwargs: int | bool
    ) -> HammingIndex:
        index = cls(**kwargs)  # type: ignore[arg-type]
        words = hashes_to_words(hashes)
        id_arr = np.asarray(ids, dtype=np.int64)
        if len(id_arr) != len(words):
            raise ValueError("ids and hashes differ in length")
        index._state = _State(index._make_main(words, id_arr), _Delta(1024))
        return index

    # --- writing -------------------------------------------------------------------

    def add(self, id_: int, hash_: bytes) -> None:
        self.add_many([id_], [hash_])

    def add_many(self, ids: ArrayLike, hashes: ArrayLike | Sequence[bytes]) -> None:
        """Add rows; they are matchable as soon as this returns."""
        words = hashes_to_words(hashes)
        id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(id_arr) != len(words):
            raise ValueError("ids and hashes differ in length")
        if len(words) == 0:
            return
        with self._lock:
            if len(words) > self.delta_limit and self._merging is None:
                # a bulk load: rebuild at once rather than scan a huge delta
                st = self._state
                self._rebuild_sync(st, extra=(words, id_arr))
                return
            st = self._state
            delta = st.delta
            n = delta.count
            if n + len(words) > delta.capacity:
                delta = delta.grown(n + len(words))
            delta.words[n : n + len(words)] = words
            delta.ids[n : n + len(words)] = id_arr
            delta.alive[n : n + len(words)] = True
            delta.count = n + len(words)  # publish after the rows are in place
            if delta is not st.delta:
                self._state = _State(st.main, delta)
            if delta.count >= self.delta_limit:
                self._start_merge()

    def remove(self, id_: int) -> int:
        """Remove every row stored under ``id_``; returns how many. Effective at once."""
        with self._lock:
            st = self._state
            removed = 0
            pos = np.flatnonzero((st.main.ids == id_) & st.main.alive)
            st.main.alive[pos] = False
            removed += len(pos)
            n = st.delta.count
            dpos = np.flatnonzero((st.delta.ids[:n] == id_) & st.delta.alive[:n])
            st.delta.alive[dpos] = False
            removed += len(dpos)
            if self._merging is not None:
                self._removed_during_merge.append(id_)
            return removed

    def remove_many(self, ids: ArrayLike) -> int:
        """Remove every row stored under any of ``ids`` (one pass, not one per id)."""
        id_arr = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
        if len(id_arr) == 0:
            return 0
        with self._lock:
            st = self._state
            pos = np.flatnonzero(np.isin(st.main.ids, id_arr) & st.main.alive)
            st.main.alive[pos] = False
            n = st.delta.count
            dpos = np.flatnonzero(np.isin(st.delta.ids[:n], id_arr) & st.delta.alive[:n])
            st.delta.alive[dpos] = False
            if self._merging is not None:
                self._removed_during_merge.extend(int(i) for i in id_arr)
            return len(pos) + len(dpos)

    def _live(self, st: _State, upto: int) -> tuple[U64, I64]:
        keep = st.main.alive
        d = st.delta
        words = np.concatenate([st.main.words[keep], d.words[:upto][d.alive[:upto]]])
        ids = np.concatenate([st.main.ids[keep], d.ids[:upto][d.alive[:upto]]])
        return words, ids

    def _rebuild_sync(self, st: _State, extra: tuple[U64, I64] | None = None) -> None:
        words, ids = self._live(st, st.delta.count)
        if extra is not None:
            words = np.concatenate([words, extra[0]])
            ids = np.concatenate([ids, extra[1]])
        self._state = _State(self._make_main(words, ids), _Delta(1024))

    def _start_merge(self) -> None:
        if self._merging is not None:
            return
        if not self.background_merge:
            self._rebuild_sync(self._state)
            return
        st = self._state
        upto = st.delta.count
        self._removed_during_merge = []
        t = threading.Thread(target=self._merge_worker, args=(st, upto), daemon=True)
        self._merging = t
        t.start()

    def _merge_worker(self, st: _State, upto: int) -> None:
        try:
            words, ids = self._live(st, upto)
            main = self._make_main(words, ids)
            with self._lock:
                cur = self._state
                for rid in self._removed_during_merge:
                    main.alive[main.ids == rid] = False
                # rows appended after the snapshot stay in a fresh delta
                rest = cur.delta.count - upto
                delta = _Delta(max(1024, rest))
                delta.words[:rest] = cur.delta.words[upto : cur.delta.count]
                delta.ids[:rest] = cur.delta.ids[upto : cur.delta.count]
                delta.alive[:rest] = cur.delta.alive[upto : cur.delta.count]
                delta.count = rest
                self._state = _State(main, delta)
                self._removed_during_merge = []
        finally:
            with self._lock:
                self._merging = None

    def merge(self) -> None:
        """Fold the delta into the main tables now (waits for a running merge first)."""
        self.wait_for_merge()
        with self._lock:
            if self._state.delta.count:
                self._rebuild_sync(self._state)

    def wait_for_merge(self) -> None:
        t = self._merging
        if t is not None:
            t.join()

    # --- reading -------------------------------------------------------------------

    def __len__(self) -> int:
        st = self._state
        n = st.delta.count
        return int(st.main.alive.sum()) + int(st.delta.alive[:n].sum())

    @property
    def slots(self) -> int | None:
        """MIH slot count of the main tables, or None while brute force is used."""
        mih = self._state.main.mih
        return mih.m if mih else None

    def query(self, hash_: bytes | U64, max_distance: int | None = None) -> list[Hit]:
        """All live rows within ``max_distance`` (default: the index's), nearest first."""
        ids, dists = self.query_arrays(hash_, max_distance)
        return [Hit(int(i), int(d)) for i, d in zip(ids.tolist(), dists.tolist(), strict=True)]

    def query_arrays(
        self, hash_: bytes | U64, max_distance: int | None = None
    ) -> tuple[I64, I64]:
        """Like :meth:`query`, as (ids, distances) arrays: no Python object per hit."""
        r = self.max_distance if max_distance is None else max_distance
        if r > self.max_distance or r < 0:
            raise ValueError(f"max_distance must be in [0, {self.max_distance}] for this index")
        q = hash_to_words(hash_) if isinstance(hash_, bytes) else np.asarray(hash_, np.uint64)
        st = self._state  # one consistent view
        n = st.delta.count
        main = st.main
        table_rows = main.words[: main.free]
        if main.mih is None:
            pos, dist = brute_force(table_rows, q, r)
        else:
            cand = main.mih.candidates(q, limit=int(main.free * HEAVY_CANDIDATES))
            if cand is None:  # heavy buckets: gathering would cost more than a scan
                pos, dist = scan(table_rows, q, r)
            else:
                pos, dist = verify(table_rows, cand, q, r)
        if main.clusters is not None:
            cpos, cdist = main.clusters.search(q, r)
            pos = np.concatenate([pos.astype(np.int64), cpos])
            dist = np.concatenate([dist.astype(np.int64), cdist])
        keep = main.alive[pos]
        ids = main.ids[pos[keep]]
        dists = dist[keep]
        if n:
            dpos, ddist = brute_force(st.delta.words[:n], q, r)
            dkeep = st.delta.alive[dpos]
            ids = np.concatenate([ids, st.delta.ids[dpos[dkeep]]])
            dists = np.concatenate([dists, ddist[dkeep]])
        order = np.lexsort((ids, dists))
        return ids[order].astype(np.int64), dists[order].astype(np.int64)

    def query_many(
        self, hashes: Sequence[bytes], max_distance: int | None = None
    ) -> list[list[Hit]]:
        return [self.query(h, max_distance) for h in hashes]

    # --- size and persistence ------------------------------------------------------

    @property
    def nbytes(self) -> int:
        st = self._state
        m = st.main
        total = m.words.nbytes + m.ids.nbytes + m.alive.nbytes + (m.mih.nbytes if m.mih else 0)
        total += m.clusters.nbytes if m.clusters else 0
        d = st.delta
        return int(total + d.words.nbytes + d.ids.nbytes + d.alive.nbytes)

    def export_arrays(self) -> dict[str, NDArray[np.generic]]:
        """The live rows and MIH tables as plain arrays (merged first), for a snapshot
        the caller writes as ``.npy`` files and later memory-maps (:meth:`from_exported`)."""
        self.merge()
        with self._lock:
            st = self._state
            if not st.main.alive.all():
                self._rebuild_sync(st)
            main = self._state.main
            out: dict[str, NDArray[np.generic]] = {
                "version": np.array([SNAPSHOT_VERSION], dtype=np.int64),
                "max_distance": np.array([self.max_distance], dtype=np.int64),
                "words": main.words,
                "ids": main.ids,
            }
            if main.mih is not None:
                out["mih_m"] = np.array([main.mih.m], dtype=np.int64)
                out["mih_offsets"] = main.mih.offsets
                out["mih_perm"] = main.mih.perm
            if main.clusters is not None:
                out.update(main.clusters.export())
            return out

    @classmethod
    def from_exported(
        cls, arrays: dict[str, NDArray[np.generic]], **kwargs: int | bool
    ) -> HammingIndex:
        """An index over arrays from :meth:`export_arrays` (they may be read-only memory
        maps: queries read them in place; only the small ``alive`` flags are copied)."""
        if "version" not in arrays or int(arrays["version"][0]) != SNAPSHOT_VERSION:
            raise IndexSnapshotError("index snapshot of another version")
        max_distance = int(arrays["max_distance"][0])
        words = arrays["words"]
        ids = arrays["ids"]
        if (
            words.dtype != np.uint64 or ids.dtype != np.int64 or words.ndim != 2
            or words.shape[1] != WORDS or len(ids) != len(words)
        ):  # fmt: skip
            raise IndexSnapshotError("index snapshot arrays are inconsistent")
        index = cls(max_distance=max_distance, **kwargs)  # type: ignore[arg-type]
        clusters = Clusters.restore(arrays, words)  # type: ignore[arg-type]
        free = clusters.start if clusters is not None else len(words)
        mih = None
        if "mih_m" in arrays:
            mih = _Mih.restore(
                int(arrays["mih_m"][0]), max_distance, arrays["mih_offsets"],  # type: ignore[arg-type]
                arrays["mih_perm"], free,  # type: ignore[arg-type]
            )  # fmt: skip
        elif free >= index.brute_force_below:
            mih = _Mih.build(words[:free], max_distance)  # type: ignore[arg-type]
        index._state = _State(
            index._make_main(words, ids, mih, clusters, restored=True),  # type: ignore[arg-type]
            _Delta(1024),
        )
        return index

    def save(self, path: Path) -> None:
        """Write a snapshot (live rows plus the tables, so loading skips the build)."""
        arrays = self.export_arrays()
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, **kwargs: int | bool) -> HammingIndex:
        try:
            with np.load(path, allow_pickle=False) as z:
                if int(z["version"][0]) != SNAPSHOT_VERSION:
                    raise IndexSnapshotError(f"unsupported index snapshot version in {path}")
                arrays = {k: np.ascontiguousarray(z[k]) for k in z.files}
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise IndexSnapshotError(f"cannot read index snapshot {path}: {e}") from e
        try:
            return cls.from_exported(arrays, **kwargs)
        except IndexSnapshotError as e:
            raise IndexSnapshotError(f"index snapshot {path} is inconsistent: {e}") from e
