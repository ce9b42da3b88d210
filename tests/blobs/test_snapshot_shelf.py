"""Snapshot folders in a blob store (storage.blob_snapshots), on both stores: published
whole (manifest, then CURRENT), fetched into a local folder only when every file matches
its digest, older complete snapshots removed, incomplete ones left to their writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mediaproof.errors import BlobStoreError, StorageError
from mediaproof.storage.blob_s3 import S3BlobStore
from mediaproof.storage.blob_snapshots import SnapshotShelf
from mediaproof.storage.blobs import BlobStore, LocalBlobStore
from tests.blobs.conftest import s3_settings


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "store")
    s3_env: dict[str, Any] = request.getfixturevalue("s3_env")
    return S3BlobStore.from_settings(s3_settings(tmp_path / "h", s3_env))


def _folder(root: Path, name: str, files: dict[str, bytes]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    for k, v in files.items():
        (d / k).write_bytes(v)
    return d


def test_publish_fetch_and_replace(store: BlobStore, tmp_path: Path) -> None:
    shelf = SnapshotShelf(store, "index")
    assert shelf.current() is None and shelf.fetch(tmp_path / "cache") is None
    a = _folder(tmp_path / "w", "snap-1", {"a.npy": b"A" * 1000, "meta.json": b"{}"})
    assert shelf.publish(a) == "snap-1" and shelf.current() == "snap-1"
    assert json.loads(store.get("index/snap-1/MANIFEST.json"))["a.npy"]["size"] == 1000

    cache = tmp_path / "cache"
    assert shelf.fetch(cache) == "snap-1"
    assert (cache / "CURRENT").read_text() == "snap-1"
    assert (cache / "snap-1" / "a.npy").read_bytes() == b"A" * 1000
    assert sorted(p.name for p in cache.iterdir()) == ["CURRENT", "snap-1"]  # no temporaries

    # a writer still uploading snap-9 (no manifest yet) keeps its files
    store.put("index/snap-9/a.npy", b"half")
    b = _folder(tmp_path / "w", "snap-2", {"a.npy": b"B" * 10})
    shelf.publish(b)
    assert shelf.names() == ["snap-2"] and not store.exists("index/snap-1/a.npy")
    assert store.exists("index/snap-9/a.npy")
    assert shelf.fetch(cache) == "snap-2"
    assert (cache / "snap-1").is_dir()  # the copy a process may still map stays a while
    c = _folder(tmp_path / "w", "snap-3", {"a.npy": b"C"})
    shelf.publish(c)
    shelf.fetch(cache)
    assert sorted(p.name for p in cache.iterdir()) == ["CURRENT", "snap-2", "snap-3"]


def test_a_file_that_does_not_match_its_manifest_is_not_fetched(
    store: BlobStore, tmp_path: Path
) -> None:
    shelf = SnapshotShelf(store)
    shelf.publish(_folder(tmp_path / "w", "snap-1", {"a.npy": b"A" * 100, "b.npy": b"B"}))
    store.put("index/snap-1/b.npy", b"X")  # altered in the store
    with pytest.raises(BlobStoreError, match="corrupt"):
        shelf.fetch(tmp_path / "cache")
    assert not (tmp_path / "cache" / "snap-1").exists()
    assert not (tmp_path / "cache" / "CURRENT").exists()
    assert [p for p in (tmp_path / "cache").iterdir()] == []  # no half-fetched folder


def test_current_naming_an_incomplete_snapshot_is_an_error(
    store: BlobStore, tmp_path: Path
) -> None:
    store.put("index/CURRENT", b"snap-7")
    store.put("index/snap-7/a.npy", b"A")
    with pytest.raises(BlobStoreError, match="incomplete"):
        SnapshotShelf(store).fetch(tmp_path / "cache")
    store.put("index/CURRENT", b"../../etc")
    with pytest.raises(StorageError, match="not a valid blob key"):
        SnapshotShelf(store).fetch(tmp_path / "cache")
