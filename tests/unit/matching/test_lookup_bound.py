"""The bound on a PDQ/vPDQ answer (issue 20): the nearest ``LOOKUP_LIMIT`` assets, every
row of each within the radius, the total within the radius and whether some were left
out. Checked against brute force on a lumpy population (near-duplicate clusters larger
than the bound), over 1, 2 and 3 shards merged as the fan-out merges them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from mediaproof.matching.hamming_words import brute_force, hashes_to_words
from mediaproof.matching.lookup import (
    LOOKUP_LIMIT,
    FingerprintStore,
    Matches,
    asset_order,
    bound_matches,
)
from mediaproof.matching.shards import shards_of
from mediaproof.testing.hash_populations import clustered_population

RADIUS = 31


class Rows:
    """A lumpy population as registered rows: assets of 1 to 3 hashes (dihedral variant
    codes 1..3), rows in the population's random order, so an asset's rows may sit in
    different clusters."""

    def __init__(self, n: int, seed: int) -> None:
        pop = clustered_population(n, queries=60, seed=seed, clusters=20, cluster_radius=8)
        self.queries = pop.queries
        self.largest = int(pop.params["largest_cluster"])  # type: ignore[call-overload]
        self.hashes = np.ascontiguousarray(pop.words).view(np.uint8).reshape(-1, 32)
        self.words = hashes_to_words(self.hashes)
        rng = np.random.default_rng(seed)
        per = rng.integers(1, 4, n)
        self.assets = np.repeat(np.arange(1, n + 1, dtype=np.int64), per)[:n]
        first = np.r_[True, self.assets[1:] != self.assets[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        self.variant = (np.arange(n) - start + 1).astype(np.int8)
        self.rows = np.arange(1, n + 1, dtype=np.int64)

    def store(self, sel: NDArray[np.bool_] | None = None) -> FingerprintStore:
        sel = np.ones(len(self.rows), np.bool_) if sel is None else sel
        k = int(sel.sum())
        st = FingerprintStore(md5=False)
        st.add_hash_arrays(
            "pdq", rows=self.rows[sel], assets=self.assets[sel], hashes=self.hashes[sel],
            quality=np.full(k, 100, np.int16), variant=self.variant[sel],
            frame=np.full(k, -1, np.int32), total=np.full(k, -1, np.int32),
        )  # fmt: skip
        return st

    def brute(self, q: bytes, limit: int) -> tuple[list[tuple[Any, ...]], int]:
        """(rows of the nearest ``limit`` assets as (asset, distance, variant) in the
        answer's order, assets within the radius), by brute force."""
        pos, dist = brute_force(self.words, hashes_to_words([q])[0], RADIUS)
        best: dict[str, int] = {}
        for p, d in zip(pos.tolist(), dist.tolist(), strict=True):
            a = str(int(self.assets[p]))
            best[a] = min(best.get(a, 256), d)
        kept = set(sorted(best, key=lambda a: (best[a], asset_order(a)))[:limit])
        rows = [
            (str(int(self.assets[p])), d, int(self.variant[p]))
            for p, d in zip(pos.tolist(), dist.tolist(), strict=True)
            if str(int(self.assets[p])) in kept
        ]
        rows.sort(key=lambda r: (r[1], asset_order(r[0]), r[2]))
        return rows, len(best)


_NAMES = ("original", "rotate90", "rotate180")


def _rows(answer: list[Any]) -> list[tuple[Any, ...]]:
    """An answer as (asset, distance, variant code), in its order."""
    return [(c.asset_id, int(c.distance), _NAMES.index(c.variant) + 1) for c in answer]


@pytest.fixture(scope="module")
def population() -> Rows:
    return Rows(30_000, seed=3)


def _queries(pop: Rows) -> list[bytes]:
    qs = np.ascontiguousarray(pop.queries).view(np.uint8).reshape(-1, 32)
    return [bytes(q) for q in qs]


@pytest.mark.parametrize("shards", [1, 2, 3])
def test_answers_equal_brute_force_top_k_over_shards(population: Rows, shards: int) -> None:
    pop = population
    where = shards_of(pop.assets, shards)
    parts = [pop.store(where == i) for i in range(shards)]
    whole = pop.store()
    truncated = 0
    for q in _queries(pop):
        want, total = pop.brute(q, LOOKUP_LIMIT)
        answers = [p.find_near("pdq", q, RADIUS) for p in parts]
        for a in answers:  # each shard: bounded on its own
            assert len({c.asset_id for c in a}) <= LOOKUP_LIMIT
        merged = bound_matches(
            [c for a in answers for c in a], LOOKUP_LIMIT, sum(a.total for a in answers)
        )
        one = whole.find_near("pdq", q, RADIUS)
        assert _rows(merged) == _rows(one) == want
        assert list(merged) == list(one)  # the same candidates, in the same order
        assert merged.total == one.total == total
        assert merged.truncated == one.truncated == (total > LOOKUP_LIMIT)
        truncated += merged.truncated
    assert truncated >= 5  # the queries near cluster centres reach more than the bound


def test_a_cluster_larger_than_the_bound_is_truncated_with_the_right_total(
    population: Rows,
) -> None:
    pop = population
    assert pop.largest > 4 * LOOKUP_LIMIT
    store = pop.store()
    # the query near the largest cluster's centre: the most assets within the radius
    big = max(_queries(pop), key=lambda x: pop.brute(x, 1)[1])
    ans = store.find_near("pdq", big, RADIUS)
    full = store.find_near("pdq", big, RADIUS, limit=None)
    want, total = pop.brute(big, LOOKUP_LIMIT)
    assert full.total == total and not full.truncated
    assert len({c.asset_id for c in full}) == total
    assert total > 2 * LOOKUP_LIMIT  # a query reaching a whole cluster
    assert ans.truncated and ans.total == total
    assert len({c.asset_id for c in ans}) == LOOKUP_LIMIT
    assert _rows(ans) == want
    small = store.find_near("pdq", big, RADIUS, limit=5)
    assert _rows(small) == pop.brute(big, 5)[0] and small.total == total


def test_every_row_of_a_kept_asset_is_answered_and_ties_go_to_the_lower_id() -> None:
    """vPDQ: an asset's frames within the radius all come back (the analyzer counts the
    original's matched frames); at the cut, equally near assets go by id, numerically."""
    st = FingerprintStore(md5=False)
    h = np.zeros((1, 32), np.uint8)
    n = LOOKUP_LIMIT + 20
    assets = np.repeat(np.arange(n, 0, -1, dtype=np.int64), 3)  # high ids added first
    k = len(assets)
    st.add_hash_arrays(
        "vpdq", rows=np.arange(1, k + 1, dtype=np.int64), assets=assets,
        hashes=np.repeat(h, k, axis=0), quality=np.full(k, 100, np.int16),
        variant=np.zeros(k, np.int8), frame=np.tile(np.arange(3, dtype=np.int32), n),
        total=np.full(k, 3, np.int32),
    )  # fmt: skip
    got = st.find_near("vpdq", bytes(32), RADIUS)
    assert got.total == n and got.truncated
    assert sorted({int(c.asset_id) for c in got}) == list(range(1, LOOKUP_LIMIT + 1))
    assert len(got) == 3 * LOOKUP_LIMIT
    assert [(c.asset_id, c.detail["frame"]) for c in got[:4]] == [
        ("1", 0), ("1", 1), ("1", 2), ("2", 0)
    ]


def test_matches_keep_their_total_and_an_unbounded_answer_is_not_truncated() -> None:
    assert Matches().total == 0 and not Matches().truncated
    rows = bound_matches([], LOOKUP_LIMIT, 0)
    assert rows == [] and not rows.truncated
    assert Matches([], total=7).truncated  # assets within the radius, none kept
