"""Exact Hamming range search over 256-bit hashes (PDQ), from thousands to 10^8 rows.

Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Exact Search in Hamming Space with
Multi-Index Hashing", 2014): the 256 bits are cut into ``m`` slots. If two hashes differ
in at most ``r`` bits, then by pigeonhole at least one slot differs in at most
``r // m`` bits. So a query probes, in every slot, each key within ``r // m`` bits of its
own slot key; every row found that way is a candidate, and candidates are verified
with a full popcount. The result is exact (same answer as brute force), never approximate.

The slot count is chosen from the collection size with a small cost model (probes plus
candidates), which lands on ~``256 / log2(N)`` slots: 11 slots of 23-24 bits at 10M.
Each slot is a direct-address table (``offsets`` of size 2^w + 1) into a permutation of
the rows sorted by that slot's key, so a probe is two array reads. All per-query work
is a handful of numpy operations on a few thousand elements.

Below :data:`BRUTE_FORCE_BELOW` rows a vectorised brute-force scan is faster and is used
instead. New rows go to a small append-only delta that is scanned by brute force and
merged into the main tables in a background thread; removals mark rows dead at once.

Concurrency: any number of reader threads may query while one writer adds or removes
(writers serialise on a lock). Readers take one reference to an immutable state
object; the delta is append-only and its row count is published after the row is
written, so a reader sees each row either completely or not at all.
"""

from __future__ import annotations

import itertools
import math
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mediaproof.errors import MediaproofError

HASH_BITS = 256
WORDS = HASH_BITS // 64
DEFAULT_MAX_DISTANCE = 31
BRUTE_FORCE_BELOW = 10_000  # measured crossover: 0.19 ms either way at 10k rows
MAX_SLOT_BITS = 26  # offsets table of 2^26 x 4 bytes = 256 MiB per slot at most
MAX_TABLE_ENTRIES_PER_ROW = 16
SNAPSHOT_VERSION = 2  # 2: slots are cut from the permuted bits (BIT_PERMUTATION)
HEAVY_CANDIDATES = 0.25  # a query with more candidates than this share of rows scans all

U64 = NDArray[np.uint64]
I64 = NDArray[np.int64]


class IndexSnapshotError(MediaproofError):
    code = "index"


def hashes_to_words(hashes: ArrayLike | Sequence[bytes]) -> U64:
    """(n, 4) uint64 words from 32-byte hashes, an (n, 32) uint8 array or (n, 4) words."""
    if isinstance(hashes, list | tuple) and hashes and isinstance(hashes[0], bytes | bytearray):
        raw = b"".join(hashes)
        if len(raw) != 32 * len(hashes):
            raise ValueError("every hash must be 32 bytes (256 bits)")
        return np.frombuffer(raw, dtype="<u8").reshape(-1, WORDS).copy()
    arr = np.asarray(hashes)
    if arr.size == 0:
        return np.zeros((0, WORDS), dtype=np.uint64)
    if arr.dtype == np.uint64 and arr.ndim == 2 and arr.shape[1] == WORDS:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.uint8 and arr.ndim == 2 and arr.shape[1] == 32:
        return np.ascontiguousarray(arr).view("<u8").reshape(-1, WORDS).astype(np.uint64)
    raise ValueError("hashes must be 32-byte strings, (n, 32) uint8 or (n, 4) uint64")


def hash_to_words(h: bytes) -> U64:
    if len(h) != 32:
        raise ValueError(f"hash must be 32 bytes, got {len(h)}")
    return np.frombuffer(h, dtype="<u8").astype(np.uint64)


_LANES = np.uint32(0x00FF00FF)


def distances(rows: U64, query: U64) -> I64:
    """Hamming distances of (n, 4) rows to one query.

    The 4 per-word popcounts (one byte each) are viewed as one uint32 and summed in
    two 16-bit lanes (no lane can overflow: each byte is at most 64). Several times
    faster than ``.sum(axis=1)`` over an axis of length 4."""
    counts = np.bitwise_count(rows ^ query)  # (n, 4) uint8
    x = np.ascontiguousarray(counts).view(np.uint32).reshape(-1)
    pairs = (x & _LANES) + ((x >> np.uint32(8)) & _LANES)
    return ((pairs & np.uint32(0xFFFF)) + (pairs >> np.uint32(16))).astype(np.int64)


def brute_force(words: U64, query: U64, max_distance: int) -> tuple[I64, I64]:
    """Row positions and distances of all rows within ``max_distance`` of ``query``."""
    if len(words) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    d = distances(words, query)
    pos = np.flatnonzero(d <= max_distance)
    return pos.astype(np.int64), d[pos]


# --- slot layout and probe masks ----------------------------------------------------


def _slot_widths(m: int) -> list[int]:
    base, extra = divmod(HASH_BITS, m)
    return [base + 1] * extra + [base] * (m - extra)


def _n_probes(width: int, radius: int) -> int:
    return sum(math.comb(width, k) for k in range(radius + 1))


def choose_slots(n: int, max_distance: int = DEFAULT_MAX_DISTANCE) -> int:
    """Number of MIH slots for ``n`` rows: minimise probes + verified candidates.

    Every probe is a random read into a slot table; every candidate costs a random
    read of a permutation entry and of a 32-byte hash, hence the factor 2. The slot
    tables may take at most :data:`MAX_TABLE_ENTRIES_PER_ROW` entries per row (4 bytes
    each), which keeps the whole index under ~150 bytes per hash.
    """
    best_m, best_cost = 32, math.inf
    for m in range(8, 33):
        widths = _slot_widths(m)
        if max(widths) > MAX_SLOT_BITS:
            continue
        if sum(2**w for w in widths) > max(n, 4096) * MAX_TABLE_ENTRIES_PER_ROW:
            continue
        t = max_distance // m
        probes = sum(_n_probes(w, t) for w in widths)
        cands = sum(_n_probes(w, t) * n / 2.0**w for w in widths)
        cost = probes + 2 * cands
        if cost < best_cost:
            best_m, best_cost = m, cost
    return best_m


_MASK_CACHE: dict[tuple[int, int], NDArray[np.uint32]] = {}


def _masks(width: int, radius: int) -> NDArray[np.uint32]:
    """All ``width``-bit masks with at most ``radius`` bits set."""
    key = (width, radius)
    if key not in _MASK_CACHE:
        out = [0]
        for k in range(1, radius + 1):
            for bits in itertools.combinations(range(width), k):
                v = 0
                for b in bits:
                    v |= 1 << b
                out.append(v)
        _MASK_CACHE[key] = np.array(out, dtype=np.uint32)
    return _MASK_CACHE[key]


def _bit_permutation() -> NDArray[np.intp]:
    """A fixed pseudo-random order of the 256 bit positions, defined here rather than by
    a library's generator so it never changes under a snapshot: Fisher-Yates driven by
    splitmix64 from the seed 0x6D65646961 ("media").

    Slots are cut from the permuted bits. Real populations have biased bits (PDQ bits
    that are mostly 1 in dark images) and correlated ones (neighbouring DCT cells);
    cut from the raw order, such bits fall together into one slot, whose table then has
    a few huge buckets and every query pays for them. Scattered, each slot gets a share
    of the bias. Exactness does not depend on it: it is a relabelling of bit positions
    applied to stored rows and queries alike."""
    state = 0x6D65646961
    mask = (1 << 64) - 1
    order = list(range(HASH_BITS))
    for i in range(HASH_BITS - 1, 0, -1):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        j = z % (i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.intp)


BIT_PERMUTATION = _bit_permutation()
_PERMUTE_CHUNK = 1 << 17


def permute_bits(words: U64) -> U64:
    """Rows with bit ``i`` of the result = bit ``BIT_PERMUTATION[i]`` of the input
    (bits numbered little-endian across the 4 words, as the slots are)."""
    out = np.empty_like(words)
    for a in range(0, len(words), _PERMUTE_CHUNK):  # bounded temporary memory
        chunk = np.ascontiguousarray(words[a : a + _PERMUTE_CHUNK]).view(np.uint8)
        bits = np.unpackbits(chunk, axis=1, bitorder="little")
        packed = np.packbits(bits[:, BIT_PERMUTATION], axis=1, bitorder="little")
        out[a : a + _PERMUTE_CHUNK] = np.ascontiguousarray(packed).view("<u8")
    return out


def _slot_keys(words: U64, start: int, width: int) -> NDArray[np.uint32]:
    wi, off = divmod(start, 64)
    v = words[:, wi] >> np.uint64(off)
    if off + width > 64:
        v = v | (words[:, wi + 1] << np.uint64(64 - off))
    return (v & np.uint64((1 << width) - 1)).astype(np.uint32)


@dataclass(frozen=True)
class _Mih:
    """Immutable multi-index tables over one set of rows."""

    m: int
    radius: int  # per-slot search radius = max_distance // m
    max_distance: int
    starts: tuple[int, ...]  # bit offset of each slot
    widths: tuple[int, ...]
    offsets: NDArray[np.integer]  # concatenated per-slot CSR offsets (global positions)
    perm: NDArray[np.uint32]  # concatenated per-slot row permutations
    probe_slot: NDArray[np.intp]  # for each probe: its slot
    probe_mask: NDArray[np.uint32]
    probe_base: NDArray[np.int64]  # for each probe: start of its slot's offsets table

    @classmethod
    def build(cls, words: U64, max_distance: int, m: int | None = None) -> _Mih:
        n = len(words)
        m = m or choose_slots(n, max_distance)
        widths = _slot_widths(m)
        if max(widths) > MAX_SLOT_BITS:
            raise ValueError(
                f"{m} slots make {max(widths)}-bit tables; the most is {MAX_SLOT_BITS}"
            )
        starts = [sum(widths[:i]) for i in range(m)]
        wide = n * m >= 2**32 - 1
        off_dtype = np.int64 if wide else np.uint32
        words = permute_bits(words)  # a copy (32 bytes a row) for the build only
        offsets_parts = []
        perm_parts = []
        bases = []
        base = 0
        for i, (s, w) in enumerate(zip(starts, widths, strict=True)):
            keys = _slot_keys(words, s, w)
            counts = np.bincount(keys, minlength=1 << w)
            offs: NDArray[np.integer] = np.empty((1 << w) + 1, dtype=off_dtype)
            offs[0] = 0
            np.cumsum(counts, out=offs[1:])
            offs = offs + np.asarray(i * n, dtype=off_dtype)  # global positions in perm
            offsets_parts.append(offs)
            perm_parts.append(np.argsort(keys).astype(np.uint32))
            bases.append(base)
            base += (1 << w) + 1
            del keys, counts
        return cls._assemble(
            m,
            max_distance,
            starts,
            widths,
            np.concatenate(offsets_parts),
            np.concatenate(perm_parts) if perm_parts else np.zeros(0, np.uint32),
            bases,
        )

    @classmethod
    def _assemble(
        cls,
        m: int,
        max_distance: int,
        starts: Sequence[int],
        widths: Sequence[int],
        offsets: NDArray[np.integer],
        perm: NDArray[np.uint32],
        bases: Sequence[int],
    ) -> _Mih:
        radius = max_distance // m
        masks = [_masks(w, radius) for w in widths]
        probe_slot = np.concatenate(
            [np.full(len(mk), i, dtype=np.intp) for i, mk in enumerate(masks)]
        )
        probe_mask = np.concatenate(masks)
        probe_base = np.concatenate(
            [np.full(len(mk), b, dtype=np.int64) for mk, b in zip(masks, bases, strict=True)]
        )
        return cls(
            m=m,
            radius=radius,
            max_distance=max_distance,
            starts=tuple(starts),
            widths=tuple(widths),
            offsets=offsets,
            perm=perm,
            probe_slot=probe_slot,
            probe_mask=probe_mask,
            probe_base=probe_base,
        )

    @classmethod
    def restore(
        cls, m: int, max_distance: int, offsets: NDArray[np.integer], perm: NDArray[np.uint32],
        n: int,
    ) -> _Mih:  # fmt: skip
        """Tables written by an earlier build (a snapshot), checked for shape."""
        widths = _slot_widths(m)
        starts = [sum(widths[:i]) for i in range(m)]
        expected = sum((1 << w) + 1 for w in widths)
        if len(offsets) != expected or len(perm) != m * n:
            raise IndexSnapshotError("index snapshot has inconsistent MIH tables")
        bases, b = [], 0
        for w in widths:
            bases.append(b)
            b += (1 << w) + 1
        return cls._assemble(m, max_distance, starts, widths, offsets, perm, bases)

    def bases(self) -> list[int]:
        out, b = [], 0
        for w in self.widths:
            out.append(b)
            b += (1 << w) + 1
        return out

    def candidates(self, query: U64, limit: int | None = None) -> NDArray[np.uint32] | None:
        """Row positions sharing a slot within ``radius`` bits with ``query`` (with
        repeats); None when there would be more than ``limit`` (heavy buckets: the
        caller scans every row instead, which then costs less)."""
        pq = permute_bits(np.asarray(query, dtype=np.uint64).reshape(1, WORDS))[0]
        big = sum(int(x) << (64 * i) for i, x in enumerate(pq.tolist()))
        qkeys = np.array(
            [(big >> s) & ((1 << w) - 1) for s, w in zip(self.starts, self.widths, strict=True)],
            dtype=np.uint32,
        )
        probes = (qkeys[self.probe_slot] ^ self.probe_mask).astype(np.int64) + self.probe_base
        # np.take: several times faster than fancy indexing for these gathers
        lo = np.take(self.offsets, probes).astype(np.int64)
        hi = np.take(self.offsets, probes + 1).astype(np.int64)
        lens = hi - lo
        nz = lens > 0
        lo, lens = lo[nz], lens[nz]
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.uint32)
        if limit is not None and total > limit:
            return None
        # expand the [lo, hi) ranges into one index array without a Python loop
        shift = lo - (np.cumsum(lens) - lens)
        idx = np.repeat(shift, lens) + np.arange(total, dtype=np.int64)
        return np.take(self.perm, idx)

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.perm.nbytes)


@dataclass(frozen=True)
class _Main:
    words: U64
    ids: I64
    alive: NDArray[np.bool_]  # flipped to False by remove(); never back
    mih: _Mih | None


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
    ) -> None:
        if not 0 <= max_distance < HASH_BITS:
            raise ValueError("max_distance must be in [0, 256)")
        self.max_distance = max_distance
        self.delta_limit = delta_limit
        self.background_merge = background_merge
        self.brute_force_below = brute_force_below
        self._lock = threading.RLock()
        self._state = _State(
            self._make_main(np.zeros((0, WORDS), np.uint64), np.zeros(0, np.int64)), _Delta(1024)
        )
        self._merging: threading.Thread | None = None
        self._removed_during_merge: list[int] = []

    # --- building ----------------------------------------------------------------

    def _make_main(self, words: U64, ids: I64, mih: _Mih | None = None) -> _Main:
        if mih is None and len(words) >= self.brute_force_below:
            mih = _Mih.build(words, self.max_distance)
        return _Main(words, ids, np.ones(len(ids), dtype=np.bool_), mih)

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
        if main.mih is None:
            pos, dist = brute_force(main.words, q, r)
        else:
            cand = main.mih.candidates(q, limit=int(len(main.words) * HEAVY_CANDIDATES))
            if cand is None:  # heavy buckets: gathering would cost more than a scan
                pos, dist = brute_force(main.words, q, r)
            else:
                d = distances(np.take(main.words, cand, axis=0), q)
                ok = d <= r
                pos, first = np.unique(cand[ok], return_index=True)
                dist = d[ok][first]
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
        mih = None
        if "mih_m" in arrays:
            mih = _Mih.restore(
                int(arrays["mih_m"][0]), max_distance, arrays["mih_offsets"],  # type: ignore[arg-type]
                arrays["mih_perm"], len(words),  # type: ignore[arg-type]
            )  # fmt: skip
        index._state = _State(
            index._make_main(words, ids, mih), _Delta(1024)  # type: ignore[arg-type]
        )
        return index

    def save(self, path: Path) -> None:
        """Write a snapshot (live rows plus the MIH tables, so loading skips the build)."""
        self.merge()
        with self._lock:
            st = self._state
            main = st.main
            if not main.alive.all():
                self._rebuild_sync(st)
                main = self._state.main
            arrays: dict[str, NDArray[np.generic]] = {
                "version": np.array([SNAPSHOT_VERSION]),
                "max_distance": np.array([self.max_distance]),
                "words": main.words,
                "ids": main.ids,
            }
            if main.mih is not None:
                arrays["mih_m"] = np.array([main.mih.m])
                arrays["mih_offsets"] = main.mih.offsets
                arrays["mih_perm"] = main.mih.perm
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
                max_distance = int(z["max_distance"][0])
                words = np.ascontiguousarray(z["words"], dtype=np.uint64)
                ids = np.ascontiguousarray(z["ids"], dtype=np.int64)
                mih_parts = None
                if "mih_m" in z.files:
                    mih_parts = (int(z["mih_m"][0]), z["mih_offsets"], z["mih_perm"])
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise IndexSnapshotError(f"cannot read index snapshot {path}: {e}") from e
        if words.ndim != 2 or words.shape[1] != WORDS or len(ids) != len(words):
            raise IndexSnapshotError(f"index snapshot {path} is inconsistent")
        index = cls(max_distance=max_distance, **kwargs)  # type: ignore[arg-type]
        mih = None
        if mih_parts is not None:
            m, offsets, perm = mih_parts
            widths = _slot_widths(m)
            starts = [sum(widths[:i]) for i in range(m)]
            expected = sum((1 << w) + 1 for w in widths)
            if len(offsets) != expected or len(perm) != m * len(words):
                raise IndexSnapshotError(f"index snapshot {path} has inconsistent MIH tables")
            bases, b = [], 0
            for w in widths:
                bases.append(b)
                b += (1 << w) + 1
            mih = _Mih._assemble(m, max_distance, starts, widths, offsets, perm, bases)
        index._state = _State(index._make_main(words, ids, mih), _Delta(1024))
        return index
