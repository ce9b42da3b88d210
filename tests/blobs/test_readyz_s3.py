"""/readyz checks the object store with one HEAD request, against the real S3-compatible
server: ready with good credentials, 503 naming the blob store (and nothing about where
it is) with bad ones or none answering."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from mediaproof.services.health import NotReadyError, check_blob_store
from mediaproof.storage.blob_s3 import S3BlobStore
from tests.blobs.conftest import s3_settings


def test_a_reachable_store_is_ready(tmp_path: Path, s3_env: dict[str, Any]) -> None:
    store = S3BlobStore.from_settings(s3_settings(tmp_path, s3_env))
    assert check_blob_store(store) == "s3"


def test_wrong_credentials_are_not_ready(tmp_path: Path, s3_env: dict[str, Any]) -> None:
    bad = s3_settings(tmp_path, s3_env, s3_secret_access_key=SecretStr("wrong" * 8))
    with pytest.raises(NotReadyError, match=r"blob store .* refuses these credentials") as e:
        check_blob_store(S3BlobStore.from_settings(bad))
    assert s3_env["s3_endpoint_url"] not in str(e.value)  # /readyz is public


def test_no_answer_is_not_ready(tmp_path: Path, s3_env: dict[str, Any]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = s3_settings(
        tmp_path, s3_env, s3_endpoint_url=f"http://127.0.0.1:{port}", s3_timeout_s=1.0
    )
    with pytest.raises(NotReadyError, match="blob store"):
        check_blob_store(S3BlobStore.from_settings(gone))
