"""The blob store contract (mediaproof.testing.blob_contract) on both stores: the
instance folder and a real S3-compatible server (SeaweedFS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediaproof.storage.blob_s3 import S3BlobStore
from mediaproof.storage.blobs import BlobStore, LocalBlobStore
from mediaproof.testing.blob_contract import BlobStoreContract
from tests.blobs.conftest import s3_settings


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> BlobStore:
        return LocalBlobStore(tmp_path / "home", max_bytes=64 * 1024 * 1024)


class TestS3BlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path, s3_env: dict[str, Any]) -> BlobStore:
        return S3BlobStore.from_settings(s3_settings(tmp_path / "home", s3_env))
