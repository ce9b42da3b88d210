"""Dense clusters of near-duplicates, kept out of the multi-index tables.

A viral image re-uploaded thousands of times makes a dense cluster of hashes a few bits
apart. In the multi-index tables (:mod:`mediaproof.matching.mih`) every member of such
a cluster shares slot keys with every other, so a query that merely passes near the
cluster (a near miss, 32-50 bits from its centre) gathers all its members as
candidates and verifies them one by one through random reads: the p99 of a lumpy
population grew linearly with the cluster.

Here such rows are set apart at build time, each cluster behind a *leader* (the bitwise
majority of its members, close to its centre) and a *radius* (the farthest member from
the leader). By the triangle inequality a query more than ``max_distance + radius`` bits
from a leader has no match among its members, so the whole cluster is skipped after one
popcount; otherwise its members are scanned in place, column by column (one sequential
pass of 4 x 8 bytes a row, several times cheaper than gathering the same rows at
random). Members are kept in shells by their distance ``k`` to the leader, and a query
``D`` bits from the leader only scans the shells with ``k >= D - max_distance`` (a
closer member is more than ``max_distance`` from the query), which spares most of a
cluster for the near misses that pass just outside it. The scan itself is compiled
(:mod:`mediaproof.matching.hamming_scan`): one pass over the rows where numpy made four
and their temporaries, which matters because a near miss just outside a big cluster has
to look at most of it (no metric bound separates the few members it matches; see that
module). The rows are scanned where they lie in the main arrays (row-major, grouped by
cluster and shell), so they are stored once. The result stays exact: each
row is either in the tables or in exactly one cluster, and a cluster or shell is only
skipped when the bound proves it holds no answer.

Finding clusters is a heuristic (which rows end up where only changes speed, never an
answer): buckets of 16-bit keys far fuller than chance seed a candidate; its leader is
the majority of a sample of that bucket; rows sharing the leader's key in any of four
key slots and lying within :data:`CLUSTER_RADIUS` of it join. A bucket that is full
because of biased bits rather than near-duplicates yields too few rows within the
radius and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mediaproof.matching.hamming_scan import scan
from mediaproof.matching.hamming_words import U64, WORDS, IndexSnapshotError, distances
from mediaproof.matching.mih import BIT_PERMUTATION

CLUSTER_RADIUS = 16  # members lie within this many bits of their leader
MIN_CLUSTER = 1024  # fewer rows than this are cheaper left in the tables
KEY_BITS = 16
KEY_SLOTS = 4  # key slots cut from the permuted bits (see mih.BIT_PERMUTATION)
FULLER_THAN_CHANCE = 16  # a bucket this many times its expected count is a seed
MAX_ATTEMPTS = 512  # bounds the build's cost on a population with no clusters
_SAMPLE = 2048


@dataclass(frozen=True)
class Clusters:
    """Clustered rows occupy positions ``start..start+len(cols[0])`` of the main arrays,
    grouped by cluster and, inside one, by distance to its leader: the members of
    cluster ``j`` at distance ``k`` or more from its leader are at positions
    ``start + shells[j, k] .. start + shells[j, -1]``."""

    start: int
    leaders: U64  # (L, 4)
    radius: NDArray[np.int64]  # (L,)
    shells: NDArray[np.int64]  # (L, CLUSTER_RADIUS + 2), relative to ``start``
    rows: U64  # (M, 4): the clustered rows, a view of the main arrays from ``start`` on

    @property
    def nbytes(self) -> int:
        """Bytes beyond the rows themselves (those belong to the main arrays)."""
        return int(self.leaders.nbytes + self.radius.nbytes + self.shells.nbytes)

    def search(self, query: U64, r: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Positions (in the main arrays) and distances of clustered rows within ``r``."""
        if len(self.leaders) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        to_leader = distances(self.leaders, query)
        near = np.flatnonzero(to_leader - self.radius <= r)
        pos_parts: list[NDArray[np.int64]] = []
        dist_parts: list[NDArray[np.int64]] = []
        for j in near.tolist():
            a = int(self.shells[j, max(0, int(to_leader[j]) - r)])
            b = int(self.shells[j, -1])
            hit, d = scan(self.rows[a:b], query, r)
            pos_parts.append(hit + (self.start + a))
            dist_parts.append(d)
        if not pos_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(pos_parts), np.concatenate(dist_parts)

    def export(self) -> dict[str, NDArray[np.generic]]:
        return {
            "cl_start": np.array([self.start], dtype=np.int64),
            "cl_leaders": self.leaders,
            "cl_radius": self.radius,
            "cl_shells": self.shells,
        }

    @classmethod
    def restore(cls, arrays: dict[str, NDArray[np.generic]], words: U64) -> Clusters | None:
        """Clusters from :meth:`export` over the main arrays' ``words`` (None when the
        snapshot has none); checked for shape, so a damaged snapshot is refused rather
        than answering wrong."""
        if "cl_start" not in arrays:
            return None
        n_rows = len(words)
        start = int(arrays["cl_start"][0])
        leaders, radius = arrays["cl_leaders"], arrays["cl_radius"]
        shells = arrays["cl_shells"]
        m = n_rows - start
        ok = (
            0 <= start <= n_rows
            and leaders.dtype == np.uint64 and leaders.ndim == 2 and leaders.shape[1] == WORDS
            and radius.dtype == np.int64 and len(radius) == len(leaders)
            and shells.dtype == np.int64 and shells.shape == (len(leaders), CLUSTER_RADIUS + 2)
            and len(leaders) > 0 and int(shells[0, 0]) == 0 and int(shells[-1, -1]) == m
            and bool(np.all(np.diff(shells.reshape(-1)) >= 0))
            and bool(np.all(shells[1:, 0] == shells[:-1, -1]))
            and bool(np.all(np.asarray(radius, np.int64) <= CLUSTER_RADIUS))
        )  # fmt: skip
        if not ok:
            raise IndexSnapshotError("index snapshot has inconsistent cluster tables")
        return cls(start, leaders, radius, shells, words[start:])  # type: ignore[arg-type]


def _key_columns(words: U64) -> NDArray[np.uint16]:
    """(KEY_SLOTS, n) 16-bit keys: key ``s`` holds bits ``BIT_PERMUTATION[16 s + b]``,
    the same bits the permuted layout puts first, gathered directly (only 64 of the
    256 bits are needed, so the full permutation would be wasted work)."""
    n = len(words)
    out = np.zeros((KEY_SLOTS, n), dtype=np.uint16)
    for s in range(KEY_SLOTS):
        for b in range(KEY_BITS):
            wi, off = divmod(int(BIT_PERMUTATION[s * KEY_BITS + b]), 64)
            bit = ((words[:, wi] >> np.uint64(off)) & np.uint64(1)).astype(np.uint16)
            out[s] |= bit << np.uint16(b)
    return out


def _majority(words: U64) -> U64:
    bits = np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1, bitorder="little")
    maj = (bits.sum(axis=0) * 2 > len(words)).astype(np.uint8)
    packed = np.packbits(maj[None, :], axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").reshape(WORDS).astype(np.uint64)


def find_clusters(
    words: U64, *, min_size: int = MIN_CLUSTER, radius: int = CLUSTER_RADIUS, seed: int = 0
) -> tuple[list[NDArray[np.int64]], list[U64], list[int]]:
    """Groups of row positions, their leaders and radii (see the module docstring)."""
    n = len(words)
    if n < 2 * min_size:
        return [], [], []
    keys = _key_columns(words)
    # rows grouped by key, per slot: the rows holding a key are one slice (no full pass)
    order = [np.argsort(keys[t], kind="stable") for t in range(KEY_SLOTS)]
    offs = []
    for t in range(KEY_SLOTS):
        o = np.zeros((1 << KEY_BITS) + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys[t], minlength=1 << KEY_BITS), out=o[1:])
        offs.append(o)

    def holding(t: int, key: int) -> NDArray[np.intp]:
        return order[t][offs[t][key] : offs[t][key + 1]]

    free = np.ones(n, dtype=np.bool_)
    threshold = max(min_size, FULLER_THAN_CHANCE * n >> KEY_BITS)
    rng = np.random.default_rng(seed)
    groups: list[NDArray[np.int64]] = []
    leaders: list[U64] = []
    radii: list[int] = []
    attempts = 0
    for s in range(KEY_SLOTS):
        counts = np.bincount(keys[s][free], minlength=1 << KEY_BITS)
        heavy = np.flatnonzero(counts >= threshold)
        for key in heavy[np.argsort(-counts[heavy], kind="stable")].tolist():
            if attempts >= MAX_ATTEMPTS:
                break
            members = holding(s, key)
            members = members[free[members]]
            if len(members) < threshold:
                continue  # mostly taken by a cluster found before
            attempts += 1
            sample = members if len(members) <= _SAMPLE else rng.choice(members, _SAMPLE, False)
            leader = _majority(words[sample])
            lk = _key_columns(leader.reshape(1, WORDS))[:, 0]
            cand = np.unique(np.concatenate([holding(t, int(lk[t])) for t in range(KEY_SLOTS)]))
            cand = cand[free[cand]]
            d = distances(words[cand], leader)
            inside = d <= radius
            if int(inside.sum()) < max(min_size, threshold // 2):
                continue  # full by bias, not by near-duplicates
            chosen = cand[inside].astype(np.int64)
            free[chosen] = False
            groups.append(chosen)
            leaders.append(leader)
            radii.append(int(d[inside].max()))
    return groups, leaders, radii


def split_rows(
    words: U64, ids: NDArray[np.int64], *, min_size: int = MIN_CLUSTER
) -> tuple[U64, NDArray[np.int64], int, Clusters | None]:
    """Rows reordered as (free rows, then clusters), the count of free rows, and the
    clusters (None when there are none)."""
    groups, leaders, radii = find_clusters(words, min_size=min_size)
    if not groups:
        return words, ids, len(words), None
    shells = np.zeros((len(groups), CLUSTER_RADIUS + 2), dtype=np.int64)
    at = 0
    for j, (g, leader) in enumerate(zip(groups, leaders, strict=True)):
        d = distances(words[g], leader)
        order_in = np.argsort(d, kind="stable")
        groups[j] = g[order_in]  # members by distance to the leader
        shells[j, 0] = at
        shells[j, 1:] = at + np.cumsum(np.bincount(d, minlength=CLUSTER_RADIUS + 1))
        at += len(g)
    clustered = np.concatenate(groups)
    mask = np.ones(len(words), dtype=np.bool_)
    mask[clustered] = False
    order = np.concatenate([np.flatnonzero(mask), clustered])
    n0 = int(mask.sum())
    words = np.ascontiguousarray(words[order])
    ids = np.ascontiguousarray(ids[order])
    rows = words[n0:]
    return (
        words,
        ids,
        n0,
        Clusters(n0, np.stack(leaders).astype(np.uint64), np.array(radii, np.int64), shells, rows),
    )
