"""The compiled range scan answers exactly like the numpy brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediaproof.matching import hamming_scan
from mediaproof.matching.hamming_words import brute_force


def _rows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**64, (n, 4), dtype=np.uint64,
                                                endpoint=False)  # fmt: skip


def test_the_compiled_scan_is_available_and_used() -> None:
    assert hamming_scan.warm()  # numba is a dependency: a missing one would show here
    assert hamming_scan.compiled_in_use()


@pytest.mark.parametrize("r", [0, 1, 31, 120, 128, 255])
def test_same_rows_and_distances_as_brute_force(r: int) -> None:
    rows = _rows(20_000, 1)
    rng = np.random.default_rng(2)
    queries = [rows[5].copy(), rows[7] ^ np.uint64(0xF0F0), rng.integers(0, 2**63, 4,
               dtype=np.uint64), ~rows[11]]  # fmt: skip
    # rows at every distance 0..256 from the first query, so each bound is crossed
    q0 = queries[0]
    bits = np.unpackbits(q0.view(np.uint8), bitorder="little")
    for k in range(257):
        b = bits.copy()
        b[:k] ^= 1
        rows[100 + k] = np.packbits(b, bitorder="little").view("<u8")
    for q in queries:
        got_pos, got_d = hamming_scan.scan(rows, q, r)
        want_pos, want_d = brute_force(rows, q, r)
        assert got_pos.tolist() == want_pos.tolist()
        assert got_d.tolist() == want_d.tolist()
        assert got_pos.dtype == got_d.dtype == np.int64


def test_read_only_memory_maps_slices_and_empty_rows(tmp_path: Path) -> None:
    rows = _rows(5_000, 3)
    np.save(tmp_path / "w.npy", rows)
    mapped = np.load(tmp_path / "w.npy", mmap_mode="r")
    q = rows[42] ^ np.uint64(0xFF)
    for part in (mapped, mapped[1000:3000], rows[10:20], rows[:0]):
        got_pos, got_d = hamming_scan.scan(part, q, 40)
        want_pos, want_d = brute_force(np.asarray(part), q, 40)
        assert (got_pos.tolist(), got_d.tolist()) == (want_pos.tolist(), want_d.tolist())
    before = q.copy()
    hamming_scan.scan(rows, q, 10)
    assert q.flags.writeable and (q == before).all()  # the caller's query is left alone


def test_the_numpy_path_answers_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(3_000, 4)
    q = rows[9] ^ np.uint64(0xFFFF)
    compiled = hamming_scan.scan(rows, q, 31)
    monkeypatch.setattr(hamming_scan, "USE_COMPILED", False)
    assert not hamming_scan.compiled_in_use()
    numpy_path = hamming_scan.scan(rows, q, 31)
    assert compiled[0].tolist() == numpy_path[0].tolist()
    assert compiled[1].tolist() == numpy_path[1].tolist()


@pytest.mark.parametrize("compiled", [True, False])
def test_verify_keeps_distinct_candidates_within_the_radius(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidates come from several tables, with repeats and in any order: the answer is
    each row once, ascending, at its distance (the numpy path the same)."""
    monkeypatch.setattr(hamming_scan, "USE_COMPILED", compiled)
    rows = _rows(10_000, 5)
    q = rows[77].copy()
    rows[78] = q ^ np.uint64(0b111)  # 3 bits away
    rows[79] = q ^ np.uint64(2**40 - 1)  # 40 bits away
    rng = np.random.default_rng(6)
    cand = np.concatenate([rng.integers(0, 10_000, 500), [79, 78, 77, 78, 77, 9_999, 0]])
    cand = cand.astype(np.uint32)
    for r in (0, 3, 31, 40, 200):
        got_pos, got_d = hamming_scan.verify(rows, cand, q, r)
        want = {}
        for c in cand.tolist():
            d = int(np.bitwise_count(rows[c] ^ q).sum())
            if d <= r:
                want[c] = d
        assert got_pos.tolist() == sorted(want)
        assert got_d.tolist() == [want[c] for c in sorted(want)]
    empty = hamming_scan.verify(rows, np.zeros(0, np.uint32), q, 31)
    assert len(empty[0]) == len(empty[1]) == 0
