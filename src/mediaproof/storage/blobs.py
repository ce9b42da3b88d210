"""Content-addressed blob store on the local file system.

Blobs are named by their SHA-256 and written atomically (temp file, fsync, rename), so a
crash never leaves a partial blob under a real name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from mediaproof.errors import NotFoundError, StorageError


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise StorageError(f"not a SHA-256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put_file(self, src: Path, digest: str | None = None) -> str:
        """Copy ``src`` in; returns its digest. Verifies ``digest`` when given."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        tmp = Path(tmp_name)
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, src.open("rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            actual = h.hexdigest()
            if digest is not None and digest != actual:
                raise StorageError(f"{src} changed while it was being stored")
            dest = self._path(actual)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
            return actual
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        dest = self._path(digest)
        if dest.exists():
            return digest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, dest)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return digest

    def path(self, digest: str) -> Path:
        p = self._path(digest)
        if not p.exists():
            raise NotFoundError(f"blob {digest[:12]}… is not in the store")
        return p

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()

    def copy_to(self, digest: str, dest: Path) -> None:
        shutil.copyfile(self.path(digest), dest)

    def delete(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)
