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
  the current use and is always kept, so a cap of 0 keeps only what is in use. A path
  is good for that grace: code that opens it later must ask for it again.
- Removing a copy that a reader holds open or memory-mapped is safe on Linux (and any
  POSIX system): ``unlink`` removes the name, the inode and its bytes stay readable
  through every open descriptor and mapping until the last one is closed. The space comes
  back then, not at the unlink.
- Temporary files (names starting with ``.``: the ``.fetch-*`` partial downloads and the
  lock file) are never counted and never removed: they belong to a fetch under way.
- Trimming and the rename that follows hold an exclusive ``flock`` on ``<root>/.lock``,
  so two processes sharing the folder do not both count the same free space. Hits take
  no lock: a hit whose file was trimmed meanwhile is fetched again.
- Counting the copies takes one ``stat`` each (about 0.1 s a thousand on a loaded box,
  bench/bench_blob_cache.py), so it is not done on every admission: ``<root>/.usage``
  keeps a running total (only ever too high: copies removed by others are noticed at the
  next count), and a trim goes down to ``low_water`` (90 %) of the cap, so a full cache
  is counted once every tenth of the cap fetched, not once a copy.
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
_USAGE = ".usage"  # a running total of the copies' bytes, never below the truth


class BlobCache:
    """A cache folder kept under ``max_bytes`` by removing least recently used copies."""

    def __init__(
        self,
        root: Path,
        max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
        *,
        min_age_s: float = 60.0,
        low_water: float = 0.9,
    ) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be 0 or more")
        if not 0.0 <= low_water <= 1.0:
            raise ValueError("low_water is a fraction of the cap, 0 to 1")
        self.root = root
        self.max_bytes = max_bytes
        self.min_age_s = min_age_s
        self.low_water = low_water

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
            total = self._read_usage()
            if total is None:
                total = sum(e[1] for e in self._entries() if e[2] != dest)
            if total + size > self.max_bytes:
                target = int(self.max_bytes * self.low_water)
                total = self.trim(reserve=size, keep=dest, target=target)
            os.replace(tmp, dest)
            os.utime(dest)
            self._write_usage(total + size)

    def sweep(self) -> int:
        """Trim to the cap now, under the lock; returns the bytes left."""
        with self._locked():
            total = self.trim()
            self._write_usage(total)
            return total

    def trim(self, reserve: int = 0, keep: Path | None = None, target: int | None = None) -> int:
        """Remove least recently used copies until they total at most ``target``
        (default the cap) less ``reserve``; returns the bytes left. Copies used in the
        last ``min_age_s`` seconds and ``keep`` stay (and are not counted: ``keep`` is
        about to be replaced). Call with the lock held (admit does)."""
        goal = (self.max_bytes if target is None else target) - reserve
        entries = sorted(e for e in self._entries() if e[2] != keep)
        total = sum(e[1] for e in entries)
        now = time.time()
        for mtime, size, path in entries:
            if total <= goal or now - mtime < self.min_age_s:
                break  # sorted oldest first: every later one is newer still
            # a reader holding this file open or mapped keeps reading it: unlink only
            # removes the name (see the module docstring)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= size
        return total

    def usage(self) -> int:
        """Bytes held by finished copies (temporary files not counted)."""
        return sum(e[1] for e in self._entries())

    def _read_usage(self) -> int | None:
        try:
            return max(0, int((self.root / _USAGE).read_text()))
        except (OSError, ValueError):  # none yet, or torn: count again
            return None

    def _write_usage(self, total: int) -> None:
        with contextlib.suppress(OSError):  # only a hint: the next admission counts
            (self.root / _USAGE).write_text(str(total))

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
