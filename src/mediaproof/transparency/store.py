"""Crash-safe, append-only storage of log entries and of every complete subtree hash.

Why files and not SQLite: the log only ever appends, proofs need O(log n) random reads
of subtree hashes (a ``pread`` each, ~1 µs), and the per-level hash files are exactly
what tlog tiles publish, so tiles are slices of them. Durability needs one ``fdatasync``
of one file per batch.

Layout (``<home>/tlog/``):

- ``entries.log``: magic, then records ``u32 length || u32 crc32(payload) || payload``.
  This file is the *source of truth*: an append is acknowledged only after its records
  are written and ``fdatasync``-ed.
- ``entries.idx``: ``u64`` offset of each record (derived, rebuilt when short).
- ``hashes/<k>.bin``: the hash of every complete subtree at level ``k`` (32 bytes each),
  i.e. ``n >> k`` hashes for a tree of ``n`` leaves (derived, rebuilt when short).

Start-up recovery: scan records after the last indexed one, cut a torn or corrupt tail
(a crash can only tear the batch that was never acknowledged), cut derived files to the
recovered size and recompute what is missing, then check the last hash of every level
against a recomputation. The caller also checks the root against the last signed
checkpoint, so a tail cut below a published size is an error, never silent.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from mediaproof.keyfiles import fsync_dir
from mediaproof.transparency.errors import LogError, LogLockedError
from mediaproof.transparency.merkle import HASH_SIZE, leaf_hash, node_hash
from mediaproof.transparency.tiles import MAX_ENTRY_SIZE

MAGIC = b"MPTLOG1\n"
_HDR = struct.Struct(">II")
_OFF = struct.Struct(">Q")


class LogStore:
    """One writer per directory (an exclusive ``flock``); readers open ``readonly``."""

    # Records go out in writes of at most this many bytes, so a huge batch does not need
    # one huge buffer; the crash test lowers it so a kill can land between writes.
    write_chunk = 1 << 20

    def __init__(
        self,
        root: Path,
        *,
        readonly: bool = False,
        lock_timeout: float = 0.0,
        signed_size: int = 0,
    ) -> None:
        self.root = root
        # Entries below this many were published under a signed checkpoint: recovery
        # never cuts them (a "torn tail" there is damage or tampering, not a crash).
        self.signed_size = signed_size
        self.readonly = readonly
        self.recovered_bytes = 0  # bytes of torn tail cut at open (for reporting)
        self._mu = threading.Lock()
        self._lock_fd: int | None = None
        self._level_fds: list[int] = []
        self._last: list[bytes | None] = []  # last hash written at each level
        self._closed = False
        if readonly:
            if not (root / "entries.log").exists():
                raise LogError(f"no log at {root}")
        else:
            # the private store: the public copy is the tiles under log/
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            (root / "hashes").mkdir(mode=0o700, exist_ok=True)
            self._lock_fd = os.open(root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
            deadline = time.monotonic() + lock_timeout
            while True:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as e:
                    if time.monotonic() >= deadline:
                        os.close(self._lock_fd)
                        raise LogLockedError(
                            f"the log at {root} is open for writing by another process"
                        ) from e
                    time.sleep(0.01)
        flags = os.O_RDONLY if readonly else os.O_RDWR | os.O_CREAT
        try:
            self._efd = os.open(root / "entries.log", flags, 0o600)  # private (tlog/)
            self._ifd = os.open(root / "entries.idx", flags, 0o600)
            if readonly:
                self.size = min(self._indexed_count(), self._level_len(0))
                self._open_levels()
            else:
                self.size = self._recover()
        except BaseException:
            self.close()
            raise

    # --- low level -------------------------------------------------------------------

    def _level_file(self, k: int) -> Path:
        return self.root / "hashes" / f"{k:02d}.bin"

    def _level_len(self, k: int) -> int:
        try:
            return self._level_file(k).stat().st_size // HASH_SIZE
        except FileNotFoundError:
            return 0

    def _indexed_count(self) -> int:
        return os.fstat(self._ifd).st_size // _OFF.size

    def _offset(self, i: int) -> int:
        return int(_OFF.unpack(os.pread(self._ifd, _OFF.size, i * _OFF.size))[0])

    def _read_record(self, off: int, end: int) -> bytes | None:
        """The payload of the record at ``off`` if it is whole and its checksum matches."""
        if off + _HDR.size > end:
            return None
        length, crc = _HDR.unpack(os.pread(self._efd, _HDR.size, off))
        if length > MAX_ENTRY_SIZE or off + _HDR.size + length > end:
            return None
        payload = os.pread(self._efd, length, off + _HDR.size)
        if len(payload) != length or zlib.crc32(payload) != crc:
            return None
        return payload

    def _open_levels(self) -> None:
        k = 0
        while self._level_file(k).exists():
            flags = os.O_RDONLY if self.readonly else os.O_RDWR | os.O_APPEND
            self._level_fds.append(os.open(self._level_file(k), flags))
            self._last.append(None)
            k += 1

    def _ensure_level(self, k: int) -> int:
        while len(self._level_fds) <= k:
            path = self._level_file(len(self._level_fds))
            self._level_fds.append(os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600))
            self._last.append(None)
        return self._level_fds[k]

    # --- recovery --------------------------------------------------------------------

    def _recover(self) -> int:
        end = os.fstat(self._efd).st_size
        if end < len(MAGIC):
            if end and os.pread(self._efd, end, 0) != MAGIC[:end]:
                raise LogError(f"{self.root / 'entries.log'} is not a log file")
            os.ftruncate(self._efd, 0)
            os.pwrite(self._efd, MAGIC, 0)
            os.fsync(self._efd)
            fsync_dir(self.root)
            end = len(MAGIC)
        elif os.pread(self._efd, len(MAGIC), 0) != MAGIC:
            raise LogError(f"{self.root / 'entries.log'} is not a log file")

        # The index is derived and may lag or hold a torn tail: trust the longest prefix
        # whose last offset points at a valid record that ends where the next begins.
        n = self._indexed_count()
        while n > 0:
            off = self._offset(n - 1)
            rec = self._read_record(off, end) if off >= len(MAGIC) else None
            if rec is not None and (n == 1 or self._offset(n - 2) < off):
                break
            n -= 1
        pos = len(MAGIC)
        if n:
            last_off = self._offset(n - 1)
            last = self._read_record(last_off, end)
            assert last is not None
            pos = last_off + _HDR.size + len(last)
        os.ftruncate(self._ifd, n * _OFF.size)

        # Scan records past the index; the first bad one starts the torn tail.
        new_offsets = bytearray()
        while pos < end:
            rec = self._read_record(pos, end)
            if rec is None:
                break
            new_offsets += _OFF.pack(pos)
            pos += _HDR.size + len(rec)
            n += 1
        if n < self.signed_size:
            raise LogError(
                f"{self.root / 'entries.log'} holds {n} readable records but a checkpoint "
                f"of {self.signed_size} was signed: record {n} is missing, altered or damaged",
                hint="restore the store from a backup; nothing was cut or signed",
            )
        if pos < end:
            self.recovered_bytes = end - pos
            os.ftruncate(self._efd, pos)
            os.fsync(self._efd)
        if new_offsets:
            # Derived data: no fsync needed, a lost write is redone at the next open.
            os.pwrite(self._ifd, bytes(new_offsets), os.fstat(self._ifd).st_size)

        self._open_levels()
        self._repair_levels(n)
        return n

    def _repair_levels(self, n: int) -> None:
        k = 0
        while True:
            want = n >> k
            if want == 0 and k >= len(self._level_fds):
                break
            fd = self._ensure_level(k)
            have = min(os.fstat(fd).st_size // HASH_SIZE, want)
            os.ftruncate(fd, have * HASH_SIZE)
            if have < want:
                buf = bytearray()
                if k == 0:
                    for i in range(have, want):
                        buf += leaf_hash(self._entry_unlocked(i))
                else:
                    below = self._level_fds[k - 1]
                    for i in range(have, want):
                        pair = os.pread(below, 2 * HASH_SIZE, 2 * i * HASH_SIZE)
                        buf += node_hash(pair[:HASH_SIZE], pair[HASH_SIZE:])
                os.write(fd, bytes(buf))
            if want:
                last = os.pread(fd, HASH_SIZE, (want - 1) * HASH_SIZE)
                if k == 0:
                    expect = leaf_hash(self._entry_unlocked(want - 1))
                else:
                    pair = os.pread(
                        self._level_fds[k - 1], 2 * HASH_SIZE, 2 * (want - 1) * HASH_SIZE
                    )
                    expect = node_hash(pair[:HASH_SIZE], pair[HASH_SIZE:])
                if last != expect:
                    raise LogError(
                        f"stored hash at level {k} does not match the entries",
                        hint="the hash files were damaged; run an audit and rebuild them",
                    )
                self._last[k] = last
            else:
                self._last[k] = None
            k += 1

    def verify(self, start: int = 0) -> None:
        """Check entries ``start..size`` against the stored tree, bottom up: each record's
        checksum, its leaf hash against level 0, and every stored node over that range
        against its two children. With the root check against the signed checkpoint this
        ties the entries a writer is about to extend (and republish) to what was signed.
        Reads ``size - start`` records; ``start=0`` checks the whole log."""
        with self._mu:
            n = self.size
            start = max(0, min(start, n))
            for i in range(start, n):
                payload = self._entry_unlocked(i)
                if leaf_hash(payload) != self._stored(0, i):
                    raise LogError(
                        f"entry {i} in {self.root / 'entries.log'} does not match its leaf "
                        "hash in the stored tree: the entries file was altered",
                        hint="restore the store from a backup; nothing was signed",
                    )
            k = 1
            while n >> k:
                for j in range(start >> k, n >> k):
                    pair = self._stored(k - 1, 2 * j) + self._stored(k - 1, 2 * j + 1)
                    if node_hash(pair[:HASH_SIZE], pair[HASH_SIZE:]) != self._stored(k, j):
                        raise LogError(
                            f"stored hash {j} at level {k} does not match the level below: "
                            "the hash files were altered",
                            hint="restore the store from a backup; nothing was signed",
                        )
                k += 1

    def _stored(self, level: int, index: int) -> bytes:
        h = os.pread(self._level_fds[level], HASH_SIZE, index * HASH_SIZE)
        if len(h) != HASH_SIZE:
            raise LogError(f"the hash store is short at level {level}")
        return h

    # --- public ----------------------------------------------------------------------

    def append_many(self, payloads: Sequence[bytes]) -> int:
        """Append ``payloads`` durably; returns the index of the first. All or, on crash, a
        prefix of the batch survives; nothing is acknowledged before ``fdatasync``."""
        if self.readonly:
            raise LogError("the log is open read-only")
        if not payloads:
            return self.size
        with self._mu:
            first = self.size
            end = os.fstat(self._efd).st_size
            recs = bytearray()
            offs = bytearray()
            leaves: list[bytes] = []
            for p in payloads:
                if len(p) > MAX_ENTRY_SIZE:
                    raise LogError("entry larger than 64 KiB")
                offs += _OFF.pack(end + len(recs))
                recs += _HDR.pack(len(p), zlib.crc32(p))
                recs += p
                leaves.append(leaf_hash(p))
            view = memoryview(recs)
            for pos in range(0, len(recs), self.write_chunk):
                os.pwrite(self._efd, view[pos : pos + self.write_chunk], end + pos)
            os.fdatasync(self._efd)
            # Acknowledged from here; the derived files follow and are repaired at open.
            os.pwrite(self._ifd, bytes(offs), first * _OFF.size)
            self._add_leaf_hashes(first, leaves)
            self.size = first + len(payloads)
            return first

    def _add_leaf_hashes(self, first: int, leaves: list[bytes]) -> None:
        bufs: list[bytearray] = []
        idx = first
        for h in leaves:
            level, node, i = 0, h, idx
            while True:
                if level == len(bufs):
                    bufs.append(bytearray())
                    self._ensure_level(level)
                bufs[level] += node
                left = self._last[level]
                self._last[level] = node
                if not i & 1:
                    break
                assert left is not None
                node = node_hash(left, node)
                i >>= 1
                level += 1
            idx += 1
        for level, buf in enumerate(bufs):
            if buf:
                os.write(self._level_fds[level], bytes(buf))

    def sync(self) -> None:
        """Flush derived files (before a checkpoint publishes hashes from them)."""
        if self.readonly:
            return
        with self._mu:
            os.fsync(self._ifd)
            for fd in self._level_fds:
                os.fsync(fd)

    def _entry_unlocked(self, i: int) -> bytes:
        off = self._offset(i)
        rec = self._read_record(off, os.fstat(self._efd).st_size)
        if rec is None:
            raise LogError(
                f"entry {i} in {self.root / 'entries.log'} is damaged (checksum mismatch)",
                hint="the entries file was altered or damaged; restore it from a backup",
            )
        return rec

    def entry(self, i: int) -> bytes:
        if not 0 <= i < self.size:
            raise LogError(f"no entry {i}: the log has {self.size}")
        return self._entry_unlocked(i)

    def entries(self, start: int, stop: int) -> Iterator[bytes]:
        for i in range(start, stop):
            yield self.entry(i)

    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree at ``level`` covering ``index * 2**level`` onward."""
        if (index + 1) << level > self.size:
            raise LogError(f"node {level}/{index} is not complete in a tree of {self.size}")
        h = os.pread(self._level_fds[level], HASH_SIZE, index * HASH_SIZE)
        if len(h) != HASH_SIZE:
            raise LogError(f"hash store is short at level {level}")
        return h

    def level_hashes(self, level: int, start: int, count: int) -> bytes:
        return os.pread(self._level_fds[level], count * HASH_SIZE, start * HASH_SIZE)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for fd in self._level_fds:
            os.close(fd)
        self._level_fds = []
        for name in ("_efd", "_ifd"):
            own: int | None = getattr(self, name, None)
            if own is not None:
                os.close(own)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
