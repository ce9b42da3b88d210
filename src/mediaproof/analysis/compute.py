"""Where analyzers run their heavy, stateless steps: in the caller's thread, or in a pool
of worker processes.

The service answers concurrent verify requests from threads of one process, and CPython
runs Python code of one process on one core at a time (the GIL): two verifies of small
photos took twice as long side by side as alone, on a machine with two idle cores. The
steps that cost most (watermark decodes, the difference map against an original) need
only a file path and plain arguments, so the service hands them to worker processes and
the request threads only wait. Everything with state (the database, the fingerprint
index) stays in the server process, so nothing else has to be shared between processes;
jobs and result images are not process state at all (the database and the job blob
store, services.jobs), and with a broker whole jobs run in ``mediaproof worker``
processes (docs/queue.md).

A worker that dies (a decoder crashing on a hostile file, the kernel's out-of-memory
killer) fails only the step that was running: the caller gets :class:`ComputeCrashed`
and the pool is replaced. A step that runs past its time limit (``Limits.step_timeout_s``,
more for long audio and video) is ended the same way and reported as
:class:`ComputeTimedOut`, so a file crafted to make a decoder spin cannot hold a core for
good. The CLI and tests run steps inline unless they ask otherwise; inline, a step cannot
be stopped and the time limit does not apply.

The workers are shared fairly between clients: the service names the :class:`Caller` of
each request (:func:`caller_scope`), and one caller may have at most ``per_client`` steps
in the pool at once. A client that sends many decode-heavy files at once waits behind
its own steps, not in front of everyone else's (issue 15, finding 5).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import select
import shutil
import signal
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mediaproof.analysis.threads import DEFAULT_THREADS, cap_threads
from mediaproof.errors import MediaproofError

if TYPE_CHECKING:
    from mediaproof.config import Limits

T = TypeVar("T")

log = logging.getLogger(__name__)

# modules every worker imports once at start, so the first request does not pay for them:
# the fork server loads them (its workers share those pages), and each worker imports
# any the fork server could not. The steps' own modules are here too (a step arrives by
# name, and unpickling it imports its module: the services' ones pull in the provenance
# and registry code, c2pa and cryptography, 0.1 s of CPU in a fresh worker).
WARM_MODULES = (
    "numpy",
    "cv2",
    "pywt",  # the generator-mark check
    "PIL.Image",
    "mediaproof.analysis.warm",
    "mediaproof.watermark.analyzer",
    "mediaproof.matching.align",
    "mediaproof.matching.analyzer",
    "mediaproof.detection.analyzer",
    "mediaproof.services.image_reads",
    "mediaproof.services.watermarking",
)

# how long readiness waits for the workers to start and warm up (ProcessCompute.warm_up)
# before it says ready anyway: a slow machine serves slowly rather than not at all
WARM_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Caller:
    """Who a request's heavy work is for: its share of the workers and its budget."""

    key: str  # "address:<ip>" for anonymous callers, "account:<id>" for signed-in ones
    anonymous: bool


_CALLER: ContextVar[Caller | None] = ContextVar("mediaproof_caller", default=None)


def current_caller() -> Caller | None:
    """The caller the service named for this request; None in the CLI, tests and jobs."""
    return _CALLER.get()


@contextlib.contextmanager
def caller_scope(caller: Caller | None) -> Iterator[None]:
    token = _CALLER.set(caller)
    try:
        yield
    finally:
        _CALLER.reset(token)


def set_caller(caller: Caller) -> None:
    """Name the caller for the rest of this request (its context: threads started with
    ``run_in_threadpool`` or ``contextvars.copy_context`` see it)."""
    _CALLER.set(caller)


class ComputeCrashed(MediaproofError, code="analysis_crashed", http_status=500): ...


class ComputeTimedOut(MediaproofError, code="analysis_timeout", http_status=500): ...


class ComputeFailed(RuntimeError):
    """An unexpected error in a worker, carried back as its type name and message (the
    original exception might not survive pickling, and one that fails to unpickle would
    break the whole pool)."""


_STEP_MARKS: Path | None = None  # in a worker: where it notes the step it is running


def _call(fn: Callable[..., T], args: tuple[Any, ...], timeout_s: float | None, ticket: str) -> T:
    """In a worker: run one step. ``timeout_s`` arms a timer whose signal ends the worker
    at the deadline, counted from the step's start, even inside a decoder's C code, which
    no exception can interrupt. While the step runs, a file named after the worker's
    process holds the step's ``ticket``: if the worker dies, the server reads there which
    step killed it."""
    mark = _STEP_MARKS / str(os.getpid()) if _STEP_MARKS is not None else None
    if mark is not None:
        # the deadline too: the server tells a timed-out step by it when the exit code it
        # reads is not the timer's signal (see ProcessCompute._replace)
        deadline = f" {time.time() + timeout_s:.3f}" if timeout_s is not None else ""
        mark.write_text(ticket + deadline)
    if timeout_s is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return fn(*args)
    except MediaproofError as e:
        if _picklable(e):
            raise  # message, hint and class survive the trip
        raise ComputeFailed(f"{type(e).__name__}: {e}") from None
    except Exception as e:
        raise ComputeFailed(f"{type(e).__name__}: {e}") from None
    finally:
        if timeout_s is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if mark is not None:
            mark.unlink(missing_ok=True)


def _picklable(e: BaseException) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(e))
    except Exception:
        return False
    return True


class Compute(Protocol):
    """Runs ``fn(*args)`` and returns its result; ``fn`` must be a module-level function
    and its arguments and result picklable (plain data, paths, numpy arrays).
    ``timeout_s`` bounds the step's running time where the implementation can stop it."""

    def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T: ...


class InlineCompute:
    """In the calling thread: the CLI, tests, and services configured with 0 processes.
    A thread cannot be stopped from outside, so ``timeout_s`` is not enforced here."""

    def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        return fn(*args)


def step_timeout(limits: Limits, duration_s: float | None) -> float:
    """How long one heavy step on a file may run: the base limit, plus time in
    proportion to the length of audio or video."""
    return limits.step_timeout_s + limits.step_timeout_per_media_s * (duration_s or 0.0)


def _worker_start(
    server_pid: int, step_marks: str, max_pixels: int | None, threads: int = DEFAULT_THREADS
) -> None:
    """In each worker: cap the native libraries' helper threads (analysis.threads: the
    pool's processes give the parallelism), import the heavy modules once, set Pillow's
    bomb guard from the pixel limit (a fresh process has Pillow's own default), leave
    when the server does, and run the readers once on a synthetic image (analysis.warm),
    noting in ``<pid>.warm`` in the step marks' folder that the start is over.

    A server killed outright (SIGKILL, the OOM killer) cannot shut its pool down, and
    the workers would wait for work forever (each holds its own end of the task queue),
    keeping the fork server alive too."""
    import importlib

    global _STEP_MARKS
    _STEP_MARKS = Path(step_marks)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the step timer's signal ends the worker
    cap_threads(threads)  # before the imports below: what they load reads the variables
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):  # an optional extra that is not installed
            importlib.import_module(name)
    cap_threads(threads)  # and what they loaded (the fork server's preloads are in already)
    if max_pixels is not None:
        from mediaproof.media.ingest import apply_pixel_limit

        apply_pixel_limit(max_pixels)
    threading.Thread(
        target=_exit_with, args=(server_pid,), name="mediaproof-orphan-guard", daemon=True
    ).start()
    # the first step must not pay for the first run of the readers (analysis.warm); a
    # warm-up that fails leaves a worker that is slower once, never a broken pool
    outcome = "warm"
    try:
        from mediaproof.analysis.warm import warm_worker

        warm_worker()
    except Exception as e:
        outcome = f"failed {type(e).__name__}: {e}"
        log.warning("analysis worker %d: warm-up failed (%s)", os.getpid(), outcome)
    note = _warm_mark(Path(step_marks), os.getpid())
    with contextlib.suppress(OSError):  # what ProcessCompute.warm_up waits for, whole
        note.with_suffix(".new").write_text(outcome)
        note.with_suffix(".new").replace(note)


def _warm_mark(marks: Path, pid: int) -> Path:
    """Where a worker notes that its start (imports and warm-up) is over."""
    return marks / f"{pid}.warm"


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

    def __init__(
        self,
        workers: int,
        max_pixels: int | None = None,
        per_client: int | None = None,
        threads: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a process pool needs at least one worker")
        self.workers = workers
        # native helper threads per library in each worker (analysis.threads)
        self.threads = threads or DEFAULT_THREADS
        self.max_pixels = max_pixels  # MEDIAPROOF_LIMIT_MAX_PIXELS, for Pillow's guard
        # steps one caller may have in the pool at once: the rest of the pool stays free
        # for other callers however many files one of them sends
        self.per_client = per_client or max(1, workers // 2)
        self._admitted: dict[str, tuple[threading.BoundedSemaphore, int]] = {}
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._warmed = threading.Event()  # set by warm_up, once its workers are warm
        self._marks: Path | None = None  # made with the first pool
        # what each broken pool's dead workers were running (see _replace)
        self._culprits: weakref.WeakKeyDictionary[ProcessPoolExecutor, dict[str, int]] = (
            weakref.WeakKeyDictionary()
        )

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise MediaproofError("the analysis pool is shut down")
            if self._pool is None:
                if self._marks is None:
                    self._marks = Path(tempfile.mkdtemp(prefix="mediaproof-steps-"))
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(list(WARM_MODULES))
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=ctx,
                    initializer=_worker_start,
                    initargs=(os.getpid(), str(self._marks), self.max_pixels, self.threads),
                )
            return self._pool

    @contextlib.contextmanager
    def _admit(self, caller: Caller | None) -> Iterator[None]:
        """Wait for one of the caller's ``per_client`` places (none for unnamed callers:
        the CLI, and the job runner, which runs one job at a time)."""
        if caller is None:
            yield
            return
        with self._lock:
            sem, users = self._admitted.get(caller.key, (None, 0))
            if sem is None:
                sem = threading.BoundedSemaphore(self.per_client)
            self._admitted[caller.key] = (sem, users + 1)
        try:
            with sem:
                yield
        finally:
            with self._lock:
                sem, users = self._admitted[caller.key]
                if users == 1:
                    del self._admitted[caller.key]  # bounded by the callers in flight
                else:
                    self._admitted[caller.key] = (sem, users - 1)

    def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        with self._admit(current_caller()):
            return self._run(fn, args, timeout_s)

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...], timeout_s: float | None) -> T:
        # When a worker dies, the pool fails every step it holds, not only the one that
        # killed it. The step that did is reported; the others are tried once more on a
        # fresh pool.
        ticket = secrets.token_hex(8)
        for attempt in (1, 2):
            pool = self._executor()
            try:
                fut: Future[T] = pool.submit(_call, fn, args, timeout_s, ticket)
                return fut.result()
            except BrokenProcessPool as e:
                culprits = self._replace(pool)
                if ticket not in culprits and attempt == 1:
                    continue
                if culprits.get(ticket) == -signal.SIGALRM:
                    raise ComputeTimedOut(
                        f"this check took longer than {timeout_s:g} s and was stopped",
                        hint="the file may be crafted to exhaust decoders; other checks still ran",
                    ) from e
                raise ComputeCrashed(
                    "the analysis process stopped unexpectedly while reading this file",
                    hint="the file may be crafted to crash decoders; other checks still ran",
                ) from e
        raise AssertionError("unreachable")

    def _replace(self, broken: ProcessPoolExecutor) -> dict[str, int]:
        """Drop a broken pool. Returns the steps whose worker died of them, by ticket,
        with the worker's exit code (minus the signal's number): the pool ends the other
        workers with SIGTERM, so a worker that died of anything else died of its step.
        Every step the pool held gets here; the first works it out, the others get the
        same answer."""
        with self._lock:
            if self._pool is broken:  # another thread may have replaced it already
                self._pool = None
            known = self._culprits.get(broken)
            if known is not None:
                return known
            culprits: dict[str, int] = {}
            self._culprits[broken] = culprits
            procs = list((broken._processes or {}).values())  # the executor's own table
            marks = self._marks
            assert marks is not None  # made with the first pool, before any step ran
            for proc in procs:
                if proc.pid is not None:
                    _warm_mark(marks, proc.pid).unlink(missing_ok=True)
                code = proc.exitcode
                if code is not None and code not in (0, -signal.SIGTERM):
                    mark = marks / str(proc.pid)
                    with contextlib.suppress(OSError, ValueError):
                        ticket, *deadline = mark.read_text().split()
                        # the executor's own thread reaps the same worker at the same
                        # moment, and multiprocessing then reports a made-up 255 to one
                        # of the two readers: a worker that died at or after its step's
                        # deadline was ended by the step's timer
                        if deadline and time.time() >= float(deadline[0]) - 0.05:
                            code = -signal.SIGALRM
                        culprits[ticket] = code
                    mark.unlink(missing_ok=True)
        broken.shutdown(wait=False, cancel_futures=True)
        return culprits

    @property
    def warmed(self) -> bool:
        """Whether :meth:`warm_up` is over: every worker started and warmed, or the time
        it may take ran out (readiness waits for this; services.health)."""
        return self._warmed.is_set()

    def warm_up(self, timeout_s: float = WARM_TIMEOUT_S) -> list[int]:
        """Start every worker now and wait until each has imported the heavy modules and
        run its warm-up read (``_worker_start``), so the first requests after a start do
        not wait seconds; returns the workers' process IDs. Never waits much longer than
        ``timeout_s`` and never raises: a worker that did not warm up is logged, and the
        pool is declared warm regardless (:attr:`warmed`)."""
        pids: list[int] = []
        try:
            pids = self._start_workers(time.monotonic() + timeout_s)
        except Exception as e:  # a broken pool, one shut down: the steps will say so
            log.warning("analysis workers: warm-up failed (%s: %s)", type(e).__name__, e)
        finally:
            self._warmed.set()
        return pids

    def _start_workers(self, deadline: float) -> list[int]:
        pool = self._executor()
        # one task per worker: the pool starts a process for each task no idle worker
        # takes, and each process warms up before its first task
        for fut in [pool.submit(_ping) for _ in range(self.workers)]:
            fut.result(timeout=max(0.0, deadline - time.monotonic()))
        # a worker that finished its start early may have taken two pings while another
        # was still warming: wait for every worker's own note
        marks = self._marks
        assert marks is not None  # made with the pool
        while True:
            pids = sorted(pool._processes or {})  # the executor's own table of workers
            notes = {pid: _read_note(_warm_mark(marks, pid)) for pid in pids}
            waiting = [pid for pid, note in notes.items() if note is None]
            if not waiting:
                break
            if time.monotonic() >= deadline:
                log.warning("analysis workers %s: not warm after the time allowed", waiting)
                return pids
            time.sleep(0.02)
        for pid, note in notes.items():
            if note != "warm":
                log.warning("analysis worker %d: warm-up %s", pid, note)
        return pids

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._marks is not None:
            shutil.rmtree(self._marks, ignore_errors=True)


def _read_note(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def default_workers() -> int:
    """One process per core the server may use, at most 4: beyond that the request
    threads and the database, not the decoders, are the limit. 0 (inline) on one core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, 4)


def make_compute(
    workers: int | None,
    max_pixels: int | None = None,
    per_client: int | None = None,
    threads: int | None = None,
) -> InlineCompute | ProcessCompute:
    n = default_workers() if workers is None else workers
    return ProcessCompute(n, max_pixels, per_client, threads) if n > 0 else InlineCompute()
