"""The local cache of an object store's blobs, kept under a size cap (issue #20).

Code that decodes or memory-maps a blob needs a file; with an object store that file is a
copy in the cache folder (``MEDIAPROOF_BLOB_CACHE_DIR``). :class:`BlobCache` keeps the
folder under ``MEDIAPROOF_BLOB_CACHE_MAX_BYTES``: before a new copy is renamed into place,
the least recently used copies are removed until the new one fits.

- "Recently used" is the file's mtime, which this module sets itself on every hit
  (:meth:`BlobCache.touch`) and on every admission: atime is not relied on (``noatime``
  and ``relatime`` mounts do not keep it).
- A copy used in the last ``min_age_s`` seconds (default 60) is never removed, even when
  that leaves the folder over the cap for a while: a process that was just handed a path
  (this one or another sharing the folder) gets to open it. The copy being admitted is
  the current use and is always kept, so a cap of 0 keeps only what is in use.
- Removing a copy that a reader holds open or memory-mapped is safe on Linux (and any
  POSIX system): ``unlink`` removes the name, the inode and its bytes stay readable
  through every open descriptor and mapping until the last one is closed. The space comes
  back then, not at the unlink.
- Temporary files (names starting with ``.``: the ``.fetch-*`` partial downloads and the
  lock file) are never counted and never removed: they belong to a fetch under way.
- Trimming and the rename that follows hold an exclusive ``flock`` on ``<root>/.lock``,
  so two processes sharing the folder do not both count the same free space. Hits take
  no lock: a hit whose file was trimmed meanwhile is fetched again.
- ``index/`` (fingerprint index snapshots, replaced whole by their own code) and
  ``log-fresh/`` (mutable log files, fetched fresh each time) are not part of the cache
  and are never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

GiB = 1 << 30
DEFAULT_CACHE_MAX_BYTES = 10 * GiB
RESERVED = frozenset({"index", "log-fresh"})  # under the cache folder, managed elsewhere
_LOCK = ".lock"


class BlobCache:
    """A cache folder kept under ``max_bytes`` by removing least recently used copies."""

    def __init__(
        self, root: Path, max_bytes: int = DEFAULT_CACHE_MAX_BYTES, *, min_age_s: float = 60.0
    ) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be 0 or more")
        self.root = root
        self.max_bytes = max_bytes
        self.min_age_s = min_age_s

    def covers(self, path: Path) -> bool:
        """Whether ``path`` is a copy this cache keeps (under root, outside RESERVED)."""
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return False
        return bool(rel.parts) and rel.parts[0] not in RESERVED

    def touch(self, path: Path) -> bool:
        """Mark a cached copy as used now; False when it is gone (trimmed meanwhile)."""
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        return True

    def admit(self, tmp: Path, dest: Path) -> None:
        """Rename the finished download ``tmp`` to ``dest``, first removing the least
        recently used copies until the cache, ``dest`` included, fits under the cap."""
        size = tmp.stat().st_size
        with self._locked():
            self.trim(reserve=size, keep=dest)
            os.replace(tmp, dest)
            os.utime(dest)

    def sweep(self) -> int:
        """Trim to the cap now, under the lock; returns the bytes removed."""
        with self._locked():
            return self.trim()

    def trim(self, reserve: int = 0, keep: Path | None = None) -> int:
        """Remove least recently used copies until they total at most
        ``max_bytes - reserve``; returns the bytes removed. Copies used in the last
        ``min_age_s`` seconds and ``keep`` stay. Call with the lock held (admit does)."""
        entries = sorted(e for e in self._entries() if e[2] != keep)
        excess = sum(e[1] for e in entries) + reserve - self.max_bytes
        freed = 0
        now = time.time()
        for mtime, size, path in entries:
            if excess <= 0 or now - mtime < self.min_age_s:
                break  # sorted oldest first: every later one is newer still
            # a reader holding this file open or mapped keeps reading it: unlink only
            # removes the name (see the module docstring)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                freed += size
            excess -= size
        return freed

    def usage(self) -> int:
        """Bytes held by finished copies (temporary files not counted)."""
        return sum(e[1] for e in self._entries())

    def _entries(self) -> Iterator[tuple[float, int, Path]]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            top = Path(dirpath) == self.root
            dirnames[:] = [
                d for d in dirnames if not d.startswith(".") and not (top and d in RESERVED)
            ]
            for name in filenames:
                if name.startswith("."):  # a fetch under way, or the lock
                    continue
                path = Path(dirpath, name)
                try:
                    st = path.lstat()
                except FileNotFoundError:  # trimmed by another process meanwhile
                    continue
                yield st.st_mtime, st.st_size, path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.root / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
