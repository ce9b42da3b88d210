"""The task: run one job, by its key, idempotently (services.job_worker does the work).

The message carries only the job's key (:func:`mediaproof.services.jobs.job_key`; it
is also the Celery task id), not its public id, which is the capability to read the
result.

What happens to a job whose worker process died is decided in the worker's main process
(:class:`JobRequest`): the message goes back to the queue (``task_reject_on_worker_lost``),
and on the delivery that the broker will not repeat (``x-delivery-count`` has reached the
delivery limit) the job is marked failed, since the broker moves that message to the
dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from billiard.exceptions import TimeLimitExceeded, WorkerLostError
from celery import Celery, Task
from celery.exceptions import Reject
from celery.worker.request import Request

from mediaproof.config import Settings
from mediaproof.queue.app import PART_TASK_NAME, SNAPSHOT_TASK_NAME, TASK_NAME
from mediaproof.services import queued_rounds  # noqa: F401  (its kinds: pulls, deliveries)
from mediaproof.services.job_part_worker import run_part
from mediaproof.services.job_worker import DatabaseAway, fail_job, run_job, worker_instance
from mediaproof.services.matchers import build_instance_snapshots

log = logging.getLogger("mediaproof.queue")


def returned(headers: Mapping[str, Any] | None) -> int:
    """How many times the broker has had this message handed back (RabbitMQ's quorum
    queues count it in ``x-delivery-count``; absent on the first delivery)."""
    try:
        return int((headers or {}).get("x-delivery-count") or 0)
    except (TypeError, ValueError):
        return 0


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
        key = job_of(str(self.id))
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
        fail_job(settings, key, error)


PART_SEP = ".part-"


def part_task_id(key: str, idx: int) -> str:
    """A part's task id: its job's key and its number (the job's key alone is the job's)."""
    return f"{key}{PART_SEP}{idx}"


def job_of(task_id: str) -> str:
    """The job key in a task id (a job's, or one of its parts')."""
    return task_id.split(PART_SEP, 1)[0]


def register_tasks(app: Celery, settings: Settings, topo: Any) -> None:
    app.mediaproof_settings = settings  # for JobRequest, in the main process

    def dispatch_part(key: str, idx: int) -> None:
        app.send_task(
            PART_TASK_NAME,
            args=[key, idx],
            task_id=part_task_id(key, idx),
            queue=topo.jobs_queue(),
        )

    @app.task(name=TASK_NAME, bind=True, Request=JobRequest)  # type: ignore[untyped-decorator]
    def _run(self: Task, key: str) -> str:
        # the message's headers are the request's fields (Celery's task protocol 2)
        last_try = returned(vars(self.request)) >= settings.queue.delivery_limit
        try:
            return run_job(settings, key, last_try=last_try, parts=dispatch_part)
        except DatabaseAway as e:
            # hand the job back (it counts toward the delivery limit)
            raise Reject(str(e), requeue=True) from e

    @app.task(name=PART_TASK_NAME, bind=True, Request=JobRequest)  # type: ignore[untyped-decorator]
    def _part(self: Task, key: str, idx: int) -> str:
        """One part of a job split into parts (services.job_part_worker)."""
        back = returned(vars(self.request))
        redelivered = back > 0 or bool((self.request.delivery_info or {}).get("redelivered"))
        try:
            return run_part(
                settings,
                key,
                int(idx),
                last_try=back >= settings.queue.delivery_limit,
                redelivered=redelivered,
            )
        except DatabaseAway as e:
            raise Reject(str(e), requeue=True) from e

    @app.task(name=SNAPSHOT_TASK_NAME)  # type: ignore[untyped-decorator]
    def _snapshot(shards: int) -> list[dict[str, Any]]:
        """Build and publish every shard's snapshot (the matchers swap to them). Runs
        again harmlessly: each run publishes a complete, newer set."""
        built = build_instance_snapshots(worker_instance(settings), int(shards))
        return [b.as_dict() for b in built]
