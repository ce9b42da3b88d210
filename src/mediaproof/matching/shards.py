"""Which shard of the sharded matchers serves a registered asset (issue 20, item 3).

Shards split the exact index **by record**: every hash of one asset (its 8 dihedral PDQ
variants, its vPDQ frames) lives on the shard ``shard_of(asset_id, shards)``, a stable
mix of the asset id modulo the shard count. Each shard then holds an exact index over a
disjoint part of the rows, so the union of the shards' answers is exactly the answer of
one index over all rows, and every lookup asks every shard.

Not by hash prefix: a range search at distance 31 over 256-bit hashes reaches hashes
with any prefix (two near-duplicates differ in their first bits as often as in any
others), so a prefix-sharded lookup must still ask every shard to stay exact; and an
asset's variants would be spread over many shards, so withdrawing one would touch all of
them. By record, a change touches exactly one shard.

The mix is splitmix64's finaliser: sequential ids (what a database hands out) spread
evenly, and it is the same in every process and release (never Python's ``hash``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

MAX_SHARDS = 256
_M64 = (1 << 64) - 1


def _mix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def check_shards(shards: int) -> int:
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"the shard count must be in [1, {MAX_SHARDS}]")
    return shards


def shard_of(asset_id: int, shards: int) -> int:
    """The shard (0 .. shards-1) that serves ``asset_id``."""
    return _mix(asset_id & _M64) % check_shards(shards)


def shards_of(asset_ids: ArrayLike, shards: int) -> NDArray[np.int64]:
    """:func:`shard_of` of many ids at once (same values)."""
    check_shards(shards)
    x = np.asarray(asset_ids, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x % np.uint64(shards)).astype(np.int64)
