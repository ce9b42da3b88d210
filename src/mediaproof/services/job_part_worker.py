"""Running one part of a job split into parts, in a worker, and the combine step
(docs/queue.md, "Long media in parts"; what a part reads is services.job_parts).

- A part delivered again after it finished (or twice at once) records its reading once:
  its row's result is written by a guarded UPDATE, so nothing is counted twice; a part
  whose worker died is started again and redoes only its own range.
- The part that finds every part done claims the combine (a guarded UPDATE of the job's
  row: one claim per job), runs the job's kind again (``verify``, ``notice.analyze``)
  with the parts' readings in its analysis cache, and ends the job with the same
  guarded UPDATE every job ends with. A claimer that dies in the
  combine is delivered again (its message was never acknowledged) and takes its own
  claim again.
- A part whose file kills its worker every time ends the job as any job does: the
  worker's main process marks it failed (``analysis_crashed``) on the last delivery the
  broker allows (mediaproof.queue.tasks); the other parts then find it ended.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from mediaproof.config import Settings
from mediaproof.errors import NotFoundError, StorageError
from mediaproof.services.job_parts import Span, read_part, seed_cache
from mediaproof.services.job_worker import (
    DatabaseAway,
    JobContext,
    _alive,
    _tmp,
    end_job,
    kind_of,
    worker_instance,
)
from mediaproof.services.jobs import ProgressWriter, job_blobs
from mediaproof.services.result_images import ResultImages
from mediaproof.storage.sql.repos_job_parts import JobPartRepo
from mediaproof.storage.sql.repos_jobs import PENDING, JobRecord, JobRepo

log = logging.getLogger("mediaproof.jobs")


def run_part(
    settings: Settings, key: str, idx: int, *, last_try: bool = False, redelivered: bool = False
) -> str:
    """Run part ``idx`` of job ``key``, then the combine if this part is the one that
    finds every part done; returns what became of it. ``redelivered``: the broker hands
    this message out again (its worker died), so a combine claim it held is retaken.
    Raises :class:`DatabaseAway` when the database cannot be reached (the caller hands
    the part back to the queue)."""
    inst = worker_instance(settings)
    repo, parts = JobRepo(inst.db), JobPartRepo(inst.db)
    blobs = job_blobs(settings, inst.blob_store)
    try:
        rec = repo.get(key)
        if rec is None or rec.status not in PENDING or rec.input_blob is None:
            return "skipped"  # the job ended (failed by another part, expired)
        part = parts.start(key, idx, last_try=last_try)
    except StorageError as e:
        raise DatabaseAway(str(e)) from e
    work = Path(tempfile.mkdtemp(prefix="part-", dir=_tmp(inst)))
    path = work / "input"
    outcome = "duplicate"
    try:
        with _alive(repo, key):
            if part is not None:
                blobs.copy_to(rec.input_blob, path)
                reading = read_part(path, Span.of(part.span), settings)
                wrote = parts.finish(key, idx, reading)
                outcome = "done" if wrote else "duplicate"
                done, total = parts.done_count(key), parts.count(key)
                repo.progress(key, f"{done} of {total} parts", done / (total + 1))
            if not parts.claim_combine(key, idx, retake=redelivered, last_try=last_try):
                return outcome
            log.info("job %s: every part done; part %d combines", key[:12], idx)
            if not path.exists():
                blobs.copy_to(rec.input_blob, path)
            result = _combine(settings, rec, path, parts)
    except Exception as e:
        if isinstance(e, StorageError) and not isinstance(e, NotFoundError):
            raise DatabaseAway(str(e)) from e  # handed back: the part runs again
        # an error, not a crash: the job ends with it, as it would unsplit
        won = end_job(repo, blobs, rec, error=e)
    else:
        won = end_job(repo, blobs, rec, result=result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return "combined" if won else "lost the race"


def _combine(
    settings: Settings, rec: JobRecord, path: Path, parts: JobPartRepo
) -> dict[str, object]:
    """The job's kind, run as unsplit (no part dispatch) with the parts' readings in
    its cache: the kind decides what it does with them (``verify`` reports,
    ``notice.analyze`` reports, fingerprints and attaches to the notice)."""
    inst = worker_instance(settings)
    fn = kind_of(rec.kind)
    repo = JobRepo(inst.db)
    done = parts.all(rec.id)
    reads = [p.result or {} for p in done]
    cache = seed_cache(path, reads, settings)
    n = len(done)
    writer = ProgressWriter(repo, rec.id)

    def progress(stage: str, fraction: float) -> None:
        writer(stage, (n + fraction) / (n + 1))  # the parts were n of n + 1 steps

    blobs = job_blobs(settings, inst.blob_store)
    ctx = JobContext(
        inst=inst,
        key=rec.id,
        input=path,
        params=rec.params,
        progress=progress,
        images=ResultImages(inst.db, blobs, settings.service.job_keep_s),
        attempt=rec.attempts,
        cache=cache,
    )
    return fn(ctx)
