"""Choosing the store, and what each one does when things go wrong: the local folder is
the default and contacts nothing; a misconfigured or unreachable object store is a clear
error that names no secret; large files go up as one multipart upload."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from mediaproof.config import Settings
from mediaproof.config_cluster import BlobSettings
from mediaproof.errors import BlobStoreError, ConfigError, StorageError
from mediaproof.services.instance import Instance
from mediaproof.storage.blob_s3 import S3BlobStore
from mediaproof.storage.blobs import ContentStore, LocalBlobStore, open_blob_store
from tests.blobs.conftest import S3Server, s3_settings


def test_default_is_the_instance_folder_with_the_old_layout(tmp_path: Path) -> None:
    inst = Instance(Settings(home=tmp_path / "h"))
    try:
        assert isinstance(inst.blob_store, LocalBlobStore)
        assert inst.blob_store.root == tmp_path / "h"
        sha = inst.blobs.put_bytes(b"kept")
        assert (tmp_path / "h" / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == b"kept"
        assert inst.blobs.path(sha) == tmp_path / "h" / "blobs" / sha[:2] / sha[2:4] / sha
        assert inst.blobs.root == tmp_path / "h" / "blobs"
    finally:
        inst.close()


@pytest.mark.parametrize(
    "value",
    ["http://bucket/x", "s3://", "s3://UPPER", "s3://b", "s3://bucket/../x", "s3://bk?x=1"],
)
def test_bad_store_settings_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        BlobSettings(store=value)


@pytest.mark.parametrize("value", [None, "", "local", "file"])
def test_unset_store_means_the_folder(value: str | None, tmp_path: Path) -> None:
    s = Settings(home=tmp_path, blob=BlobSettings(store=value))
    assert s.blob.store is None and isinstance(open_blob_store(s), LocalBlobStore)


def test_store_url_and_endpoint_are_parsed() -> None:
    b = BlobSettings(store="s3://my-bucket/a/b/", s3_endpoint_url="http://127.0.0.1:9000/")
    assert (b.bucket, b.prefix, b.s3_endpoint_url) == ("my-bucket", "a/b", "http://127.0.0.1:9000")
    with pytest.raises(ValidationError):
        BlobSettings(s3_endpoint_url="http://key:secret@host")
    with pytest.raises(ValidationError):
        BlobSettings(s3_endpoint_url="ftp://host")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAPROOF_BLOB_STORE", "s3://env-bucket/pre")
    monkeypatch.setenv("MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY", "not-printed")
    s = Settings()
    assert s.blob.bucket == "env-bucket" and s.blob.prefix == "pre"
    assert "not-printed" not in repr(s)


def test_a_key_without_its_secret_is_a_config_error(tmp_path: Path) -> None:
    s = Settings(home=tmp_path, blob=BlobSettings(store="s3://bkt", s3_access_key_id="id"))
    with pytest.raises(ConfigError, match="SECRET_ACCESS_KEY"):
        open_blob_store(s)


def test_wrong_credentials_are_a_blob_store_error_without_the_secret(
    tmp_path: Path, s3_env: dict[str, Any]
) -> None:
    wrong = "wrong-" + os.urandom(8).hex()
    store = S3BlobStore.from_settings(
        s3_settings(tmp_path, s3_env, s3_secret_access_key=SecretStr(wrong))
    )
    for call in (lambda: store.put("k", b"x"), lambda: store.get("k"), lambda: store.exists("k")):
        with pytest.raises(BlobStoreError) as e:
            call()
        assert wrong not in str(e.value) and e.value.http_status == 503
        assert s3_env["s3_access_key_id"] not in str(e.value)


def test_an_unreachable_store_is_a_blob_store_error(tmp_path: Path, s3_env: dict[str, Any]) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = S3BlobStore.from_settings(
        s3_settings(tmp_path, s3_env, s3_endpoint_url=f"http://127.0.0.1:{port}", s3_timeout_s=2)
    )
    with pytest.raises(BlobStoreError, match="failed"):
        store.put("k", b"x")
    with pytest.raises(BlobStoreError):
        store.exists("k")
    with pytest.raises(BlobStoreError):
        list(store.list(""))


def test_large_files_go_as_one_multipart_upload(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    store = S3BlobStore.from_settings(s3_settings(tmp_path / "h", s3_env))
    data = os.urandom(12 * 1024 * 1024 + 5)  # three parts of 5 MiB
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    content = ContentStore(store, cache=tmp_path / "cache")
    assert content.put_file(src, digest) == digest
    bucket, _, prefix = s3_env["store"].removeprefix("s3://").partition("/")
    head = s3_server.client().head_object(Bucket=bucket, Key=f"{prefix}/{content.key(digest)}")
    assert head["ContentLength"] == len(data) and head["ETag"].strip('"').endswith("-3")
    assert content.path(digest).read_bytes() == data
    # a file that changes under a multipart upload is not kept under its digest
    other = tmp_path / "other.bin"
    other.write_bytes(data[:-1] + b"!")
    with pytest.raises(StorageError, match="changed while"):
        content.put_file(other, hashlib.sha256(data[:-1] + b"?").hexdigest())
    assert sorted(store.list("blobs/")) == [content.key(digest)]


def test_an_unwritable_folder_is_a_blob_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    store = LocalBlobStore(tmp_path / "file")  # a file where the folder should be
    with pytest.raises(BlobStoreError, match="cannot write"):
        store.put("a/b", b"x")
