"""256-bit hashes (PDQ) as four uint64 words: conversion, Hamming distances, brute force.

The building blocks of :mod:`mediaproof.matching.hamming_index` (and of anything else
that compares PDQ hashes in bulk, e.g. vPDQ frame matching).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mediaproof.errors import MediaproofError

HASH_BITS = 256
WORDS = HASH_BITS // 64

U64 = NDArray[np.uint64]
I64 = NDArray[np.int64]


class IndexSnapshotError(MediaproofError, code="index"):
    """An index snapshot that cannot be read back as written."""


def hashes_to_words(hashes: ArrayLike | Sequence[bytes]) -> U64:
    """(n, 4) uint64 words from 32-byte hashes, an (n, 32) uint8 array or (n, 4) words."""
    if isinstance(hashes, list | tuple) and hashes and isinstance(hashes[0], bytes | bytearray):
        raw = b"".join(hashes)
        if len(raw) != 32 * len(hashes):
            raise ValueError("every hash must be 32 bytes (256 bits)")
        return np.frombuffer(raw, dtype="<u8").reshape(-1, WORDS).copy()
    arr = np.asarray(hashes)
    if arr.size == 0:
        return np.zeros((0, WORDS), dtype=np.uint64)
    if arr.dtype == np.uint64 and arr.ndim == 2 and arr.shape[1] == WORDS:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.uint8 and arr.ndim == 2 and arr.shape[1] == 32:
        return np.ascontiguousarray(arr).view("<u8").reshape(-1, WORDS).astype(np.uint64)
    raise ValueError("hashes must be 32-byte strings, (n, 32) uint8 or (n, 4) uint64")


def hash_to_words(h: bytes) -> U64:
    if len(h) != 32:
        raise ValueError(f"hash must be 32 bytes, got {len(h)}")
    return np.frombuffer(h, dtype="<u8").astype(np.uint64)


_LANES = np.uint32(0x00FF00FF)


def distances(rows: U64, query: U64) -> I64:
    """Hamming distances of (n, 4) rows to one query.

    The 4 per-word popcounts (one byte each) are viewed as one uint32 and summed in
    two 16-bit lanes (no lane can overflow: each byte is at most 64). Several times
    faster than ``.sum(axis=1)`` over an axis of length 4."""
    counts = np.bitwise_count(rows ^ query)  # (n, 4) uint8
    x = np.ascontiguousarray(counts).view(np.uint32).reshape(-1)
    pairs = (x & _LANES) + ((x >> np.uint32(8)) & _LANES)
    return ((pairs & np.uint32(0xFFFF)) + (pairs >> np.uint32(16))).astype(np.int64)


def brute_force(words: U64, query: U64, max_distance: int) -> tuple[I64, I64]:
    """Row positions and distances of all rows within ``max_distance`` of ``query``."""
    if len(words) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    d = distances(words, query)
    pos = np.flatnonzero(d <= max_distance)
    return pos.astype(np.int64), d[pos]

