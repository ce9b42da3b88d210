"""Background jobs for long analyses (video, long audio): an in-process worker.

One worker thread runs jobs in order, so a burst of videos cannot starve the CPU the
interactive requests need. Jobs live in memory: a restart forgets them (clients see 404
and upload again). Job ids are random and unguessable; whoever holds one may read it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mediaproof.errors import BusyError, MediaproofError, NotFoundError

# (report progress: stage name, fraction 0..1) -> result
JobFn = Callable[[Callable[[str, float], None]], dict[str, Any]]


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued | running | done | failed
    stage: str = "waiting"
    progress: float = 0.0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None

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


class JobRunner:
    def __init__(self, keep_s: float, max_pending: int) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mediaproof-job")
        self.keep_s = keep_s
        self.max_pending = max_pending

    def submit(self, kind: str, fn: JobFn, cleanup: Callable[[], None] | None = None) -> Job:
        with self._lock:
            self._expire()
            pending = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if pending >= self.max_pending:
                raise BusyError(
                    "too many analyses are waiting; try again in a few minutes",
                )
            job = Job(id=secrets.token_urlsafe(18), kind=kind)
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, fn, cleanup)
        return job

    def _run(self, job: Job, fn: JobFn, cleanup: Callable[[], None] | None) -> None:
        def progress(stage: str, fraction: float) -> None:
            job.stage, job.progress = stage, max(job.progress, min(fraction, 1.0))

        job.status = "running"
        try:
            job.result = fn(progress)
            job.status, job.stage, job.progress = "done", "done", 1.0
        except MediaproofError as e:
            job.error = {"code": e.code, "message": e.message, "hint": e.hint}
            job.status = "failed"
        except Exception as e:  # a bug must end the job, not the worker
            job.error = {
                "code": "internal",
                "message": f"the analysis failed unexpectedly ({type(e).__name__})",
                "hint": None,
            }
            job.status = "failed"
        finally:
            job.finished = time.monotonic()
            if cleanup is not None:
                cleanup()

    def get(self, job_id: str) -> Job:
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError("no such job (finished jobs are kept for a limited time)")
        return job

    def _expire(self) -> None:
        now = time.monotonic()
        for jid in [
            j.id
            for j in self._jobs.values()
            if j.finished is not None and now - j.finished > self.keep_s
        ]:
            del self._jobs[jid]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
