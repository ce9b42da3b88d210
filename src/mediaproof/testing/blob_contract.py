"""Contract tests every BlobStore inherits, shipped so a new store (another object store
client, a cluster file system) runs the whole suite in its own tests::

    from mediaproof.testing.blob_contract import BlobStoreContract

    class TestMyStore(BlobStoreContract):
        @pytest.fixture
        def store(self, tmp_path): return MyStore(...)   # empty, max_bytes >= 8 MiB

The checks: bytes and files round-trip (also through the read stream and a local
path); a write replaces the blob whole, and a reader never sees part of one; a file
whose digest is not the one promised is refused and not kept; a blob over the size
limit is refused and nothing is written; a missing key is BlobNotFoundError on every
read; deleting is idempotent; listing is by prefix, sorted, and shows no temporary
files; a key that could escape (``..``, absolute, hidden) is refused.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from mediaproof.errors import BlobNotFoundError, BlobTooLargeError, StorageError
from mediaproof.storage.blobs import BlobStore

BAD_KEYS = ("", "/abs", "a//b", "../up", "a/../b", ".hidden", "a/.tmp", "a/b/", "sp ace", "a\\b")


class BlobStoreContract:
    def test_is_a_blob_store(self, store: BlobStore) -> None:
        assert isinstance(store, BlobStore)
        assert store.max_bytes > 0 and store.describe()

    def test_bytes_round_trip(self, store: BlobStore) -> None:
        store.put("a/b/one", b"hello")
        assert store.exists("a/b/one")
        assert store.get("a/b/one") == b"hello"
        assert store.size("a/b/one") == 5
        store.put("a/b/one", b"replaced, longer")
        assert store.get("a/b/one") == b"replaced, longer"
        store.put("empty", b"")
        assert store.get("empty") == b"" and store.size("empty") == 0

    def test_file_round_trip_stream_and_local_path(self, store: BlobStore, tmp_path: Path) -> None:
        data = os.urandom(3 * 1024 * 1024 + 17)  # several chunks of every stream
        src = tmp_path / "src.bin"
        src.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        store.put_file("files/x.bin", src, sha256=digest)
        with store.open("files/x.bin") as f:
            parts = []
            while chunk := f.read(100_000):
                parts.append(chunk)
        assert b"".join(parts) == data
        local = store.local_path("files/x.bin", sha256=digest)
        assert local.read_bytes() == data
        store.put_file("files/y.bin", src)  # no digest promised: stored as read
        assert store.get("files/y.bin") == data

    def test_a_file_that_is_not_what_was_promised_is_not_kept(
        self, store: BlobStore, tmp_path: Path
    ) -> None:
        src = tmp_path / "src.bin"
        src.write_bytes(b"what is really there")
        with pytest.raises(StorageError):
            store.put_file("files/promised", src, sha256="0" * 64)
        assert not store.exists("files/promised")
        assert list(store.list("files/")) == []

    def test_missing_keys(self, store: BlobStore, tmp_path: Path) -> None:
        assert not store.exists("no/such")
        with pytest.raises(BlobNotFoundError):
            store.get("no/such")
        with pytest.raises(BlobNotFoundError):
            store.open("no/such")
        with pytest.raises(BlobNotFoundError):
            store.size("no/such")
        with pytest.raises(BlobNotFoundError):
            store.local_path("no/such")
        with pytest.raises(StorageError):
            store.put_file("no/file", tmp_path / "absent")
        store.delete("no/such")  # idempotent

    def test_delete(self, store: BlobStore) -> None:
        store.put("d/1", b"x")
        store.put("d/2", b"y")
        store.delete("d/1")
        store.delete("d/1")
        assert not store.exists("d/1") and store.get("d/2") == b"y"
        with pytest.raises(BlobNotFoundError):
            store.get("d/1")
        assert list(store.list("d/")) == ["d/2"]

    def test_list_by_prefix(self, store: BlobStore) -> None:
        keys = ["idx/b/2", "idx/a/1", "idx/a/10", "idxx/3", "other/4", "idx/CURRENT"]
        for k in keys:
            store.put(k, k.encode())
        assert list(store.list("idx/")) == sorted(["idx/b/2", "idx/a/1", "idx/a/10", "idx/CURRENT"])
        assert list(store.list("idx/a/1")) == ["idx/a/1", "idx/a/10"]
        assert list(store.list("idx")) == sorted(k for k in keys if k.startswith("idx"))
        assert list(store.list("nothing/")) == []
        assert set(keys) <= set(store.list(""))

    @pytest.mark.parametrize("key", BAD_KEYS)
    def test_keys_that_could_escape_are_refused(self, store: BlobStore, key: str) -> None:
        with pytest.raises(StorageError):
            store.put(key, b"x")
        with pytest.raises(StorageError):
            store.get(key)
        with pytest.raises(StorageError):
            store.exists(key)

    def test_size_limit(self, store: BlobStore, tmp_path: Path) -> None:
        limit = store.max_bytes
        store.max_bytes = 1000
        try:
            with pytest.raises(BlobTooLargeError):
                store.put("big/bytes", b"x" * 1001)
            src = tmp_path / "big.bin"
            src.write_bytes(b"y" * 1001)
            with pytest.raises(BlobTooLargeError):
                store.put_file("big/file", src)
            store.put("big/ok", b"z" * 1000)
        finally:
            store.max_bytes = limit
        assert not store.exists("big/bytes") and not store.exists("big/file")
        assert list(store.list("big/")) == ["big/ok"]

    def test_readers_never_see_part_of_a_blob(self, store: BlobStore) -> None:
        """One writer replaces a blob over and over with whole versions of one byte each;
        every read, through get and through the stream, is one whole version."""
        size = 256 * 1024
        versions = [bytes([v]) * size for v in range(8)]
        store.put("race/blob", versions[0])
        stop = threading.Event()
        errors: list[BaseException] = []

        def write() -> None:
            try:
                i = 0
                while not stop.is_set():
                    i += 1
                    store.put("race/blob", versions[i % len(versions)])
            except BaseException as e:  # reported below
                errors.append(e)

        t = threading.Thread(target=write)
        t.start()
        try:
            for n in range(40):
                if n % 2:
                    got = store.get("race/blob")
                else:
                    with store.open("race/blob") as f:
                        got = f.read()
                assert got in versions, f"read {len(got)} bytes of mixed versions"
        finally:
            stop.set()
            t.join()
        assert not errors, errors
        assert list(store.list("race/")) == ["race/blob"]  # no temporary files left
