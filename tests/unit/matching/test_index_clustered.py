"""The Hamming index stays exact on lumpy populations (clusters of near-duplicates,
biased and correlated bits), and the bit permutation spreads a biased slot."""

from __future__ import annotations

import numpy as np
import pytest

from mediaproof.matching.hamming_index import (
    BIT_PERMUTATION,
    HammingIndex,
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
