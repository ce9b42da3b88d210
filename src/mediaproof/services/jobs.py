"""Background jobs for long analyses (video, long audio), kept in the database.

A job's status, progress and result live in the instance's database (``jobs`` table),
so any API process of the instance answers for a job another one took (issue 20). Who
runs a job:

- **in the process** (the default, no broker): one worker thread of the API process runs
  jobs in order, so a burst of videos cannot starve the CPU the interactive requests
  need. The thread keeps its jobs' ``heartbeat_at`` fresh; a job whose process stopped
  (a restart, a kill) is reported failed after :data:`ABANDONED_S` instead of staying
  "running" for good, and the client uploads again.
- **through the queue** (``MEDIAPROOF_BROKER_URL`` set, docs/queue.md): jobs that can be
  described as data (a kind, the upload, parameters; :meth:`JobRunner.submit` with
  ``portable``) are written to the job blob store and published; a ``mediaproof worker``
  on any machine runs them. Jobs that only exist as a function of this process (e.g. a
  case's analysis) still run in the process.

Job ids are random and unguessable; whoever holds one may read it. Finished jobs are kept
``service.job_keep_s``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mediaproof.config import Settings
from mediaproof.errors import BusyError, MediaproofError, NotFoundError
from mediaproof.media.children import pid_alive
from mediaproof.storage.blobs import BlobStore, ContentStore, file_sha256, open_blob_store
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.locks import hold
from mediaproof.storage.sql.repos_jobs import JobRecord, JobRepo

# (report progress: stage name, fraction 0..1) -> result
JobFn = Callable[[Callable[[str, float], None]], dict[str, Any]]

HEARTBEAT_S = 10.0  # how often the in-process runner says its jobs are alive
ABANDONED_S = 60.0  # a running job not kept alive this long lost its process
SWEEP_EVERY_S = 5.0  # expiry and abandoned-job checks, per process
PROGRESS_EVERY_S = 0.5  # progress writes at most this often (stage changes always)

log = logging.getLogger("mediaproof.jobs")

LOST = {
    "code": "job_lost",
    "message": "the server that ran this analysis stopped before it finished",
    "hint": "upload the file again",
}


class QueueUnavailableError(BusyError, code="queue_unavailable", exit_code=14):
    """The broker cannot be reached (503; the CLI exits 14, as for an unreachable peer)."""


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued | running | done | failed
    stage: str = "waiting"
    progress: float = 0.0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @classmethod
    def of(cls, job_id: str, rec: JobRecord) -> Job:
        """The job as its holder sees it: ``job_id`` is the public id (the row and the
        queue know only its :func:`job_key`)."""
        return cls(job_id, rec.kind, rec.status, rec.stage, rec.progress, rec.result, rec.error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "kind": self.kind,
            "status": self.status,
            "stage": self.stage,
            "progress": round(self.progress, 3),
            "result": self.result,
            "error": self.error,
        }


@dataclass(frozen=True)
class Portable:
    """A job described as data, so a worker elsewhere can run it: a kind the worker
    knows (mediaproof.queue.kinds), the input file, and JSON parameters."""

    kind: str
    path: Path | None = None
    params: dict[str, Any] | None = None


class Dispatch(Protocol):
    """Hands a job, by its key, to the queue (mediaproof.queue.publish)."""

    def __call__(self, key: str) -> None: ...


def job_key(job_id: str) -> str:
    """What the database, the broker and the logs know a job by: the SHA-256 of its
    public id. The id is the capability to read the job's result, so it is stored and
    sent nowhere; a leaked log line or queue message does not open a result."""
    return hashlib.sha256(job_id.encode()).hexdigest()


def job_blobs(settings: Settings, store: BlobStore | None = None) -> ContentStore:
    """Where queued jobs' uploads and result images are kept: apart from the registry's
    blobs, so deleting a job's bytes can never delete a registered original with the same
    digest. Every API process and worker must see the same store. ``store``: the blob
    store already open (an instance's), instead of opening another (for S3, another
    client) from ``settings``."""
    return ContentStore(
        store if store is not None else open_blob_store(settings),
        "job-blobs",
        cache=settings.cache_dir,
    )


FailedHook = Callable[[Database, Mapping[str, Any], Mapping[str, Any]], None]
_ON_FAILED: dict[str, FailedHook] = {}


def on_failed(kind: str) -> Callable[[FailedHook], FailedHook]:
    """Register what a job of ``kind`` leaves behind when it fails, whoever records the
    failure (the job's own worker, the worker's main process on a timeout or a
    dead-lettered crash, the sweep of abandoned jobs): ``hook(db, params, error)``. A
    notice's analysis records it on the notice (services.queued_rounds)."""

    def register(fn: FailedHook) -> FailedHook:
        _ON_FAILED[kind] = fn
        return fn

    return register


def job_failed(
    db: Database, kind: str, params: Mapping[str, Any], error: Mapping[str, Any]
) -> None:
    """Run the hook of ``kind`` (if any) for a job that has just been failed; a hook
    that fails is logged, never raised (the job's own failure is recorded already)."""
    hook = _ON_FAILED.get(kind)
    if hook is None:
        return
    try:
        hook(db, params, error)
    except Exception:
        log.exception("a failed %s job: could not record what it leaves behind", kind)


def error_of(e: BaseException) -> dict[str, Any]:
    """What a failed job says: a MediaproofError's message, or a plain 'unexpected'."""
    if isinstance(e, MediaproofError):
        return {"code": e.code, "message": e.message, "hint": e.hint}
    return {
        "code": "internal",
        "message": f"the analysis failed unexpectedly ({type(e).__name__})",
        "hint": None,
    }


class ProgressWriter:
    """A progress callback that writes to the job's row, at most every
    :data:`PROGRESS_EVERY_S` unless the stage changes."""

    def __init__(self, repo: JobRepo, key: str) -> None:
        self.repo, self.key = repo, key
        self._last = ("", 0.0)

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self._last[0] and now - self._last[1] < PROGRESS_EVERY_S:
            return
        self._last = (stage, now)
        self.repo.progress(self.key, stage, fraction)


INPUTS_LOCK = "job-inputs"
INPUTS_LOCK_S = 30.0


def release_input(repo: JobRepo, blobs: ContentStore, blob: str, key: str | None) -> None:
    """Job ``key`` (None: one already deleted) no longer needs its upload ``blob``: the
    row lets go of it, and the blob goes unless another job still names it.

    Uploads are stored by digest, so identical uploads share one blob. The check and the
    delete happen under the database lock INPUTS_LOCK, which a submission also holds
    while its row names the blob (before it writes the bytes): a job that ends can never
    delete the upload an identical new job was just given (seen with several API
    processes and workers: the new job failed with ``blob_not_found``)."""
    if key is not None:
        repo.clear_input(key)  # letting go needs no lock: it only drops a reference
    with hold(repo.db, INPUTS_LOCK, timeout_s=INPUTS_LOCK_S):
        if not repo.input_in_use(blob):
            blobs.delete(blob)


class JobRunner:
    def __init__(
        self,
        db: Database,
        keep_s: float,
        max_pending: int,
        *,
        blobs: ContentStore | None = None,
        dispatch: Dispatch | None = None,
        abandoned_s: float = ABANDONED_S,
    ) -> None:
        self.repo = JobRepo(db)
        self.blobs = blobs
        self.dispatch = dispatch
        self.keep_s = keep_s
        self.max_pending = max_pending
        self.abandoned_s = abandoned_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mediaproof-job")
        self._mine: set[str] = set()  # local jobs this process holds (for the heartbeat)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._swept = -SWEEP_EVERY_S
        # which process holds a local job: a later process on this host tells at once,
        # by the process id, that one is gone (restarted, killed) and fails its jobs,
        # instead of waiting ABANDONED_S with them counted as pending
        self._host = socket.gethostname()
        self.owner = f"{self._host}:{os.getpid()}:{secrets.token_hex(4)}"
        self._fail_dead_owners()

    @property
    def queued(self) -> bool:
        """True when portable jobs go to the broker."""
        return self.dispatch is not None

    def submit(
        self,
        kind: str,
        fn: JobFn,
        cleanup: Callable[[], None] | None = None,
        *,
        portable: Portable | None = None,
    ) -> Job:
        """Queue a job. With a broker configured and ``portable`` given, the job goes to
        the queue (``fn`` is not used and ``cleanup`` runs once the input is stored);
        otherwise ``fn`` runs on this process's job thread."""
        self._sweep()
        if portable is not None and self.dispatch is not None:
            return self._submit_queued(portable, cleanup)
        job_id = secrets.token_urlsafe(18)
        key = job_key(job_id)
        rec = self.repo.create(key, kind, "local", max_pending=self.max_pending, owner=self.owner)
        with self._lock:
            self._mine.add(key)
            self._start_heartbeat()
        self._pool.submit(self._run, key, fn, cleanup)
        return Job.of(job_id, rec)

    def _submit_queued(self, p: Portable, cleanup: Callable[[], None] | None) -> Job:
        assert self.dispatch is not None
        if self.blobs is None:
            raise MediaproofError("the job queue needs a blob store for the uploads")
        job_id = secrets.token_urlsafe(18)
        key = job_key(job_id)
        blobs = self.blobs
        try:
            # the row names its upload before the bytes are written, under INPUTS_LOCK:
            # a job with the same upload that ends meanwhile sees the name in use and
            # leaves the blob alone (see release_input)
            blob = file_sha256(p.path) if p.path is not None else None
            with hold(self.repo.db, INPUTS_LOCK, timeout_s=INPUTS_LOCK_S):
                rec = self.repo.create(
                    key,
                    p.kind,
                    "queue",
                    max_pending=self.max_pending,
                    input_blob=blob,
                    params=p.params,
                )
            if blob is not None and p.path is not None:
                try:
                    blobs.put_file(p.path, blob)
                except BaseException as e:
                    self.repo.finish(key, error=error_of(e))
                    release_input(self.repo, blobs, blob, key)
                    raise
        finally:
            if cleanup is not None:
                cleanup()  # the upload is in the blob store now (or failed to get there)
        try:
            self.dispatch(key)
        except BaseException as e:
            # not published: nobody will run it
            self.repo.finish(
                key,
                error={
                    "code": "queue_unavailable",
                    "message": "the job queue could not take this analysis; try again later",
                    "hint": None,
                },
            )
            if blob is not None:
                release_input(self.repo, blobs, blob, key)
            raise QueueUnavailableError(
                "the job queue is not reachable; try again in a few minutes",
            ) from e
        return Job.of(job_id, rec)

    def _run(self, key: str, fn: JobFn, cleanup: Callable[[], None] | None) -> None:
        try:
            if self.repo.start(key) is None:
                return  # gone already (expired, or failed as abandoned)
            try:
                result = fn(ProgressWriter(self.repo, key))
            except Exception as e:  # a bug must end the job, not the worker
                self.repo.finish(key, error=error_of(e))
            else:
                self.repo.finish(key, result=result)
        except Exception:
            log.exception("job %s: could not record its end", key[:12])
        finally:
            with self._lock:
                self._mine.discard(key)
            if cleanup is not None:
                cleanup()

    def get(self, job_id: str) -> Job:
        self._sweep()
        rec = self.repo.get(job_key(job_id))
        if rec is None:
            raise NotFoundError("no such job (finished jobs are kept for a limited time)")
        return Job.of(job_id, rec)

    def _sweep(self) -> None:
        """Forget jobs past their keep time, and fail local jobs whose process is gone
        (at most every :data:`SWEEP_EVERY_S`: reads must not each write)."""
        with self._lock:
            mono = time.monotonic()
            if mono - self._swept < SWEEP_EVERY_S:
                return
            self._swept = mono
        now = dt.datetime.now(dt.UTC)
        for rec in self.repo.fail_abandoned(now - dt.timedelta(seconds=self.abandoned_s), LOST):
            job_failed(self.repo.db, rec.kind, rec.params, LOST)
        for blob in self.repo.expire(now - dt.timedelta(seconds=self.keep_s)):
            if self.blobs is not None:
                release_input(self.repo, self.blobs, blob, None)

    def _fail_dead_owners(self) -> None:
        for owner in self.repo.local_owners(f"{self._host}:"):
            try:
                pid = int(owner.split(":")[-2])
            except (IndexError, ValueError):
                continue
            if pid == os.getpid() or pid_alive(pid):
                continue  # a process that is running (or a reused id: the heartbeat decides)
            self.repo.fail_owner(owner, LOST)

    def _start_heartbeat(self) -> None:
        if self._beat is None:
            self._beat = threading.Thread(
                target=self._heartbeat, name="mediaproof-job-heartbeat", daemon=True
            )
            self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with self._lock:
                ids = sorted(self._mine)
            with contextlib.suppress(Exception):  # the database may be down for a moment
                self.repo.heartbeat(ids)

    def shutdown(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        close = getattr(self.dispatch, "close", None)
        if close is not None:
            close()
