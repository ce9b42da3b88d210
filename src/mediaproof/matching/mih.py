"""Multi-index hashing tables: exact Hamming range search in a few probes per slot.

Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Exact Search in Hamming Space with
Multi-Index Hashing", 2014): the 256 bits are cut into ``m`` slots. If two hashes differ
in at most ``r`` bits, then by pigeonhole at least one slot differs in at most
``r // m`` bits. So a query probes, in every slot, each key within ``r // m`` bits of its
own slot key; every row found that way is a candidate, and candidates are verified
with a full popcount by the caller (:mod:`mediaproof.matching.hamming_index`).

The slot count is chosen from the collection size with a small cost model (probes plus
candidates), which lands on ~``256 / log2(N)`` slots: 11 slots of 23-24 bits at 10M.
Each slot is a direct-address table (``offsets`` of size 2^w + 1) into a permutation of
the rows sorted by that slot's key, so a probe is two array reads.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mediaproof.matching.hamming_words import HASH_BITS, U64, WORDS, IndexSnapshotError

DEFAULT_MAX_DISTANCE = 31
MAX_SLOT_BITS = 26  # offsets table of 2^26 x 4 bytes = 256 MiB per slot at most
MAX_TABLE_ENTRIES_PER_ROW = 16


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
_PERMUTE_CHUNK = 1 << 16
_BYTE_ORDER = np.arange(HASH_BITS // 8)


def _byte_tables() -> U64:
    """(32, 256, 4): for input byte ``b`` holding value ``v``, the permuted row's bits that
    come from it. A row's permutation is the OR of its 32 bytes' entries."""
    dest = np.argsort(BIT_PERMUTATION)  # input bit j goes to output bit dest[j]
    bits = np.zeros((HASH_BITS // 8, 256, HASH_BITS), dtype=np.uint8)
    values = np.arange(256)
    for j in range(HASH_BITS):
        bits[j // 8, :, dest[j]] = (values >> (j % 8)) & 1
    packed = np.packbits(bits, axis=2, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


_BYTE_TABLES = _byte_tables()


def permute_bits(words: U64) -> U64:
    """Rows with bit ``i`` of the result = bit ``BIT_PERMUTATION[i]`` of the input
    (bits numbered little-endian across the 4 words, as the slots are).

    By table: each input byte's value looks up the output bits it sets, and a row is
    the OR of its 32 lookups (7x less CPU than unpacking every bit and packing them
    back, which made up a fifth of building the tables at 10^6 rows)."""
    out = np.empty_like(words)
    for a in range(0, len(words), _PERMUTE_CHUNK):  # bounded temporary memory
        raw = np.ascontiguousarray(words[a : a + _PERMUTE_CHUNK]).view(np.uint8)
        if len(raw) < 64:  # a query: one gather beats 32 small ones
            out[a : a + len(raw)] = np.bitwise_or.reduce(_BYTE_TABLES[_BYTE_ORDER, raw], axis=1)
            continue
        acc = _BYTE_TABLES[0][raw[:, 0]]
        for b in range(1, HASH_BITS // 8):
            acc |= _BYTE_TABLES[b][raw[:, b]]
        out[a : a + len(raw)] = acc
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
