"""Hash populations that are not uniform, for tests and benches of the Hamming index.

Real PDQ populations are lumpy: a viral image is re-uploaded thousands of times as
near-duplicates (a dense cluster within a few bits), some bits are biased (mostly 1 or
mostly 0 across a collection of similar images) and neighbouring bits are correlated.
:func:`clustered_population` makes such a population, with every knob explicit, so
the index can be checked exact against brute force on it and timed on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

HASH_BITS = 256


@dataclass(frozen=True)
class Population:
    words: NDArray[np.uint64]  # (n, 4) stored hashes
    queries: NDArray[np.uint64]  # (q, 4): near cluster members, cluster centres, unrelated
    params: dict[str, object]


def _to_words(bits: NDArray[np.uint8]) -> NDArray[np.uint64]:
    packed = np.packbits(bits, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").reshape(-1, 4).astype(np.uint64)


def _flip(bits: NDArray[np.uint8], k: NDArray[np.int64], rng: np.random.Generator) -> None:
    """Flip ``k[i]`` distinct random bits of row ``i`` in place."""
    keys = rng.random(bits.shape)
    ranks = np.argsort(keys, axis=1)
    cols = np.arange(HASH_BITS)[None, :] < k[:, None]
    rows = np.broadcast_to(np.arange(len(bits))[:, None], bits.shape)
    bits[rows[cols], ranks[cols]] ^= 1


def clustered_population(
    n: int,
    *,
    queries: int = 200,
    seed: int = 1,
    cluster_share: float = 0.5,  # share of rows in near-duplicate clusters
    clusters: int = 50,  # cluster sizes follow a Zipf law: the first is the largest
    cluster_radius: int = 12,  # members differ from their centre by 0..radius bits
    biased_bits: int = 48,  # bits set with probability ``bias`` rather than 1/2
    bias: float = 0.95,
    biased_start: int | None = 0,  # contiguous from this bit (one slot's worth); None: anywhere
    correlated_groups: int = 16,  # groups of 4 bits that copy one source bit...
    correlation_flip: float = 0.05,  # ...each flipped with this probability
) -> Population:
    """``n`` stored hashes and ``queries`` queries drawn from one lumpy distribution."""
    rng = np.random.default_rng(seed)
    if biased_start is None:
        biased = rng.choice(HASH_BITS, biased_bits, replace=False)
    else:
        biased = (np.arange(biased_bits) + biased_start) % HASH_BITS
    free = np.setdiff1d(np.arange(HASH_BITS), biased)
    groups = rng.choice(free, (correlated_groups, 4), replace=False)

    def background(k: int) -> NDArray[np.uint8]:
        bits = (rng.random((k, HASH_BITS)) < 0.5).astype(np.uint8)
        bits[:, biased] = (rng.random((k, len(biased))) < bias).astype(np.uint8)
        for g in groups:
            src = bits[:, g[0]]
            for b in g[1:]:
                bits[:, b] = src ^ (rng.random(k) < correlation_flip).astype(np.uint8)
        return bits

    n_clustered = int(n * cluster_share)
    weights = 1.0 / np.arange(1, clusters + 1)
    sizes = np.floor(weights / weights.sum() * n_clustered).astype(np.int64)
    sizes[0] += n_clustered - int(sizes.sum())
    centres = background(clusters)
    member_of = np.repeat(np.arange(clusters), sizes)
    members = centres[member_of].copy()
    _flip(members, rng.integers(0, cluster_radius + 1, len(members)), rng)
    bits = np.concatenate([members, background(n - n_clustered)])
    bits = bits[rng.permutation(len(bits))]

    # queries: a third near stored rows (0..40 bits away), a third near cluster
    # centres (the heavy case), a third fresh draws from the same distribution
    third = max(queries // 3, 1)
    near = bits[rng.integers(0, n, third)].copy()
    _flip(near, rng.integers(0, 41, third), rng)
    at_centres = centres[rng.integers(0, clusters, third)].copy()
    _flip(at_centres, rng.integers(0, 20, third), rng)
    fresh = background(max(queries - 2 * third, 0))
    q = np.concatenate([near, at_centres, fresh])
    params: dict[str, object] = {
        "n": n, "cluster_share": cluster_share, "clusters": clusters,
        "largest_cluster": int(sizes[0]), "cluster_radius": cluster_radius,
        "biased_bits": biased_bits, "bias": bias,
        "biased_position": "contiguous" if biased_start is not None else "scattered",
        "correlated_groups": correlated_groups, "correlation_flip": correlation_flip,
        "seed": seed,
    }  # fmt: skip
    return Population(_to_words(bits), _to_words(q), params)
