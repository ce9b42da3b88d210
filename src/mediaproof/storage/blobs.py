"""Blobs: the one interface for the bytes an instance keeps, and its local folder store.

:class:`BlobStore` is what every writer of bytes uses (registered originals, notice
uploads, previews, fingerprint index snapshots): put, get, a read stream, exists,
delete and a listing by prefix, keyed by ``/``-separated names such as
``blobs/ab/cd/<sha256>`` or ``index/CURRENT``. Two implementations:

- :class:`LocalBlobStore` (the default): a folder, the instance home, so every key is
  the file's path under it and the layout is what it always was. A write goes to a
  temporary file beside its destination, is fsynced and renamed over it
  (``os.replace``), so a crash never leaves a partial blob under a real name.
- :class:`mediaproof.storage.blob_s3.S3BlobStore`: any S3-compatible object store
  (``MEDIAPROOF_BLOB_STORE=s3://bucket/prefix``); an object appears whole or not at all
  (one PUT, or a multipart upload completed at the end).

To write a store, implement :class:`BlobStore` and subclass
``mediaproof.testing.blob_contract.BlobStoreContract`` in a test: it runs the whole
contract (atomicity, limits, errors, listing) against the new store.

:class:`ContentStore` keeps content-addressed blobs (named by their SHA-256) on top of
any store; ``local_path`` hands code that must read a file in place (decoders, memory
maps) the file itself, or for a remote store a copy in a local cache whose digest was
checked when it was fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, runtime_checkable

from mediaproof.errors import (
    BlobNotFoundError,
    BlobStoreError,
    BlobTooLargeError,
    StorageError,
)
from mediaproof.storage.blob_cache import BlobCache

if TYPE_CHECKING:
    from mediaproof.config import Settings

CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 64 << 30
_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")  # no "..", no hidden names


def check_key(key: str) -> str:
    """A key is 1-16 ``/``-separated segments of letters, digits, ``._-``; none starts
    with a dot (so no ``..`` and no hidden temporary files). Raises StorageError."""
    parts = key.split("/")
    if not 1 <= len(parts) <= 16 or not all(_SEGMENT.match(p) for p in parts):
        raise StorageError(f"not a valid blob key: {key[:80]!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key, optionally ending in ``/``."""
    if prefix:
        check_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


@runtime_checkable
class BlobStore(Protocol):
    """Bytes by key. Writes are atomic (a reader sees the old blob, the new one, or
    none, never part of one); a missing key raises BlobNotFoundError; a store that
    fails raises BlobStoreError; a blob over ``max_bytes`` raises BlobTooLargeError
    and nothing is written. Keys are checked by :func:`check_key`."""

    max_bytes: int

    def describe(self) -> str:
        """Where the blobs are, for logs and health checks (never a secret)."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing what was there)."""
        ...

    def put_file(self, key: str, src: Path, *, sha256: str | None = None) -> None:
        """Store a file's bytes; with ``sha256``, the bytes stored must have that digest
        (a file that changed while it was read raises StorageError, nothing is kept)."""
        ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> IO[bytes]:
        """A stream of the blob's bytes (close it, or use it as a context manager)."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing one is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys that start with ``prefix``, in lexicographic order."""
        ...

    def local_path(self, key: str, *, sha256: str | None = None) -> Path:
        """A local file holding the blob, to be read in place (decoded, memory-mapped):
        the blob's own file for a local store; for a remote one a copy in the local
        cache, fetched once (atomically) and, with ``sha256``, checked against it."""
        ...


def _check_size(store: BlobStore, key: str, size: int) -> None:
    if size > store.max_bytes:
        raise BlobTooLargeError(
            f"blob {key} is {size} bytes, over the store's limit of {store.max_bytes}",
            hint="raise MEDIAPROOF_BLOB_MAX_BYTES if this is expected",
        )


def _copy_hashing(src: IO[bytes], out: IO[bytes], key: str, limit: int) -> str:
    """Copy a stream, returning its SHA-256; stops at ``limit`` bytes."""
    h = hashlib.sha256()
    n = 0
    while chunk := src.read(CHUNK):
        n += len(chunk)
        if n > limit:
            raise BlobTooLargeError(
                f"blob {key} grew over the store's limit of {limit} bytes while it was read",
                hint="raise MEDIAPROOF_BLOB_MAX_BYTES if this is expected",
            )
        h.update(chunk)
        out.write(chunk)
    return h.hexdigest()


class LocalBlobStore:
    """Blobs as files under ``root`` (the instance home by default): key = relative path."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def describe(self) -> str:
        return f"folder {self.root}"

    def path_of(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _atomic(self, key: str) -> tuple[Path, int, Path]:
        dest = self.path_of(key)
        try:
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        except OSError as e:
            raise BlobStoreError(f"cannot write blob {key}: {e.strerror}") from e
        return dest, fd, Path(tmp)

    def put(self, key: str, data: bytes) -> None:
        _check_size(self, key, len(data))
        dest, fd, tmp = self._atomic(key)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except OSError as e:
            raise BlobStoreError(f"cannot write blob {key}: {e.strerror}") from e
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, key: str, src: Path, *, sha256: str | None = None) -> None:
        try:
            _check_size(self, key, src.stat().st_size)
        except FileNotFoundError as e:
            raise StorageError(f"cannot store {src.name}: it does not exist") from e
        dest, fd, tmp = self._atomic(key)
        try:
            with os.fdopen(fd, "wb") as out, src.open("rb") as f:
                actual = _copy_hashing(f, out, key, self.max_bytes)
                out.flush()
                os.fsync(out.fileno())
            if sha256 is not None and sha256 != actual:
                raise StorageError(f"{src} changed while it was being stored")
            os.replace(tmp, dest)
        except OSError as e:
            raise BlobStoreError(f"cannot write blob {key}: {e.strerror}") from e
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> IO[bytes]:
        p = self.path_of(key)
        try:
            return p.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
            raise BlobNotFoundError(f"blob {key} is not in the store") from e
        except OSError as e:
            raise BlobStoreError(f"cannot read blob {key}: {e.strerror}") from e

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def size(self, key: str) -> int:
        p = self.path_of(key)
        if not p.is_file():
            raise BlobNotFoundError(f"blob {key} is not in the store")
        return p.stat().st_size

    def delete(self, key: str) -> None:
        try:
            self.path_of(key).unlink(missing_ok=True)
        except IsADirectoryError:
            pass  # a "folder" of keys is not a blob
        except OSError as e:
            raise BlobStoreError(f"cannot delete blob {key}: {e.strerror}") from e

    def list(self, prefix: str = "") -> Iterator[str]:
        check_prefix(prefix)
        # walk only the folder the prefix names (``index/fp`` walks ``index``)
        head = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self.root.joinpath(*head.split("/")) if head else self.root
        if not base.is_dir():
            return
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                key = name if rel == "." else f"{rel}/{name}"
                if not name.startswith(".") and key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def local_path(self, key: str, *, sha256: str | None = None) -> Path:
        p = self.path_of(key)
        if not p.is_file():
            raise BlobNotFoundError(f"blob {key} is not in the store")
        return p


def fetch_into_cache(store: BlobStore, key: str, dest: Path, sha256: str | None) -> Path:
    """Copy a blob to ``dest`` atomically (temp + rename), checking ``sha256`` when
    given; a copy already there is used as is (blobs named by content never change).
    When the store keeps a bounded cache (``local_cache``, storage/blob_cache.py) that
    covers ``dest``, a hit marks the copy used and a new copy makes room first."""
    cache = getattr(store, "local_cache", None)
    if not (isinstance(cache, BlobCache) and cache.covers(dest)):
        cache = None
    if dest.is_file() and (cache is None or cache.touch(dest)):
        return dest
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".fetch-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, store.open(key) as src:
            actual = _copy_hashing(src, out, key, store.max_bytes)
        if sha256 is not None and actual != sha256:
            raise BlobStoreError(
                f"blob {key} is corrupt in the store (its digest is {actual[:12]}…, "
                f"not {sha256[:12]}…)"
            )
        if cache is not None:
            cache.admit(tmp, dest)
        else:
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


# --- content-addressed blobs ----------------------------------------------------------


def _digest_key(namespace: str, digest: str) -> str:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise StorageError(f"not a SHA-256 hex digest: {digest!r}")
    return f"{namespace}/{digest[:2]}/{digest[2:4]}/{digest}"


class ContentStore:
    """Blobs named by their SHA-256 under ``namespace/ab/cd/<digest>`` of a store
    (registered originals, signed copies, notice media). On the local store this is
    ``<home>/blobs/``, as it always was."""

    def __init__(self, store: BlobStore, namespace: str = "blobs", *, cache: Path | None = None):
        self.store = store
        self.namespace = check_key(namespace)
        if isinstance(store, LocalBlobStore):
            self.root = store.path_of(namespace)
        else:  # where local copies of remote blobs are kept
            self.root = (cache or Path(tempfile.gettempdir()) / "mediaproof-cache") / namespace
        self._local = isinstance(store, LocalBlobStore)

    def key(self, digest: str) -> str:
        return _digest_key(self.namespace, digest)

    def put_file(self, src: Path, digest: str | None = None) -> str:
        """Copy ``src`` in; returns its digest. Verifies ``digest`` when given."""
        actual = digest if digest is not None else file_sha256(src)
        key = self.key(actual)
        if not self._local and self.store.exists(key):  # same name, same bytes: not sent
            if digest is not None and file_sha256(src) != digest:
                raise StorageError(f"{src} changed while it was being stored")
            return actual
        self.store.put_file(key, src, sha256=actual)
        return actual

    def put_bytes(self, data: bytes, digest: str | None = None) -> str:
        """Store ``data``; returns its digest. ``digest``: its SHA-256, computed by the
        caller from these very bytes (``bytes`` cannot change), not computed again."""
        digest = digest if digest is not None else hashlib.sha256(data).hexdigest()
        key = self.key(digest)
        if not self.store.exists(key):
            self.store.put(key, data)
        return digest

    def path(self, digest: str) -> Path:
        """A local file with the blob's bytes (a checked cached copy for a remote store);
        BlobNotFoundError when it is not kept."""
        key = self.key(digest)
        try:
            if self._local:
                return self.store.local_path(key)
            local = self.root / digest[:2] / digest[2:4] / digest
            # deleted from the store (by this box or another: a retention sweep), the
            # cached copy goes too, so it is never served after the blob is gone
            if not self.store.exists(key):
                local.unlink(missing_ok=True)
                raise BlobNotFoundError(f"blob {digest[:12]}… is not in the store")
            return fetch_into_cache(self.store, key, local, digest)
        except BlobNotFoundError as e:
            raise BlobNotFoundError(f"blob {digest[:12]}… is not in the store") from e

    def exists(self, digest: str) -> bool:
        return self.store.exists(self.key(digest))

    def open(self, digest: str) -> IO[bytes]:
        return self.store.open(self.key(digest))

    def copy_to(self, digest: str, dest: Path) -> None:
        if self._local:
            shutil.copyfile(self.path(digest), dest)
            return
        with self.store.open(self.key(digest)) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)

    def delete(self, digest: str) -> None:
        key = self.key(digest)
        self.store.delete(key)
        if not self._local:
            with contextlib.suppress(FileNotFoundError):
                (self.root / digest[:2] / digest[2:4] / digest).unlink()


def open_blob_store(settings: Settings) -> BlobStore:
    """The store the settings name: the instance folder unless ``MEDIAPROOF_BLOB_STORE``
    names an object store (only then is anything contacted)."""
    cfg = settings.blob
    if cfg.store is None:
        return LocalBlobStore(settings.home, max_bytes=cfg.max_bytes)
    from mediaproof.storage.blob_s3 import S3BlobStore

    return S3BlobStore.from_settings(settings)
