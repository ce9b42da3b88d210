"""Named locks that at most one process of an instance holds at a time (issue 20:
singletons stay single), kept by the database every process shares.

PostgreSQL: a session-level advisory lock on a connection held for as long as the lock
is; a holder that dies (even by SIGKILL) ends its session, and the server drops the lock.
SQLite (one host by nature): an exclusive ``flock`` on a file next to the database, which
the kernel drops with the holder's last descriptor. An in-memory SQLite database is one
process's own, so a lock in that process is enough.

A thread that already holds a lock may take it again (it nests); other threads and
processes wait for it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text

from mediaproof.errors import BusyError
from mediaproof.storage.sql.engine import Database

POLL_S = 0.05
# a bigint advisory lock shows in pg_locks as classid (high half), objid (low), objsubid 1
_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::bigint = :hi AND objid::bigint = :lo"
    " AND objsubid = 1"
)


class LockBusyError(BusyError, code="lock_busy"):
    """Another process holds the lock and did not let it go in time."""


_held = threading.local()  # (database url, name) -> depth, for this thread
_mem_locks: dict[tuple[str, str], threading.Lock] = {}
_local_locks: dict[tuple[str, str], threading.Lock] = {}
_mem_guard = threading.Lock()


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of ``name`` (stable across processes)."""
    return int.from_bytes(
        hashlib.sha256(b"mediaproof-lock:" + name.encode()).digest()[:8], "big", signed=True
    )


def _depths() -> dict[tuple[str, str], int]:
    d: dict[tuple[str, str], int] | None = getattr(_held, "depths", None)
    if d is None:
        d = {}
        _held.depths = d
    return d


class Lease:
    """What :func:`hold` yields: true while the lock is this process's. ``check()`` asks
    the database whether it still is (a connection that broke took the lock with it);
    a long holder calls it before each piece of work."""

    def __init__(self, backend: _Backend | None, held: bool) -> None:
        self._backend = backend
        self.held = held

    def __bool__(self) -> bool:
        return self.held

    def check(self) -> bool:
        if self.held and self._backend is not None and not self._backend.still_held():
            self.held = False
        return self.held


@contextmanager
def hold(db: Database, name: str, timeout_s: float | None = None) -> Iterator[Lease]:
    """Hold the lock ``name`` for the block. ``timeout_s``: how long to wait for it
    (None: as long as it takes; 0: not at all). Yields a true :class:`Lease` when held;
    when the lock could not be had in time, raises :class:`LockBusyError`, unless
    ``timeout_s`` is 0, when it yields a false one (the caller skips its work: another
    process is doing it)."""
    key = (db.url, name)
    depths = _depths()
    if depths.get(key, 0) > 0:
        depths[key] += 1
        try:
            yield Lease(None, True)
        finally:
            depths[key] -= 1
        return
    # threads of this process queue on a lock of their own first, so one of them at a
    # time asks the database (and holds a pooled connection for it)
    with _mem_guard:
        local = _local_locks.setdefault(key, threading.Lock())
    started = time.monotonic()
    if timeout_s == 0:
        got = local.acquire(blocking=False)
    else:
        got = local.acquire(timeout=-1 if timeout_s is None else timeout_s)
    if not got:
        if timeout_s == 0:
            yield Lease(None, False)
            return
        raise LockBusyError(f"another process holds the {name!r} lock; try again later")
    try:
        left = None if timeout_s is None else max(0.0, timeout_s - (time.monotonic() - started))
        backend = _backend(db, name)
        if not backend.acquire(left):
            if timeout_s == 0:
                yield Lease(None, False)
                return
            raise LockBusyError(f"another process holds the {name!r} lock; try again later")
        depths[key] = 1
        try:
            yield Lease(backend, True)
        finally:
            depths[key] = 0
            backend.release()
    finally:
        local.release()


class _Backend:
    def acquire(self, timeout_s: float | None) -> bool:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if self.try_acquire():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)

    def try_acquire(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def still_held(self) -> bool:
        return True  # a file descriptor or a thread lock cannot be lost while open


class _PgLock(_Backend):
    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.key = lock_key(name)
        self.conn: Any = None

    def try_acquire(self) -> bool:
        if self.conn is None:
            self.conn = self.db.engine.connect()
        got = bool(
            self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
        )
        self.conn.commit()  # not idle in a transaction while held (the lock outlives it)
        if not got:
            self._close()  # back to the pool between tries: waiting holds no connection
        return got

    def acquire(self, timeout_s: float | None) -> bool:
        try:
            got = super().acquire(timeout_s)
        except BaseException:
            self._close()
            raise
        if not got:
            self._close()
        return got

    def still_held(self) -> bool:
        if self.conn is None:
            return False
        unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF
        try:
            n = self.conn.execute(_HELD, {"hi": unsigned >> 32, "lo": unsigned & 0xFFFF_FFFF})
            held = int(n.scalar_one()) == 1
            self.conn.commit()
        except Exception:  # the connection broke: its session, and the lock, are gone
            return False
        return held

    def release(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self.conn.commit()
        except Exception:
            # the connection broke: its session, and the lock with it, is gone already
            self.conn.invalidate()
        finally:
            self._close()

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class _FileLock(_Backend):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self, timeout_s: float | None) -> bool:
        got = super().acquire(timeout_s)
        if not got:
            self.release()
        return got

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # drops the flock
            self.fd = None


class _MemLock(_Backend):
    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock

    def try_acquire(self) -> bool:
        return self.lock.acquire(blocking=False)

    def release(self) -> None:
        self.lock.release()


def _backend(db: Database, name: str) -> _Backend:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        return _PgLock(db, name)
    path = db.engine.url.database if dialect == "sqlite" else None
    if dialect == "sqlite" and path and path != ":memory:":
        safe = hashlib.sha256(name.encode()).hexdigest()[:16]
        return _FileLock(Path(f"{path}.lock-{safe}"))
    if dialect != "sqlite":
        raise NotImplementedError(f"no process lock for the {dialect} database")
    with _mem_guard:
        lock = _mem_locks.setdefault((db.url, name), threading.Lock())
    return _MemLock(lock)
