"""Running queued jobs, in a worker: what a job of each kind does, and one job's run.

The broker glue is in :mod:`mediaproof.queue` (an adapter); this is the use case it
calls. A queued job is a row (``jobs``: kind, parameters, the upload's blob) known by its
key (:func:`mediaproof.services.jobs.job_key`), so:

- a job delivered again after it finished (a worker died between finishing and
  acknowledging) finds its row ended and does nothing: one result, ever;
- a job delivered again after its worker died mid-run starts over (``attempts`` counts
  the starts) and the first to finish writes the result (a guarded UPDATE).

A kind is a function of a :class:`JobContext` that returns the job's result (plain JSON
data) or raises a :class:`~mediaproof.errors.MediaproofError`, which becomes the job's
error. Register one with :func:`kind`; ``mediaproof worker --plugin MODULE`` loads
modules that register more. API processes and workers must know the same kinds.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mediaproof.config import Settings
from mediaproof.errors import MediaproofError, StorageError
from mediaproof.media.ingest import ingest_file
from mediaproof.services.instance import Instance
from mediaproof.services.job_parts import plan_parts
from mediaproof.services.jobs import (
    HEARTBEAT_S,
    ProgressWriter,
    error_of,
    job_blobs,
    job_failed,
    release_input,
)
from mediaproof.services.public_verify import verify_upload
from mediaproof.services.result_images import ResultImages
from mediaproof.storage.blobs import ContentStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_job_parts import JobPartRepo
from mediaproof.storage.sql.repos_jobs import JobRecord, JobRepo

log = logging.getLogger("mediaproof.jobs")


@dataclass(frozen=True)
class JobContext:
    inst: Instance
    key: str  # the job's key (services.jobs.job_key), not its public id
    input: Path | None  # a private copy of the job's upload, deleted after the job
    params: dict[str, Any]
    progress: Callable[[str, float], None]  # (stage, fraction 0..1)
    images: ResultImages  # for pictures that go with the result (heatmaps)
    attempt: int  # 1 on the first start; more when a worker died running it
    # queues part ``idx`` of job ``key`` (a worker with a broker); None: no splitting
    parts: PartDispatch | None = None
    # in the combine step of a split job: what its parts read, for the analysis's cache
    # (services.job_parts.seed_cache); the kind runs as unsplit, with that cache
    cache: dict[str, Any] | None = None


class PartDispatch(Protocol):
    """Puts part ``idx`` of job ``key`` on the queue (mediaproof.queue.tasks)."""

    def __call__(self, key: str, idx: int) -> None: ...


class SplitIntoParts(Exception):
    """Raised by a kind whose job continues as parts (services.job_parts): the job stays
    running, its upload stays, and the part that finds every part done finishes it by
    running the same kind again (without ``parts``, with the parts' readings in
    ``cache``: services.job_part_worker)."""


KindFn = Callable[[JobContext], dict[str, Any]]
KINDS: dict[str, KindFn] = {}


def kind(name: str) -> Callable[[KindFn], KindFn]:
    """Register ``fn`` as what jobs of kind ``name`` do."""

    def register(fn: KindFn) -> KindFn:
        KINDS[name] = fn
        return fn

    return register


class UnknownJobKind(MediaproofError, code="unknown_job_kind"):
    pass


class DatabaseAway(MediaproofError, code="storage"):
    """The job could not even be started: hand it back to the queue."""


def kind_of(name: str) -> KindFn:
    """What jobs of kind ``name`` do (raises :class:`UnknownJobKind`)."""
    fn = KINDS.get(name)
    if fn is None:
        raise UnknownJobKind(
            f"this worker does not know jobs of kind {name!r}",
            hint="run workers of the same version, with the same plug-ins, as the API",
        )
    return fn


@kind("verify")
def _verify(ctx: JobContext) -> dict[str, Any]:
    if ctx.input is None:
        raise MediaproofError("a verify job needs a file")
    split(ctx)
    return verify_upload(ctx.inst, ctx.input, ctx.progress, ctx.images, cache=ctx.cache)


def split(ctx: JobContext) -> None:
    """Split a long video's job into parts and queue them (raises SplitIntoParts);
    returns for a file that is analysed whole, and at once where the job cannot be
    split (no broker) or is being combined. Run again (the job's worker died after
    splitting), it keeps the parts and queues again those not done: a part delivered
    twice does its work once. A kind that calls it runs again in the combine, with
    the parts' readings in ``ctx.cache``: it must read them from there."""
    dispatch = ctx.parts
    if dispatch is None or ctx.input is None:
        return
    media = ingest_file(ctx.input, ctx.inst.settings.limits)
    spans = plan_parts(ctx.input, media, ctx.inst.settings.queue.part_s, ctx.inst.settings.limits)
    if spans is None:
        return
    parts = JobPartRepo(ctx.inst.db)
    n = parts.create(ctx.key, [s.as_dict() for s in spans])
    ctx.progress(f"0 of {n} parts", 0.0)
    for idx in parts.pending(ctx.key):
        dispatch(ctx.key, idx)
    log.info("job %s: split into %d parts", ctx.key[:12], n)
    raise SplitIntoParts(n)


_lock = threading.Lock()
_instance: Instance | None = None  # one per worker process, opened after the fork
_main_repo: JobRepo | None = None  # the worker's main process (fail_job)


def worker_instance(settings: Settings) -> Instance:
    global _instance
    with _lock:
        if _instance is None:
            _instance = Instance(settings)
        return _instance


def _repo_in_main(settings: Settings) -> JobRepo:
    global _main_repo
    with _lock:
        if _main_repo is None:
            _main_repo = JobRepo(Database(settings.resolved_database_url))
        return _main_repo


def drop_input(repo: JobRepo, blobs: ContentStore, rec: JobRecord) -> None:
    """The job has ended: its upload goes (unless an identical one is still waiting)."""
    if rec.input_blob is None:
        return
    release_input(repo, blobs, rec.input_blob, rec.id)


@contextlib.contextmanager
def _alive(repo: JobRepo, key: str) -> Iterator[None]:
    """Keep the job's ``heartbeat_at`` fresh while it runs, so a job whose whole worker
    was killed on its last try is told from one that is still running."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            with contextlib.suppress(Exception):  # the database may be away a moment
                repo.heartbeat([key])

    t = threading.Thread(target=beat, name="mediaproof-job-heartbeat", daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()


def run_job(
    settings: Settings, key: str, *, last_try: bool = False, parts: PartDispatch | None = None
) -> str:
    """Run job ``key`` in this worker process; returns what became of it. ``last_try``:
    the broker will not hand this job out again; ``parts``: how to queue parts, for a
    job that is split (long video, docs/queue.md). Raises :class:`DatabaseAway` when the
    job cannot be started (the caller hands it back to the queue)."""
    inst = worker_instance(settings)
    repo = JobRepo(inst.db)
    blobs = job_blobs(settings, inst.blob_store)  # the instance is per process: one client
    try:
        rec = repo.start(key, last_try=last_try)
    except StorageError as e:
        raise DatabaseAway(str(e)) from e
    if rec is None:
        return "skipped"  # ended already (a redelivery), or expired
    work = Path(tempfile.mkdtemp(prefix="job-", dir=_tmp(inst)))
    try:
        with _alive(repo, key):
            fn = kind_of(rec.kind)
            path = None
            if rec.input_blob is not None:
                path = work / "input"
                blobs.copy_to(rec.input_blob, path)
            ctx = JobContext(
                inst=inst,
                key=key,
                input=path,
                params=rec.params,
                progress=ProgressWriter(repo, key),
                images=ResultImages(inst.db, blobs, settings.service.job_keep_s),
                attempt=rec.attempts,
                parts=parts,
            )
            result = fn(ctx)
    except SplitIntoParts:
        # the parts go on; the job is on its last try only while one of them is
        JobPartRepo(inst.db).sync_last_try(key)
        return "split"
    except Exception as e:
        won = end_job(repo, blobs, rec, error=e)
    else:
        won = end_job(repo, blobs, rec, result=result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return "done" if won else "lost the race"


def end_job(
    repo: JobRepo,
    blobs: ContentStore,
    rec: JobRecord,
    *,
    result: dict[str, Any] | None = None,
    error: Exception | None = None,
) -> bool:
    """End job ``rec`` with ``result`` or ``error`` (the guarded UPDATE: False when it
    had ended already) and let its upload go; the end of a job run whole and of a split
    job's combine."""
    if error is not None:
        err = error_of(error)
        won = repo.finish(rec.id, error=err)
        if won:
            job_failed(repo.db, rec.kind, rec.params, err)
    else:
        won = repo.finish(rec.id, result=result)
    drop_input(repo, blobs, rec)
    return won


def fail_job(settings: Settings, key: str, error: dict[str, Any]) -> None:
    """End job ``key`` with ``error`` from outside the process that ran it (the worker's
    main process, when a pool process died or ran out of time), and drop its upload."""
    repo = _repo_in_main(settings)
    rec = repo.get(key)
    won = repo.finish(key, error=error)
    if rec is not None:
        if won:
            job_failed(repo.db, rec.kind, rec.params, error)
        drop_input(repo, job_blobs(settings), rec)


def _tmp(inst: Instance) -> Path:
    tmp = inst.home / "tmp"
    tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tmp
