"""The task: run one job, by id, idempotently.

The message carries only the job's key (:func:`mediaproof.services.jobs.job_key`; it
is also the Celery task id): not its public id, which is the capability to read the
result. What to do, on which
file, is in the ``jobs`` row and the job blob store, so:

- a job delivered again after it finished (a worker died between finishing and
  acknowledging) finds its row ended and does nothing: one result, ever;
- a job delivered again after its worker died mid-run starts over (``attempts`` counts
  the starts) and the first to finish writes the result (a guarded UPDATE).

What happens to a job whose worker process died is decided in the worker's main process
(:class:`JobRequest`): the message goes back to the queue (``task_reject_on_worker_lost``),
and on the delivery that the broker will not repeat (``x-delivery-count`` has reached the
delivery limit) the job is marked failed, since the broker moves that message to the
dead-letter queue.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from billiard.exceptions import TimeLimitExceeded, WorkerLostError
from celery import Celery, Task
from celery.exceptions import Reject
from celery.worker.request import Request

from mediaproof.config import Settings
from mediaproof.errors import StorageError
from mediaproof.queue.app import TASK_NAME
from mediaproof.queue.kinds import KINDS, JobContext, UnknownJobKind
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import HEARTBEAT_S, ProgressWriter, error_of, job_blobs
from mediaproof.services.result_images import ResultImages
from mediaproof.storage.blobs import BlobStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_jobs import JobRecord, JobRepo

log = logging.getLogger("mediaproof.queue")

_lock = threading.Lock()
_instance: Instance | None = None  # one per worker process, opened after the fork
_main_repo: JobRepo | None = None  # the worker's main process: for JobRequest


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


def drop_input(repo: JobRepo, blobs: BlobStore, rec: JobRecord) -> None:
    """The job has ended: its upload goes (unless an identical one is still waiting)."""
    if rec.input_blob is None:
        return
    repo.clear_input(rec.id)
    if not repo.input_in_use(rec.input_blob):
        blobs.delete(rec.input_blob)


def returned(headers: Mapping[str, Any] | None) -> int:
    """How many times the broker has had this message handed back (RabbitMQ's quorum
    queues count it in ``x-delivery-count``; absent on the first delivery)."""
    try:
        return int((headers or {}).get("x-delivery-count") or 0)
    except (TypeError, ValueError):
        return 0


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


def run_job(settings: Settings, key: str, handed_back: int = 0) -> str:
    """Run job ``key`` in this worker process; returns what became of it.
    ``handed_back``: the message's delivery count (see :func:`returned`)."""
    inst = worker_instance(settings)
    repo = JobRepo(inst.db)
    blobs = job_blobs(settings)
    try:
        rec = repo.start(key, last_try=handed_back >= settings.queue.delivery_limit)
    except StorageError as e:
        # the database is away: hand the job back (it counts toward the delivery limit)
        raise Reject(str(e), requeue=True) from e
    if rec is None:
        return "skipped"  # ended already (a redelivery), or expired
    fn = KINDS.get(rec.kind)
    work = Path(tempfile.mkdtemp(prefix="job-", dir=_tmp(inst)))
    try:
        with _alive(repo, key):
            if fn is None:
                raise UnknownJobKind(
                    f"this worker does not know jobs of kind {rec.kind!r}",
                    hint="run workers of the same version, with the same plug-ins, as the API",
                )
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
            )
            result = fn(ctx)
    except Exception as e:
        won = repo.finish(key, error=error_of(e))
    else:
        won = repo.finish(key, result=result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    drop_input(repo, blobs, rec)
    return "done" if won else "lost the race"


def _tmp(inst: Instance) -> Path:
    tmp = inst.home / "tmp"
    tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tmp


class JobRequest(Request):  # type: ignore[misc]  # celery is untyped
    """The worker's main process's view of one delivery: marks the job failed when its
    worker died on the last delivery the broker allows, or ran out of time."""

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)
        exc = getattr(exc_info, "exception", None)
        exc = getattr(exc, "exc", exc)  # ExceptionWithTraceback
        settings: Settings = self.task.app.mediaproof_settings
        key = str(self.id)
        try:
            if isinstance(exc, TimeLimitExceeded):
                limit = settings.queue.task_time_limit_s
                self._fail(
                    settings,
                    key,
                    {
                        "code": "analysis_timeout",
                        "message": f"this analysis took longer than {limit:g} s and was stopped",
                        "hint": "the file may be crafted to exhaust decoders",
                    },
                )
            elif isinstance(exc, (WorkerLostError, SystemExit, KeyboardInterrupt)):
                back = returned(self._message.headers)
                if back >= settings.queue.delivery_limit:
                    tries = back + 1
                    log.warning("job %s: worker died on try %d; dead-lettered", key, tries)
                    self._fail(
                        settings,
                        key,
                        {
                            "code": "analysis_crashed",
                            "message": "the analysis process stopped unexpectedly while reading "
                            f"this file, each of the {tries} times it was tried",
                            "hint": "the file may be crafted to crash decoders",
                        },
                    )
                else:
                    log.warning("job %s: worker died; handed back to the queue", key)
        except Exception:
            log.exception("job %s: could not record its failure", key)

    @staticmethod
    def _fail(settings: Settings, key: str, error: dict[str, Any]) -> None:
        repo = _repo_in_main(settings)
        rec = repo.get(key)
        repo.finish(key, error=error)
        if rec is not None:
            drop_input(repo, job_blobs(settings), rec)


def register_tasks(app: Celery, settings: Settings, topo: Any) -> None:
    app.mediaproof_settings = settings  # for JobRequest, in the main process

    @app.task(name=TASK_NAME, bind=True, Request=JobRequest)  # type: ignore[untyped-decorator]
    def _run(self: Task, key: str) -> str:
        # the message's headers are the request's fields (Celery's task protocol 2)
        return run_job(settings, key, returned(vars(self.request)))
