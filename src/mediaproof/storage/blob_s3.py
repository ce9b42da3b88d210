"""Blobs in any S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW), via boto3.

Configured by ``MEDIAPROOF_BLOB_STORE=s3://bucket/prefix`` and the ``MEDIAPROOF_BLOB_S3_*``
settings (docs/deploy.md); needs the ``s3`` extra. An object appears whole or not at
all: small blobs go in one PUT, files over ``s3_multipart_bytes`` in a multipart upload
that the store assembles only when it is completed (an aborted one leaves nothing under
the key). Every failure of the store surfaces as BlobStoreError, a missing key as
BlobNotFoundError; messages name the bucket and key, never a credential.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mediaproof.errors import BlobNotFoundError, BlobStoreError, ConfigError, StorageError
from mediaproof.storage.blob_cache import BlobCache
from mediaproof.storage.blobs import (
    CHUNK,
    DEFAULT_MAX_BYTES,
    _check_size,
    check_key,
    check_prefix,
    fetch_into_cache,
)

if TYPE_CHECKING:
    from mediaproof.config import Settings

log = logging.getLogger(__name__)

_MISSING = {"404", "NoSuchKey", "NotFound"}


class _HashingReader(io.RawIOBase):
    """A file read once for an upload, hashed and counted on the way."""

    def __init__(self, f: IO[bytes], limit: int) -> None:
        self._f = f
        self._limit = limit
        self.sha = hashlib.sha256()
        self.n = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._f.read(len(b))
        self.n += len(data)
        if self.n > self._limit:
            raise _TooLarge
        self.sha.update(data)
        b[: len(data)] = data
        return len(data)


class _TooLarge(Exception):
    pass


class _BodyStream(io.RawIOBase):
    """A GET's streaming body as a file; errors of the store become BlobStoreError."""

    def __init__(self, body: Any, key: str) -> None:
        self._body = body
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            data = self._body.read(len(b))
        except Exception as e:  # botocore/urllib3 read errors, timeouts
            raise BlobStoreError(f"reading blob {self._key} failed: {type(e).__name__}") from e
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3BlobStore:
    """Blobs as objects ``<prefix>/<key>`` in one bucket. ``cache``: local folder for
    :meth:`local_path` copies. ``local_cache``: the size-capped cache that folder is part
    of (every copy fetched for this store under its root counts against its cap; by
    default the cache folder alone, with the default cap)."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        cache: Path,
        max_bytes: int = DEFAULT_MAX_BYTES,
        multipart_bytes: int = 64 << 20,
        endpoint: str | None = None,
        local_cache: BlobCache | None = None,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.cache = cache
        self.max_bytes = max_bytes
        self.multipart_bytes = multipart_bytes
        self._endpoint = endpoint
        self.local_cache = local_cache if local_cache is not None else BlobCache(cache)

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        cfg = settings.blob
        assert cfg.bucket is not None
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:
            raise ConfigError(
                "MEDIAPROOF_BLOB_STORE names an S3 store but boto3 is not installed",
                hint="pip install 'mediaproof[s3]'",
            ) from e
        style = cfg.s3_addressing_style
        if style == "auto" and cfg.s3_endpoint_url:
            style = "path"  # self-hosted stores rarely serve bucket host names
        config = Config(
            region_name=cfg.s3_region,
            s3={"addressing_style": style},
            connect_timeout=cfg.s3_timeout_s,
            read_timeout=cfg.s3_timeout_s,
            retries={"max_attempts": 4, "mode": "standard"},
            # checksums only when an operation needs one: not every S3-compatible
            # store accepts the newer trailing checksums
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        creds: dict[str, str] = {}
        if cfg.s3_access_key_id:
            if cfg.s3_secret_access_key is None:
                raise ConfigError(
                    "MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID is set without "
                    "MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY"
                )
            creds = {
                "aws_access_key_id": cfg.s3_access_key_id,
                "aws_secret_access_key": cfg.s3_secret_access_key.get_secret_value(),
            }
        session = boto3.session.Session()
        client = session.client("s3", endpoint_url=cfg.s3_endpoint_url, config=config, **creds)
        return cls(
            client, cfg.bucket, cfg.prefix, cache=settings.cache_dir / "objects",
            max_bytes=cfg.max_bytes, multipart_bytes=cfg.s3_multipart_bytes,
            endpoint=cfg.s3_endpoint_url,
            local_cache=BlobCache(settings.cache_dir, cfg.cache_max_bytes),
        )  # fmt: skip

    def describe(self) -> str:
        where = f" at {self._endpoint}" if self._endpoint else ""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/") + where

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, e: Exception, what: str, key: str) -> StorageError:
        code = _error_code(e)
        if code in _MISSING:
            return BlobNotFoundError(f"blob {key} is not in the store")
        detail = code or type(e).__name__
        return BlobStoreError(
            f"{what} blob {key} in s3://{self.bucket} failed: {detail}",
            hint="check MEDIAPROOF_BLOB_STORE, the endpoint and the credentials",
        )

    # --- writes ---------------------------------------------------------------------

    def put(self, key: str, data: bytes) -> None:
        _check_size(self, key, len(data))
        try:
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except Exception as e:
            raise self._fail(e, "writing", key) from e

    def put_file(self, key: str, src: Path, *, sha256: str | None = None) -> None:
        try:
            size = src.stat().st_size
        except FileNotFoundError as e:
            raise StorageError(f"cannot store {src.name}: it does not exist") from e
        _check_size(self, key, size)
        from boto3.s3.transfer import TransferConfig

        cfg = TransferConfig(
            multipart_threshold=self.multipart_bytes, multipart_chunksize=self.multipart_bytes,
            max_concurrency=4, use_threads=True,
        )  # fmt: skip
        full = self._key(key)
        with src.open("rb") as f:
            reader = _HashingReader(f, self.max_bytes)
            try:
                # one reader, read in order: the transfer manager reads parts one after
                # another from a non-seekable stream and sends them concurrently
                self._client.upload_fileobj(
                    io.BufferedReader(reader, CHUNK), self.bucket, full, Config=cfg
                )
            except _TooLarge as e:
                raise _too_large(key, self.max_bytes) from e
            except Exception as e:
                if isinstance(e.__context__, _TooLarge) or _caused_by(e, _TooLarge):
                    raise _too_large(key, self.max_bytes) from e
                raise self._fail(e, "writing", key) from e
        if sha256 is not None and reader.sha.hexdigest() != sha256:
            self.delete(key)  # what was sent is not what was asked for
            raise StorageError(f"{src} changed while it was being stored")

    # --- reads ----------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> IO[bytes]:
        try:
            got = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as e:
            raise self._fail(e, "reading", key) from e
        if int(got.get("ContentLength", 0)) > self.max_bytes:
            got["Body"].close()
            raise _too_large(key, self.max_bytes)
        return io.BufferedReader(_BodyStream(got["Body"], key), CHUNK)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as e:
            err = self._fail(e, "looking up", key)
            if isinstance(err, BlobNotFoundError):
                return None
            raise err from e
        return head

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFoundError(f"blob {key} is not in the store")
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as e:
            err = self._fail(e, "deleting", key)
            if not isinstance(err, BlobNotFoundError):
                raise err from e

    def list(self, prefix: str = "") -> Iterator[str]:
        check_prefix(prefix)
        root = f"{self.prefix}/" if self.prefix else ""
        full, strip = root + prefix, len(root)
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    yield obj["Key"][strip:]
        except Exception as e:
            raise self._fail(e, "listing", prefix or "/") from e

    def local_path(self, key: str, *, sha256: str | None = None) -> Path:
        dest = self.cache.joinpath(*check_key(key).split("/"))
        return fetch_into_cache(self, key, dest, sha256)


def _error_code(e: Exception) -> str | None:
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def _caused_by(e: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, kind):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def _too_large(key: str, limit: int) -> StorageError:
    from mediaproof.errors import BlobTooLargeError

    return BlobTooLargeError(
        f"blob {key} is over the store's limit of {limit} bytes",
        hint="raise MEDIAPROOF_BLOB_MAX_BYTES if this is expected",
    )
