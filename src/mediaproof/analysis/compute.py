"""Where analyzers run their heavy, stateless steps: in the caller's thread, or in a pool
of worker processes.

The service answers concurrent verify requests from threads of one process, and CPython
runs Python code of one process on one core at a time (the GIL): two verifies of small
photos took twice as long side by side as alone, on a machine with two idle cores. The
steps that cost most (watermark decodes, the difference map against an original) need
only a file path and plain arguments, so the service hands them to worker processes and
the request threads only wait. Everything with state (the database, the fingerprint
index, jobs, result images) stays in the one server process, so nothing else has to be
shared between processes.

A worker that dies (a decoder crashing on a hostile file, the kernel's out-of-memory
killer) fails only the step that was running: the caller gets :class:`ComputeCrashed`
and the pool is replaced. The CLI and tests run steps inline unless they ask otherwise.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from mediaproof.errors import MediaproofError

T = TypeVar("T")

# modules every worker imports once at start, so the first request does not pay for them
WARM_MODULES = (
    "numpy",
    "cv2",
    "PIL.Image",
    "mediaproof.watermark.analyzer",
    "mediaproof.matching.align",
)


class ComputeCrashed(MediaproofError):
    code = "analysis_crashed"
    http_status = 500


class ComputeFailed(RuntimeError):
    """An unexpected error in a worker, carried back as its type name and message (the
    original exception might not survive pickling, and one that fails to unpickle would
    break the whole pool)."""


def _call(fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    try:
        return fn(*args)
    except MediaproofError as e:
        if _picklable(e):
            raise  # message, hint and class survive the trip
        raise ComputeFailed(f"{type(e).__name__}: {e}") from None
    except Exception as e:
        raise ComputeFailed(f"{type(e).__name__}: {e}") from None


def _picklable(e: BaseException) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(e))
    except Exception:
        return False
    return True


class Compute(Protocol):
    """Runs ``fn(*args)`` and returns its result; ``fn`` must be a module-level function
    and its arguments and result picklable (plain data, paths, numpy arrays)."""

    def run(self, fn: Callable[..., T], *args: Any) -> T: ...


class InlineCompute:
    """In the calling thread: the CLI, tests, and services configured with 0 processes."""

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)


def _worker_start(server_pid: int) -> None:
    """In each worker: import the heavy modules once, and leave when the server does.

    A server killed outright (SIGKILL, the OOM killer) cannot shut its pool down, and
    the workers would wait for work forever (each holds its own end of the task queue),
    keeping the fork server alive too."""
    import importlib

    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):  # an optional extra that is not installed
            importlib.import_module(name)
    threading.Thread(
        target=_exit_with, args=(server_pid,), name="mediaproof-orphan-guard", daemon=True
    ).start()


def _exit_with(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)  # Linux 5.3+: readable once the process has exited
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])
    else:
        while True:
            time.sleep(2.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:  # alive, another user's (cannot be ours, but be safe)
                continue
    os._exit(0)


def _ping() -> int:
    return os.getpid()


class ProcessCompute:
    """A pool of ``workers`` processes, started by a fork server: the server process has
    threads (request pool, outbox worker), and forking a threaded process can copy a
    lock that some other thread holds."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("a process pool needs at least one worker")
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise MediaproofError("the analysis pool is shut down")
            if self._pool is None:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(list(WARM_MODULES))
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=ctx,
                    initializer=_worker_start,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        pool = self._executor()
        try:
            fut: Future[T] = pool.submit(_call, fn, args)
            return fut.result()
        except BrokenProcessPool as e:
            self._replace(pool)
            raise ComputeCrashed(
                "the analysis process stopped unexpectedly while reading this file",
                hint="the file may be crafted to crash decoders; other checks still ran",
            ) from e

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:  # another thread may have replaced it already
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def warm_up(self) -> list[int]:
        """Start every worker now (they import numpy, OpenCV, ...), so the first requests
        after a start do not wait seconds; returns the workers' process IDs."""
        pool = self._executor()
        # one task per worker: the pool starts a process for each task no idle worker
        # takes, and each process imports the heavy modules before its first task
        for fut in [pool.submit(_ping) for _ in range(self.workers)]:
            fut.result()
        return sorted(pool._processes or {})  # the executor's own table of workers

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    """One process per core the server may use, at most 4: beyond that the request
    threads and the database, not the decoders, are the limit. 0 (inline) on one core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, 4)


def make_compute(workers: int | None) -> InlineCompute | ProcessCompute:
    n = default_workers() if workers is None else workers
    return ProcessCompute(n) if n > 0 else InlineCompute()
