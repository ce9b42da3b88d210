"""The local cache of an S3 store's blobs stays under MEDIAPROOF_BLOB_CACHE_MAX_BYTES
(issue #20), on the real SeaweedFS server: least recently used copies go first, a copy
in use is never taken from a reader (open or memory-mapped), partial downloads are not
counted nor removed, and two processes sharing the folder keep it under the cap."""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mediaproof.config_cluster import BlobSettings
from mediaproof.storage.blob_cache import BlobCache
from mediaproof.storage.blob_s3 import S3BlobStore
from mediaproof.storage.blobs import ContentStore
from tests.blobs.conftest import S3Server, s3_settings
from tests.conftest import REPO

SIZE = 8 * 1024


def _store(home: Path, s3_env: dict[str, Any], cap: int, min_age_s: float = 0.0) -> S3BlobStore:
    store = S3BlobStore.from_settings(s3_settings(home, s3_env, cache_max_bytes=cap))
    store.local_cache.min_age_s = min_age_s
    store.local_cache.low_water = 1.0  # trim exactly to the cap (hysteresis: its own test)
    return store


def _blobs(store: S3BlobStore, n: int, seed: int = 0) -> list[str]:
    """``n`` distinct blobs of SIZE bytes put in the content store; their digests."""
    content = ContentStore(store, cache=store.local_cache.root)
    rng = random.Random(seed)
    return [content.put_bytes(rng.randbytes(SIZE)) for _ in range(n)]


def _age(path: Path, seconds_ago: float) -> None:
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_the_setting_has_a_sane_default_and_refuses_a_negative_cap(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    assert BlobSettings().cache_max_bytes == 10 << 30
    with pytest.raises(ValueError):
        BlobSettings(cache_max_bytes=-1)
    store = S3BlobStore.from_settings(s3_settings(tmp_path / "h", s3_env, cache_max_bytes=123))
    assert store.local_cache.max_bytes == 123
    assert store.local_cache.root == tmp_path / "h" / "cache"


def test_the_cap_holds_after_many_reads(tmp_path: Path, s3_env: dict[str, Any]) -> None:
    cap = 3 * SIZE + SIZE // 2  # room for three copies
    store = _store(tmp_path / "h", s3_env, cap)
    content = ContentStore(store, cache=store.local_cache.root)
    digests = _blobs(store, 12)
    for round_ in range(2):
        for d in digests:
            data = content.path(d).read_bytes()
            assert hashlib.sha256(data).hexdigest() == d
            assert store.local_cache.usage() <= cap, (round_, d)
    # local_path copies (cache/objects/...) count against the same cap
    store.put("files/a.bin", b"a" * SIZE)
    assert store.local_path("files/a.bin").read_bytes() == b"a" * SIZE
    assert store.local_cache.usage() <= cap
    kept = [
        p for p in store.local_cache.root.rglob("*") if p.is_file() and not p.name.startswith(".")
    ]
    assert len(kept) == 3


def test_least_recently_used_goes_first_and_a_hit_counts_as_a_use(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    cap = 3 * SIZE
    store = _store(tmp_path / "h", s3_env, cap, min_age_s=60.0)  # the default grace
    content = ContentStore(store, cache=store.local_cache.root)
    a, b, c, d = _blobs(store, 4)
    pa, pb, pc = content.path(a), content.path(b), content.path(c)
    _age(pa, 300)
    _age(pb, 200)
    _age(pc, 100)
    assert content.path(a) == pa  # a hit: a is now the most recently used
    assert pa.stat().st_mtime > time.time() - 30
    content.path(d)  # over the cap by one copy: the least recently used (b) goes
    assert not pb.exists()
    assert pa.exists() and pc.exists() and store.local_cache.usage() == cap
    # a copy removed is fetched again, checked, when it is wanted
    assert hashlib.sha256(content.path(b).read_bytes()).hexdigest() == b
    assert not pc.exists()  # now c was the oldest


def test_copies_used_in_the_last_minute_stay_even_over_the_cap(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    store = _store(tmp_path / "h", s3_env, cap=SIZE, min_age_s=60.0)
    content = ContentStore(store, cache=store.local_cache.root)
    digests = _blobs(store, 3)
    paths = [content.path(d) for d in digests]
    assert all(p.exists() for p in paths)  # all just used: a process may be opening them
    assert store.local_cache.usage() == 3 * SIZE
    for p in paths:
        _age(p, 120)
    content.path(digests[0])  # a hit takes no room: nothing is trimmed
    assert all(p.exists() for p in paths)
    store.put("files/new.bin", b"n" * 10)
    store.local_path("files/new.bin")  # a new copy: the old ones go, the hit one stays
    assert [p.exists() for p in paths] == [True, False, False]


def test_a_reader_keeps_reading_a_copy_trimmed_under_it(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    store = _store(tmp_path / "h", s3_env, cap=0)  # keep nothing beyond what is in use
    content = ContentStore(store, cache=store.local_cache.root)
    a, b = _blobs(store, 2)
    pa = content.path(a)
    with pa.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        head = f.read(100)
        pb = content.path(b)  # cap 0: a's copy is removed while it is open and mapped
        assert not pa.exists() and pb.exists()
        # Linux: the unlinked file stays readable through the descriptor and the map
        assert hashlib.sha256(head + f.read()).hexdigest() == a
        assert hashlib.sha256(bytes(m)).hexdigest() == a
    assert hashlib.sha256(content.path(a).read_bytes()).hexdigest() == a


def test_partial_downloads_and_index_snapshots_are_neither_counted_nor_removed(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    store = _store(tmp_path / "h", s3_env, cap=0)
    content = ContentStore(store, cache=store.local_cache.root)
    (d,) = _blobs(store, 1)
    root = store.local_cache.root
    partial = root / "blobs" / d[:2] / d[2:4] / ".fetch-abc123"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"p" * SIZE)
    snapshot = root / "index" / "snap-1" / "vectors.npy"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(b"s" * SIZE)
    fresh = root / "log-fresh" / "checkpoint"
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b"c")
    for p in (partial, snapshot, fresh):
        _age(p, 3600)
    assert store.local_cache.usage() == 0
    content.path(d)
    assert partial.exists() and snapshot.exists() and fresh.exists()
    assert store.local_cache.usage() == SIZE
    assert not store.local_cache.covers(snapshot) and store.local_cache.covers(partial)


def test_a_full_cache_is_trimmed_to_the_low_water_mark_and_counted_seldom(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    store = _store(tmp_path / "h", s3_env, cap=10 * SIZE)
    store.local_cache.low_water = 0.5
    content = ContentStore(store, cache=store.local_cache.root)
    digests = _blobs(store, 12)
    usage = store.local_cache.root / ".usage"
    for d in digests[:10]:
        content.path(d)
    assert int(usage.read_text()) == store.local_cache.usage() == 10 * SIZE
    content.path(digests[10])  # over: down to half the cap, the new copy included
    assert store.local_cache.usage() == 5 * SIZE == int(usage.read_text())
    # a copy removed behind the cache's back leaves the total too high, never too low:
    # the next count (when the total says full) finds the truth
    next(p for p in store.local_cache.root.rglob("*") if p.name in digests).unlink()
    assert store.local_cache.usage() == 4 * SIZE < int(usage.read_text())
    usage.write_text("torn")  # an unreadable total is counted again
    content.path(digests[11])
    assert int(usage.read_text()) == store.local_cache.usage() == 5 * SIZE


def test_a_cache_outside_the_stores_root_is_left_alone(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "c", 0, min_age_s=0)
    assert not cache.covers(tmp_path / "elsewhere" / "x")
    assert not cache.covers(tmp_path / "c")


def _reader(args: str) -> None:
    """One process of the two-process test: reads every blob, in its own order, several
    times through a store sharing the cache folder, checking each copy's bytes."""
    from pydantic import SecretStr

    from mediaproof.config import Settings

    a = json.loads(args)
    env = {**a["env"], "s3_secret_access_key": SecretStr(a["env"]["s3_secret_access_key"])}
    settings = Settings(home=Path(a["home"]), blob=BlobSettings(**env))
    store = S3BlobStore.from_settings(settings)
    store.local_cache.min_age_s = a["min_age_s"]
    content = ContentStore(store, cache=settings.cache_dir)
    rng = random.Random(a["seed"])
    for _ in range(3):
        order = list(a["digests"])
        rng.shuffle(order)
        for d in order:
            with content.path(d).open("rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == d
            time.sleep(0.05)


def test_two_processes_sharing_the_folder_keep_it_under_the_cap(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    cap = 4 * SIZE
    store = _store(tmp_path / "h", s3_env, cap)
    digests = _blobs(store, 16)
    env = {**s3_env, "cache_max_bytes": cap, "cache_dir": str(tmp_path / "shared-cache")}
    env["s3_secret_access_key"] = s3_server.secret_key
    procs = []
    for seed in (1, 2):
        arg = json.dumps(
            {"env": env, "home": str(tmp_path / f"h{seed}"), "digests": digests,
             "seed": seed, "min_age_s": 0.1}
        )  # fmt: skip
        code = f"from tests.blobs.test_blob_cache_s3 import _reader; _reader({arg!r})"
        path = f"{REPO / 'src'}{os.pathsep}{REPO}"
        cmd = [sys.executable, "-c", code]
        env_vars = {**os.environ, "PYTHONPATH": path}
        procs.append(
            subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True, env=env_vars)
        )
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    shared = BlobCache(tmp_path / "shared-cache", cap, min_age_s=0.1)
    # copies were trimmed while they read (16 blobs would not fit): only those used in
    # the last 0.1 s of the run may be over the cap, and once they age a sweep removes them
    assert shared.usage() < len(digests) * SIZE
    time.sleep(0.2)
    assert shared.sweep() == shared.usage()
    assert 0 < shared.usage() <= cap
    assert not list((tmp_path / "shared-cache").rglob(".fetch-*"))
