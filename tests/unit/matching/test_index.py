"""The MIH index must agree with brute force on every query (it is exact, not approximate)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediaproof.matching.hamming_index import (
    HammingIndex,
    IndexSnapshotError,
    brute_force,
    choose_slots,
    hashes_to_words,
)

RADIUS = 31


def _random_words(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**64 - 1, size=(n, 4), dtype=np.uint64, endpoint=True)


def _flip(words: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    out = words.copy()
    for b in rng.choice(256, size=k, replace=False):
        out[b // 64] ^= np.uint64(1) << np.uint64(b % 64)
    return out


def _truth(
    words: np.ndarray, ids: np.ndarray, q: np.ndarray, r: int = RADIUS
) -> list[tuple[int, int]]:
    pos, d = brute_force(words, q, r)
    return sorted((int(d[i]), int(ids[p])) for i, p in enumerate(pos))


def _got(index: HammingIndex, q: np.ndarray, r: int | None = None) -> list[tuple[int, int]]:
    return sorted((h.distance, h.id) for h in index.query(q, r))


def _planted_dataset(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Random rows plus, for each query, neighbours at every distance 0..31 and decoys
    at 32..40 (which must not be returned)."""
    rng = np.random.default_rng(seed)
    base = _random_words(rng, n)
    queries = [_random_words(rng, 1)[0] for _ in range(6)]
    planted = [_flip(q, k, rng) for q in queries for k in range(0, 41)]
    words = np.concatenate([base, np.array(planted)])
    ids = rng.permutation(len(words)).astype(np.int64) + 1000
    # a few near neighbours of stored rows too
    queries += [_flip(words[i], int(rng.integers(0, 40)), rng) for i in rng.integers(0, n, 20)]
    return words, ids, queries


@pytest.mark.parametrize(
    ("seed", "n", "brute_below"), [(1, 3_000, 20_000), (2, 30_000, 1_000), (3, 5_000, 100)]
)
def test_agrees_with_brute_force_on_planted_neighbours(seed: int, n: int, brute_below: int) -> None:
    words, ids, queries = _planted_dataset(seed, n)
    index = HammingIndex.from_arrays(ids, words, brute_force_below=brute_below)
    if brute_below < n:
        assert index.slots is not None  # really exercising the multi-index path
    for q in queries:
        expected = _truth(words, ids, q)
        assert _got(index, q) == expected
        # smaller radii too
        assert _got(index, q, 10) == _truth(words, ids, q, 10)
    # every planted distance 0..31 is found, decoys 32..40 are not
    q0 = queries[0]
    found = {d for d, _ in _got(index, q0)}
    assert set(range(32)) <= found
    assert not any(d > RADIUS for d, _ in _got(index, q0))


def test_slot_count_follows_collection_size() -> None:
    assert choose_slots(10_000_000) == 11  # 11 slots of 23-24 bits, as planned
    assert choose_slots(100_000) >= choose_slots(10_000_000)
    for n in (1_000, 100_000, 10_000_000, 100_000_000):
        assert 8 <= choose_slots(n) <= 32


def test_added_rows_match_at_once_and_merge_keeps_answers() -> None:
    rng = np.random.default_rng(7)
    words = _random_words(rng, 4_000)
    ids = np.arange(4_000, dtype=np.int64)
    index = HammingIndex.from_arrays(ids, words, brute_force_below=1_000, delta_limit=50)
    new = [_flip(words[i], 5, rng) for i in range(10)]
    for j, w in enumerate(new):
        index.add(10_000 + j, w.astype("<u8").tobytes())
        assert (5, 10_000 + j) in _got(index, w) or (0, 10_000 + j) in _got(index, w)
    # push past the delta limit to trigger a background merge
    more = _random_words(rng, 100)
    index.add_many(np.arange(20_000, 20_100), more)
    index.wait_for_merge()
    index.merge()
    allw = np.concatenate([words, np.array(new), more])
    allids = np.concatenate([ids, np.arange(10_000, 10_010), np.arange(20_000, 20_100)])
    for q in [*new, *more[:10], *words[:10]]:
        assert _got(index, q) == _truth(allw, allids, q)
    assert len(index) == len(allids)


def test_removals_are_honoured_everywhere() -> None:
    rng = np.random.default_rng(11)
    words = _random_words(rng, 3_000)
    ids = np.arange(3_000, dtype=np.int64) % 1_500  # every id stored twice
    index = HammingIndex.from_arrays(ids, words, brute_force_below=500)
    extra = _flip(words[0], 3, rng)
    index.add(99_999, extra.astype("<u8").tobytes())
    assert index.remove(7) == 2
    assert index.remove(99_999) == 1
    assert index.remove(123_456) == 0
    for q in (words[7], words[1507], extra):
        assert all(h.id not in (7, 99_999) for h in index.query(q))
    assert len(index) == 3_000 - 2
    # removed then re-added: the new hash is found, the old one stays gone
    index.add(7, extra.astype("<u8").tobytes())
    assert (0, 7) in _got(index, extra)
    assert all(h.id != 7 for h in index.query(words[7]))
    index.merge()
    assert all(h.id != 7 for h in index.query(words[7]))
    assert (0, 7) in _got(index, extra)


def test_concurrent_readers_while_one_writer_adds() -> None:
    rng = np.random.default_rng(5)
    words = _random_words(rng, 5_000)
    index = HammingIndex.from_arrays(
        np.arange(5_000), words, brute_force_below=1_000, delta_limit=64
    )
    probes = words[:50]
    added = _random_words(rng, 600)
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            for i, q in enumerate(probes):
                hits = index.query(q)
                if (0, i) not in [(h.distance, h.id) for h in hits]:
                    errors.append(f"row {i} vanished during a write")
                    return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for j, w in enumerate(added):  # several background merges happen here
            index.add(100_000 + j, w.astype("<u8").tobytes())
            hits = index.query(w)
            if (0, 100_000 + j) not in [(h.distance, h.id) for h in hits]:
                errors.append(f"row {j} not visible right after add")
    finally:
        stop.set()
        for t in threads:
            t.join()
    index.wait_for_merge()
    assert errors == []
    assert len(index) == 5_600


def test_rebuild_from_rows_and_snapshot_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    words = _random_words(rng, 2_500)
    rows = [(i, words[i].astype("<u8").tobytes()) for i in range(2_500)]
    index = HammingIndex.from_rows(rows, brute_force_below=1_000)
    index.remove(3)
    index.add(5_000, words[3].astype("<u8").tobytes())
    snap = tmp_path / "pdq.idx"
    index.save(snap)
    loaded = HammingIndex.load(snap)
    assert loaded.slots == index.slots
    for q in words[:30]:
        assert _got(loaded, q) == _got(index, q)
    assert [h.id for h in loaded.query(words[3])] == [5_000]
    (tmp_path / "bad.idx").write_bytes(b"not a snapshot")
    with pytest.raises(IndexSnapshotError):
        HammingIndex.load(tmp_path / "bad.idx")


def test_input_validation() -> None:
    index = HammingIndex()
    with pytest.raises(ValueError):
        index.add(1, b"short")
    with pytest.raises(ValueError):
        index.query(b"\x00" * 32, 40)
    assert index.query(b"\x00" * 32) == []
    assert hashes_to_words([b"\x01" * 32]).shape == (1, 4)


def test_distance_kernel_is_exact_over_the_full_range() -> None:
    from mediaproof.matching.hamming_index import distances

    rng = np.random.default_rng(0)
    w = _random_words(rng, 2_000)
    q = w[0]
    w[1] = ~q  # 256 bits apart: the largest sum the lane trick must hold
    w[2] = q
    expected = np.bitwise_count(w ^ q).sum(axis=1)
    got = distances(w, q)
    assert (got == expected).all()
    assert got[1] == 256 and got[2] == 0


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 3_000),
    radius=st.integers(0, 40),
    slots=st.sampled_from([None, 16, 20, 24]),
)
def test_randomised_agreement_with_brute_force(
    seed: int, n: int, radius: int, slots: int | None
) -> None:
    rng = np.random.default_rng(seed)
    words = _random_words(rng, n)
    queries = [_random_words(rng, 1)[0]]
    if n:
        # neighbours of stored rows at random distances, some past the radius
        queries += [
            _flip(words[i], int(rng.integers(0, radius + 10)), rng) for i in rng.integers(0, n, 5)
        ]
        planted = [_flip(queries[0], k, rng) for k in range(0, radius + 6)]
        words = np.concatenate([words, np.array(planted)])
    ids = np.arange(len(words), dtype=np.int64)
    index = HammingIndex(max_distance=radius, brute_force_below=0 if n else 1)
    if len(words):
        index = HammingIndex.from_arrays(ids, words, max_distance=radius, brute_force_below=0)
        if slots is not None:  # force a slot count to cover layouts the cost model skips
            from mediaproof.matching import hamming_index as hi

            st_ = index._state
            index._state = hi._State(
                hi._Main(
                    st_.main.words,
                    st_.main.ids,
                    st_.main.alive,
                    hi._Mih.build(words, radius, slots),
                    len(st_.main.words),
                    None,
                ),
                st_.delta,
            )
    for q in queries:
        assert _got(index, q) == _truth(words, ids, q, radius)
