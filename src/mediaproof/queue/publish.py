"""Handing jobs to the queue, from an API process."""

from __future__ import annotations

import threading

from celery import Celery

from mediaproof.config import Settings
from mediaproof.queue.app import SNAPSHOT_TASK_NAME, TASK_NAME, Topology, make_celery


class Publisher:
    """``publisher(key)`` publishes the job whose key is ``key`` (a :class:`~mediaproof.services.
    jobs.Dispatch`). The first publish declares the topology; the broker confirms every
    publish before this returns. Raises the transport's error when the broker cannot be
    reached after a few quick retries (the caller fails the job and answers 503)."""

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        self.app = app or make_celery(settings)
        self.topology = Topology.of(settings)
        self._declared = False
        self._lock = threading.Lock()

    def _declare(self) -> None:
        with self._lock:
            if self._declared:
                return
            with self.app.connection_for_write() as conn:
                # a few quick tries: a request waits for this
                conn.ensure_connection(
                    max_retries=2, interval_start=0.2, interval_step=0.3, interval_max=0.5
                )
                self.topology.declare(conn)
            self._declared = True

    def __call__(self, key: str) -> None:
        self._declare()
        self.app.send_task(
            TASK_NAME,
            args=[key],
            task_id=key,
            queue=self.topology.jobs_queue(),
        )

    def build_snapshots(self, shards: int) -> None:
        """Queue a build of the matchers' shard snapshots (``index.snapshot``)."""
        self._declare()
        self.app.send_task(SNAPSHOT_TASK_NAME, args=[shards], queue=self.topology.jobs_queue())

    def close(self) -> None:
        self.app.close()
