"""The Hamming index stays exact on lumpy populations (clusters of near-duplicates,
biased and correlated bits), and the bit permutation spreads a biased slot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediaproof.matching import hamming_scan
from mediaproof.matching.clusters import find_clusters
from mediaproof.matching.hamming_index import (
    BIT_PERMUTATION,
    HammingIndex,
    IndexSnapshotError,
    _slot_keys,
    _slot_widths,
    brute_force,
    permute_bits,
)
from mediaproof.testing.hash_populations import clustered_population


def test_the_permutation_is_fixed_and_a_permutation() -> None:
    assert sorted(BIT_PERMUTATION.tolist()) == list(range(256))
    # pinned: a change would silently invalidate every snapshot's tables
    assert BIT_PERMUTATION[:8].tolist() == [185, 178, 251, 13, 146, 182, 59, 211]


def test_permute_bits_moves_each_bit_where_it_says() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(0, 2**63, (5, 4), dtype=np.uint64)
    p = permute_bits(w)
    bits = np.unpackbits(w.view(np.uint8), axis=1, bitorder="little")
    pbits = np.unpackbits(p.view(np.uint8), axis=1, bitorder="little")
    assert (pbits == bits[:, BIT_PERMUTATION]).all()
    # a relabelling of positions: distances are unchanged
    assert (np.bitwise_count(p[0] ^ p[1]).sum()) == np.bitwise_count(w[0] ^ w[1]).sum()


@pytest.mark.parametrize("n", [1, 63, 64, 1000, (1 << 16) + 10, 3 * (1 << 16) + 200])
def test_permute_bits_by_table_equals_moving_every_bit(n: int) -> None:
    # the bulk path (byte tables, by chunks) and the per-query path (one gather), at
    # both sides of the cut-over and with a short last chunk, against the bit-by-bit
    # definition; on every bit pattern, not only random ones
    rng = np.random.default_rng(n)
    w = rng.integers(0, 2**64 - 1, (n, 4), dtype=np.uint64, endpoint=True)
    w[: min(n, 3)] = [[0] * 4, [2**64 - 1] * 4, [1, 1 << 63, 0x0123456789ABCDEF, 5]][: min(n, 3)]
    bits = np.unpackbits(w.view(np.uint8), axis=1, bitorder="little")
    packed = np.packbits(bits[:, BIT_PERMUTATION], axis=1, bitorder="little")
    want = np.ascontiguousarray(packed).view("<u8")
    assert (permute_bits(w) == want).all()
    assert (permute_bits(w[::2]) == want[::2]).all()  # a strided view, as callers pass


@pytest.mark.parametrize("biased_start", [0, None])
def test_exact_against_brute_force_on_a_clustered_population(biased_start: int | None) -> None:
    pop = clustered_population(30_000, queries=150, seed=5, biased_start=biased_start)
    ids = np.arange(len(pop.words), dtype=np.int64)
    index = HammingIndex.from_arrays(ids, pop.words, brute_force_below=1000)
    assert index.slots is not None  # the multi-index tables are in use, not a scan
    found_any = 0
    for q in pop.queries:
        for r in (0, 8, 31):
            want_pos, want_d = brute_force(pop.words, q, r)
            got_ids, got_d = index.query_arrays(q, r)
            assert dict(zip(got_ids.tolist(), got_d.tolist(), strict=True)) == dict(
                zip(want_pos.tolist(), want_d.tolist(), strict=True)
            )
            found_any += len(want_pos) > 0
    assert found_any > 100  # the queries do land near stored rows


def test_exact_with_heavy_buckets_and_a_delta() -> None:
    """One cluster holding most rows: the heavy-bucket fallback and the delta agree with
    brute force too."""
    pop = clustered_population(
        20_000, queries=60, seed=6, cluster_share=0.9, clusters=2, cluster_radius=4
    )
    ids = np.arange(len(pop.words), dtype=np.int64)
    index = HammingIndex.from_arrays(ids[:-500], pop.words[:-500], brute_force_below=1000,
                                     background_merge=False)  # fmt: skip
    index.add_many(ids[-500:], pop.words[-500:])
    for q in pop.queries:
        want_pos, want_d = brute_force(pop.words, q, 31)
        got_ids, got_d = index.query_arrays(q, 31)
        assert sorted(zip(got_ids.tolist(), got_d.tolist(), strict=True)) == sorted(
            zip(want_pos.tolist(), want_d.tolist(), strict=True)
        )


def test_the_permutation_spreads_biased_bits_over_slots() -> None:
    """48 biased bits in one place: cut raw, the first slot's keys crowd into few
    buckets; cut from the permuted bits, no slot's largest bucket is anywhere near."""
    pop = clustered_population(50_000, seed=7, cluster_share=0.0, biased_start=0,
                               correlated_groups=0)  # fmt: skip
    widths = _slot_widths(11)
    starts = [sum(widths[:i]) for i in range(11)]

    def worst(words: np.ndarray) -> int:
        return max(
            int(np.bincount(_slot_keys(words, s, w)).max())
            for s, w in zip(starts, widths, strict=True)
        )

    raw, permuted = worst(pop.words), worst(permute_bits(pop.words))
    assert raw > 20 * permuted


# --- dense clusters set apart (mediaproof.matching.clusters) -------------------------


def _assert_exact(index: HammingIndex, words: np.ndarray, queries: np.ndarray,
                  alive: np.ndarray | None = None) -> int:  # fmt: skip
    found = 0
    for q in queries:
        for r in (0, 8, 20, 31):
            want_pos, want_d = brute_force(words, q, r)
            if alive is not None:
                keep = alive[want_pos]
                want_pos, want_d = want_pos[keep], want_d[keep]
            got_ids, got_d = index.query_arrays(q, r)
            assert sorted(zip(got_ids.tolist(), got_d.tolist(), strict=True)) == sorted(
                zip(want_pos.tolist(), want_d.tolist(), strict=True)
            )
            found += len(want_pos)
    return found


@pytest.fixture(params=["compiled", "numpy"])
def scan_kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test below runs with the clusters scanned by the compiled kernel and by the
    numpy scan it replaces (the one used where numba is missing)."""
    compiled = request.param == "compiled"
    monkeypatch.setattr(hamming_scan, "USE_COMPILED", compiled)
    assert hamming_scan.compiled_in_use() == compiled
    return str(request.param)


def _near_misses(leaders: np.ndarray, rng: np.random.Generator,
                 ks: tuple[int, ...] = (25, 31, 36, 43, 50)) -> np.ndarray:  # fmt: skip
    """Queries exactly ``k`` bits from each cluster leader: the ones that used to gather
    whole clusters (25-50), or that scan most of one (28-40: just outside it)."""
    out = []
    for leader in leaders:
        for k in ks:
            bits = np.unpackbits(leader.view(np.uint8), bitorder="little")
            flip = rng.choice(256, k, replace=False)
            bits[flip] ^= 1
            out.append(np.packbits(bits, bitorder="little").view("<u8").astype(np.uint64))
    return np.array(out)


@pytest.mark.parametrize("biased_start", [0, None])
def test_dense_clusters_are_set_apart_and_answers_stay_exact(
    biased_start: int | None, scan_kernel: str
) -> None:
    pop = clustered_population(40_000, queries=80, seed=11, biased_start=biased_start)
    ids = np.arange(len(pop.words), dtype=np.int64)
    index = HammingIndex.from_arrays(ids, pop.words, brute_force_below=1000)
    clusters = index._state.main.clusters
    assert clusters is not None and len(clusters.leaders) >= 2  # the big clusters were found
    assert index._state.main.free < len(pop.words)
    assert index.slots is not None  # the rest is in the multi-index tables
    rng = np.random.default_rng(12)
    queries = np.concatenate([pop.queries, _near_misses(clusters.leaders, rng)])
    assert _assert_exact(index, pop.words, queries) > 1000


def test_near_misses_just_outside_every_cluster_are_exact(scan_kernel: str) -> None:
    """Queries 28-40 bits from every leader (each bit count, twice): the shells a near
    miss scans, the bound that skips inner shells, and the members it matches."""
    pop = clustered_population(40_000, queries=0, seed=21, biased_start=None)
    index = HammingIndex.from_arrays(np.arange(len(pop.words)), pop.words, brute_force_below=1000)
    clusters = index._state.main.clusters
    assert clusters is not None
    rng = np.random.default_rng(22)
    ks = tuple(range(28, 41)) * 2
    queries = _near_misses(clusters.leaders, rng, ks)
    found = 0
    for q in queries:
        want_pos, want_d = brute_force(pop.words, q, 31)
        got_ids, got_d = index.query_arrays(q, 31)
        assert sorted(zip(got_ids.tolist(), got_d.tolist(), strict=True)) == sorted(
            zip(want_pos.tolist(), want_d.tolist(), strict=True)
        )
        found += len(want_pos)
    assert found > 0  # some near misses do reach members (the scan is not vacuous)


def test_clusters_stay_exact_with_removals_a_delta_and_a_snapshot(
    tmp_path: Path, scan_kernel: str
) -> None:
    pop = clustered_population(40_000, queries=40, seed=13)
    ids = np.arange(len(pop.words), dtype=np.int64)
    index = HammingIndex.from_arrays(ids[:-300], pop.words[:-300], brute_force_below=1000,
                                     background_merge=False)  # fmt: skip
    clusters = index._state.main.clusters
    assert clusters is not None
    index.add_many(ids[-300:], pop.words[-300:])
    alive = np.ones(len(ids), dtype=np.bool_)
    # remove rows inside a cluster and outside
    start = clusters.start
    gone = [int(index._state.main.ids[start]), int(index._state.main.ids[start + 5]),
            int(index._state.main.ids[0]), int(ids[-1])]  # fmt: skip
    for g in gone:
        assert index.remove(g) == 1
        alive[g] = False
    queries = np.concatenate([pop.queries, _near_misses(clusters.leaders[:3],
                                                         np.random.default_rng(1)),
                              _near_misses(clusters.leaders, np.random.default_rng(2),
                                           (28, 32, 36, 40))])  # fmt: skip
    _assert_exact(index, pop.words, queries, alive)
    # a snapshot (clusters in it) answers the same, from files and from exported arrays
    path = tmp_path / "ix.npz"
    index.save(path)
    loaded = HammingIndex.load(path)
    assert loaded._state.main.clusters is not None
    _assert_exact(loaded, pop.words, queries, alive)
    again = HammingIndex.from_exported(loaded.export_arrays())
    _assert_exact(again, pop.words, queries, alive)
    # as the service loads a snapshot: read-only memory maps, scanned in place
    folder = tmp_path / "npy"
    folder.mkdir()
    for k, v in again.export_arrays().items():
        np.save(folder / f"{k}.npy", v)
    mapped = {p.stem: np.load(p, mmap_mode="r") for p in folder.glob("*.npy")}
    from_maps = HammingIndex.from_exported(mapped)  # type: ignore[arg-type]
    rows = from_maps._state.main.clusters
    assert rows is not None and not rows.rows.flags.writeable
    _assert_exact(from_maps, pop.words, queries, alive)


def test_a_snapshot_of_the_previous_layout_is_refused() -> None:
    """Version 3 kept a column copy of the clustered rows; version 4 scans them in the
    main arrays. An old snapshot is refused (the service rebuilds from rows)."""
    pop = clustered_population(40_000, queries=0, seed=17)
    arrays = dict(HammingIndex.from_arrays(np.arange(len(pop.words)), pop.words,
                                           brute_force_below=1000).export_arrays())  # fmt: skip
    assert "cl_cols" not in arrays  # the rows are stored once
    arrays["version"] = np.array([3], dtype=np.int64)
    with pytest.raises(IndexSnapshotError):
        HammingIndex.from_exported(arrays)


def test_a_damaged_cluster_table_is_refused() -> None:
    pop = clustered_population(40_000, queries=5, seed=14)
    index = HammingIndex.from_arrays(np.arange(len(pop.words)), pop.words, brute_force_below=1000)
    arrays = dict(index.export_arrays())
    assert "cl_shells" in arrays
    bad = arrays["cl_shells"].copy()
    bad[-1, -1] += 1  # claims one clustered row more than there is
    arrays["cl_shells"] = bad
    with pytest.raises(IndexSnapshotError):
        HammingIndex.from_exported(arrays)


def test_no_clusters_are_made_from_bias_alone_or_uniform_rows() -> None:
    """Buckets full because of biased bits are not near-duplicates: nothing is set apart."""
    rng = np.random.default_rng(15)
    uniform = rng.integers(0, 2**63, (60_000, 4), dtype=np.uint64)
    assert find_clusters(uniform)[0] == []
    biased = clustered_population(60_000, seed=16, cluster_share=0.0, biased_start=0)
    assert find_clusters(biased.words)[0] == []
