"""Compiled range scans over 256-bit hashes: contiguous rows, and candidate rows.

The dense clusters of :mod:`mediaproof.matching.clusters` are scanned in place: a near
miss just outside a cluster of a million near-duplicates must look at most of them,
because no metric bound separates the few members within 31 bits from the rest (a
query 33 bits from the leader and a member 8 bits from it are 33 + 8 - 2 x overlap
apart; only the overlap of their differences decides, and no pivot sees it).

numpy's scan costs four passes over the rows plus their temporaries (about 3.4 ns a row
on an idle core, several times that on a loaded one). The same scan compiled with numba
reads each row once (about 1 ns a row). numba compiles both scans on first use, once
per process (about 1 s of CPU, plus 0.4 s to import numba, for writable and read-only
rows, as a memory-mapped snapshot gives); :func:`warm` does that ahead of the first
lookup. Where
numba cannot be imported the numpy scan answers, the same rows at the same distances.

:func:`verify` does the same for the candidates the multi-index tables gather (random
rows, with repeats): one read of each, where numpy gathered the rows into a copy and
made its passes over that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mediaproof.matching.hamming_words import I64, U64, WORDS, brute_force, distances

_M1 = 0x5555555555555555
_M2 = 0x3333333333333333
_M4 = 0x0F0F0F0F0F0F0F0F
_H01 = 0x0101010101010101


def _scan(rows: U64, q: U64, r: int, out_pos: I64, out_d: I64) -> int:  # pragma: no cover
    """Rows within ``r`` of ``q``: their positions and distances written to ``out_*``;
    returns how many. Compiled by numba (run as plain Python it is correct but slow);
    the popcount is the SWAR form, which LLVM turns into the CPU's instruction."""
    m1, m2, m4, h01 = np.uint64(_M1), np.uint64(_M2), np.uint64(_M4), np.uint64(_H01)
    s1, s2, s4, s56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)
    n = 0
    for i in range(rows.shape[0]):
        d = np.int64(0)
        for w in range(4):
            x = rows[i, w] ^ q[w]
            x = x - ((x >> s1) & m1)
            x = (x & m2) + ((x >> s2) & m2)
            x = (x + (x >> s4)) & m4
            d += np.int64((x * h01) >> s56)
        if d <= r:
            out_pos[n] = i
            out_d[n] = d
            n += 1
    return n


def _verify(
    rows: U64, cand: NDArray[np.uint32], q: U64, r: int, out_pos: I64, out_d: I64
) -> int:  # pragma: no cover
    """Like :func:`_scan` over the rows ``cand`` names (positions written are rows')."""
    m1, m2, m4, h01 = np.uint64(_M1), np.uint64(_M2), np.uint64(_M4), np.uint64(_H01)
    s1, s2, s4, s56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)
    n = 0
    for j in range(cand.shape[0]):
        i = cand[j]
        d = np.int64(0)
        for w in range(4):
            x = rows[i, w] ^ q[w]
            x = x - ((x >> s1) & m1)
            x = (x & m2) + ((x >> s2) & m2)
            x = (x + (x >> s4)) & m4
            d += np.int64((x * h01) >> s56)
        if d <= r:
            out_pos[n] = i
            out_d[n] = d
            n += 1
    return n


_compiled: Callable[..., Any] | None = None
_compiled_verify: Callable[..., Any] | None = None
_unavailable = False
_lock = threading.Lock()
USE_COMPILED = True  # False: always the numpy scan (tests compare both; a bench times both)


def _kernel() -> Callable[..., Any] | None:
    """The compiled scan, built on first use (None where numba is missing)."""
    global _compiled, _compiled_verify, _unavailable
    if _compiled is not None or _unavailable:
        return _compiled
    with _lock:
        if _compiled is None and not _unavailable:
            try:
                import numba
            except ImportError:  # pragma: no cover - numba is a dependency
                _unavailable = True
                return None
            arr = numba.types.Array
            u64, i64 = numba.types.uint64, numba.types.int64
            sigs = [
                i64(arr(u64, 2, "C", readonly=ro), arr(u64, 1, "C", readonly=True), i64,
                    arr(i64, 1, "C"), arr(i64, 1, "C"))
                for ro in (False, True)
            ]  # fmt: skip
            vsigs = [
                i64(arr(u64, 2, "C", readonly=ro), arr(numba.types.uint32, 1, "C"),
                    arr(u64, 1, "C", readonly=True), i64, arr(i64, 1, "C"), arr(i64, 1, "C"))
                for ro in (False, True)
            ]  # fmt: skip
            _compiled_verify = numba.njit(vsigs, nogil=True, cache=False)(_verify)
            _compiled = numba.njit(sigs, nogil=True, cache=False)(_scan)
    return _compiled


def warm() -> bool:
    """Compile the scan now (not in the first lookup); True when the compiled scan is used."""
    return _kernel() is not None


def compiled_in_use() -> bool:
    return USE_COMPILED and _kernel() is not None


def _query_words(query: U64) -> U64:
    q = np.array(query, dtype=np.uint64).reshape(WORDS)  # a copy: its flag is ours to set
    q.flags.writeable = False
    return q


def _plain_rows(rows: U64) -> U64:
    rows = np.asarray(rows)  # a memory map as a plain (read-only) array
    if not rows.flags.c_contiguous or rows.ndim != 2 or rows.shape[1] != WORDS:
        rows = np.ascontiguousarray(rows, dtype=np.uint64).reshape(-1, WORDS)
    return rows


def verify(rows: U64, cand: NDArray[np.uint32], query: U64, r: int) -> tuple[I64, I64]:
    """Distinct positions among ``cand`` (rows of ``rows``, repeats allowed) within ``r``
    bits of ``query``, ascending, and their distances."""
    if USE_COMPILED and _kernel() is not None and len(cand):
        cand = np.ascontiguousarray(cand, dtype=np.uint32)
        out_pos = np.empty(len(cand), dtype=np.int64)
        out_d = np.empty(len(cand), dtype=np.int64)
        assert _compiled_verify is not None
        n = int(_compiled_verify(_plain_rows(rows), cand, _query_words(query), int(r),
                                 out_pos, out_d))  # fmt: skip
        pos, first = np.unique(out_pos[:n], return_index=True)
        return pos, out_d[:n][first]
    d = distances(np.take(rows, cand, axis=0), query)
    ok = d <= r
    pos, first = np.unique(cand[ok], return_index=True)
    return pos.astype(np.int64), d[ok][first]


def scan(rows: U64, query: U64, r: int) -> tuple[I64, I64]:
    """Positions (in ``rows``) and distances of the rows within ``r`` bits of ``query``,
    in row order: exactly :func:`~mediaproof.matching.hamming_words.brute_force`'s
    answer."""
    kernel = _kernel() if USE_COMPILED else None
    if kernel is None or len(rows) == 0:
        return brute_force(rows, query, r)
    rows = _plain_rows(rows)
    out_pos = np.empty(len(rows), dtype=np.int64)
    out_d = np.empty(len(rows), dtype=np.int64)
    n = int(kernel(rows, _query_words(query), int(r), out_pos, out_d))
    return out_pos[:n].copy(), out_d[:n].copy()
