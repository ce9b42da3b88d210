"""Shard assignment by record, and why it keeps the sharded index exact: the union of
the shards' answers equals one index's answer and brute force."""

from __future__ import annotations

import numpy as np
import pytest

from mediaproof.config import Settings
from mediaproof.config_cluster import parse_matchers
from mediaproof.matching.hamming_words import brute_force, hashes_to_words
from mediaproof.matching.lookup import FingerprintStore
from mediaproof.matching.shards import MAX_SHARDS, shard_of, shards_of


def test_shard_of_is_pinned() -> None:
    # the same in every process and release: a change would move assets between shards
    assert [shard_of(i, 4) for i in range(1, 13)] == [1, 2, 1, 2, 2, 0, 3, 2, 0, 2, 1, 3]
    assert [shard_of(i, 2) for i in (1, 2, 3, 10**9)] == [1, 0, 1, 1]
    assert all(shard_of(i, 1) == 0 for i in range(100))


def test_array_form_agrees_and_spreads_sequential_ids_evenly() -> None:
    ids = np.arange(1, 40_001, dtype=np.int64)
    for n in (2, 3, 4, 7):
        got = shards_of(ids, n)
        assert got.tolist()[:500] == [shard_of(int(i), n) for i in ids[:500]]
        counts = np.bincount(got, minlength=n)
        assert counts.min() > 0.95 * len(ids) / n, counts


@pytest.mark.parametrize("n", [0, -1, MAX_SHARDS + 1])
def test_shard_count_out_of_range_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match="shard count"):
        shard_of(1, n)


def _add(store: FingerprintStore, assets: np.ndarray, hashes: np.ndarray, rows: np.ndarray) -> None:
    k = len(rows)
    store.add_hash_arrays(
        "pdq", rows=rows, assets=assets, hashes=hashes, quality=np.full(k, 100, np.int16),
        variant=np.zeros(k, np.int8), frame=np.full(k, -1, np.int32),
        total=np.full(k, -1, np.int32),
    )  # fmt: skip


def test_union_of_shard_answers_equals_one_index_and_brute_force() -> None:
    rng = np.random.default_rng(7)
    n_assets, per_asset = 3_000, 8  # every asset's 8 hashes go to its one shard
    base = rng.integers(0, 256, (n_assets, 32), dtype=np.uint8)
    hashes = np.repeat(base, per_asset, axis=0)
    flips = rng.integers(0, 256, hashes.shape, dtype=np.uint8) & (
        rng.random(hashes.shape) < 0.04
    ).astype(np.uint8)  # near-duplicates of each asset's base hash
    hashes ^= flips
    assets = np.repeat(np.arange(1, n_assets + 1, dtype=np.int64), per_asset)
    rows = np.arange(1, len(assets) + 1, dtype=np.int64)
    whole = FingerprintStore(md5=False)
    _add(whole, assets, hashes, rows)
    shards = 4
    parts = [FingerprintStore(md5=False) for _ in range(shards)]
    where = shards_of(assets, shards)
    for i, part in enumerate(parts):
        sel = where == i
        assert sel.any()
        _add(part, assets[sel], hashes[sel], rows[sel])
    words = hashes_to_words([bytes(h) for h in hashes])
    for _ in range(60):
        query = base[rng.integers(0, n_assets)].copy()
        query[rng.integers(0, 32, 3)] ^= 0x11  # a few bits off
        qb = bytes(query)
        union = sorted(
            (c.asset_id, c.distance) for p in parts for c in p.find_near("pdq", qb, 31)
        )
        one = sorted((c.asset_id, c.distance) for c in whole.find_near("pdq", qb, 31))
        pos, dist = brute_force(words, hashes_to_words([qb])[0], 31)
        brute = sorted((str(int(assets[p])), int(d)) for p, d in zip(pos, dist, strict=True))
        assert union == one == brute
        assert union  # the query's own asset at least


def test_matchers_setting_is_parsed_and_checked() -> None:
    spec = "0=http://a:9001,http://b:9001/;1=https://c:9001"
    assert parse_matchers(spec) == [["http://a:9001", "http://b:9001"], ["https://c:9001"]]
    assert Settings(matchers=spec).matchers == spec
    assert Settings(matchers="  ").matchers is None
    for bad, why in [
        ("1=http://a", "numbered 0 to N-1"),
        ("0=http://a;0=http://b", "named twice"),
        ("0=", "no replica"),
        ("0=ftp://a", "http:// or https://"),
        ("http://a", "'<number>=<url>"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_matchers(bad)


def test_matcher_token_has_no_default_and_a_minimum_length() -> None:
    assert Settings().matcher_token is None
    with pytest.raises(ValueError, match="at least 16"):
        Settings(matcher_token="short")
