"""Likeness checks over HTTP: at once for quick files, as a background job for video and
long audio (as verify does). Apart from services/likeness.py, which the verify pipeline
imports, so this module may use the upload checks of public_verify."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mediaproof.likeness.analyzer import describe
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import Job, JobRunner
from mediaproof.services.likeness import likeness_service
from mediaproof.services.public_verify import inspect_upload, runs_as_job

# Immediate checks run here, not in the server's request threads: face and voice
# inference is matrix work that holds each engine's lock for a while, and request
# threads queued behind those locks would starve every other route of threads. Two
# threads: one face and one voice inference can overlap; more would only queue.
LANE_THREADS = 2
_lane: ThreadPoolExecutor | None = None
_lane_lock = threading.Lock()


def lane() -> ThreadPoolExecutor:
    global _lane
    with _lane_lock:
        if _lane is None:
            _lane = ThreadPoolExecutor(LANE_THREADS, thread_name_prefix="mediaproof-likeness")
        return _lane


def submit(
    inst: Instance, jobs: JobRunner, path: Path, take_ownership: Callable[[], Path]
) -> Future[dict[str, Any] | Job]:
    """:func:`check_or_queue` on the likeness lane; await it with ``asyncio.wrap_future``.
    It runs in a copy of the caller's context, so the caller named for fair use of the
    analysis workers goes with it."""
    ctx = contextvars.copy_context()
    return lane().submit(ctx.run, check_or_queue, inst, jobs, path, take_ownership)


def check_file(inst: Instance, path: Path) -> dict[str, Any]:
    """Whose enrolled likeness ``path`` shows, with a sentence a person can read."""
    with likeness_service(inst) as svc:
        result = svc.check(path)
    return {**result.as_dict(), "summary": describe(result)}


def check_or_queue(
    inst: Instance, jobs: JobRunner, path: Path, take_ownership: Callable[[], Path]
) -> dict[str, Any] | Job:
    """The check now for images and short audio; a queued :class:`Job` for video and
    long audio (as verify does). Unknown types are refused (415)."""
    media = inspect_upload(inst, path)
    if not runs_as_job(inst, media):
        return check_file(inst, path)
    owned = take_ownership()
    try:
        return jobs.submit(
            "likeness.check",
            lambda _progress: check_file(inst, owned),
            cleanup=lambda: owned.unlink(missing_ok=True),
        )
    except BaseException:
        owned.unlink(missing_ok=True)  # not queued: nobody else will delete it
        raise
