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


def _to_bits(words: NDArray[np.uint64]) -> NDArray[np.uint8]:
    raw = np.ascontiguousarray(words).view(np.uint8)
    return np.unpackbits(raw, axis=1, bitorder="little")


def _flip(bits: NDArray[np.uint8], k: NDArray[np.int64], rng: np.random.Generator) -> None:
    """Flip up to ``k[i]`` random bits of row ``i`` in place (positions drawn with
    replacement; a repeat is flipped once, so a row moves at most ``k[i]`` bits)."""
    kmax = int(k.max()) if len(k) else 0
    if kmax == 0:
        return
    pos = rng.integers(0, HASH_BITS, (len(bits), kmax))
    use = np.arange(kmax)[None, :] < k[:, None]
    rows = np.broadcast_to(np.arange(len(bits))[:, None], pos.shape)[use]
    cols = pos[use]
    bits[rows, cols] = 1 - bits[rows, cols]  # from the original value: repeats flip once


CHUNK = 100_000


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
        bits = rng.integers(0, 2, (k, HASH_BITS), dtype=np.uint8)
        bits[:, biased] = (rng.random((k, len(biased)), dtype=np.float32) < bias).astype(np.uint8)
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
    member_of = np.concatenate(
        [np.repeat(np.arange(clusters), sizes), np.full(n - n_clustered, -1)]
    )[rng.permutation(n)]  # -1: a background row; rows in random order
    words = np.empty((n, 4), dtype=np.uint64)
    for a in range(0, n, CHUNK):  # bounded memory at 10^7 rows and more
        m = member_of[a : a + CHUNK]
        bits = background(len(m))
        inside = m >= 0
        members = centres[m[inside]].copy()
        _flip(members, rng.integers(0, cluster_radius + 1, len(members)), rng)
        bits[inside] = members
        words[a : a + CHUNK] = _to_words(bits)

    # queries: a third near stored rows (0..40 bits away), a third near cluster
    # centres (the heavy case), a third fresh draws from the same distribution
    third = max(queries // 3, 1)
    near = _to_bits(words[rng.integers(0, n, third)])
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
    return Population(words, _to_words(q), params)
