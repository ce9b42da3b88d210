"""The Celery app and the queue topology.

One durable **quorum** queue (``MEDIAPROOF_QUEUE_NAME``, default ``mediaproof.jobs``)
replicated by RabbitMQ, with:

- ``x-delivery-limit``: a message handed back more than ``MEDIAPROOF_QUEUE_DELIVERY_LIMIT``
  times (its worker died while running it, each time) is not delivered again but
  dead-lettered: a file that crashes its decoder every time ends in
  ``<name>.dead`` instead of killing workers forever;
- ``x-dead-letter-exchange`` ``<name>.dlx`` (direct) bound to the quorum queue
  ``<name>.dead``.

Workers take one job at a time (``worker_prefetch_multiplier=1``) and acknowledge it only
after it ran (``task_acks_late``); a worker process that dies hands its job back
(``task_reject_on_worker_lost``), so another worker runs it. Publishes are confirmed by
the broker (``confirm_publish``): a job the API said it queued is on the broker's disk.
Messages are JSON: a worker never unpickles what it reads from the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from celery import Celery
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from mediaproof.config import Settings
from mediaproof.errors import ConfigError
from mediaproof.observability import tasks as request_ids

TASK_NAME = "mediaproof.run_job"
PART_TASK_NAME = "mediaproof.run_part"  # one part of a job split into parts (docs/queue.md)
SNAPSHOT_TASK_NAME = "index.snapshot"  # build and publish the matchers' shard snapshots


@dataclass(frozen=True)
class Topology:
    """The names and arguments every declarer must agree on (RabbitMQ refuses a second
    declaration of a queue with other arguments)."""

    queue: str
    delivery_limit: int

    @property
    def dead_exchange(self) -> str:
        return f"{self.queue}.dlx"

    @property
    def dead_queue(self) -> str:
        return f"{self.queue}.dead"

    @classmethod
    def of(cls, settings: Settings) -> Topology:
        return cls(settings.queue.name, settings.queue.delivery_limit)

    def jobs_queue(self) -> Queue:
        return Queue(  # type: ignore[no-untyped-call]  # kombu's constructors are untyped
            self.queue,
            Exchange(self.queue, type="direct", durable=True),  # type: ignore[no-untyped-call]
            routing_key=self.queue,
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_exchange,
                "x-dead-letter-routing-key": self.dead_queue,
            },
        )

    def dead_letter_queue(self) -> Queue:
        return Queue(  # type: ignore[no-untyped-call]
            self.dead_queue,
            Exchange(self.dead_exchange, type="direct", durable=True),  # type: ignore[no-untyped-call]
            routing_key=self.dead_queue,
            durable=True,
            queue_arguments={"x-queue-type": "quorum"},
        )

    def declare(self, conn: Connection) -> None:
        """Declare the dead-letter side, then the jobs queue (idempotent)."""
        channel = conn.default_channel
        for q in (self.dead_letter_queue(), self.jobs_queue()):
            q.bind(channel).declare()  # type: ignore[no-untyped-call]

    def delete(self, conn: Connection) -> None:
        """Remove the queues and exchanges (tests; an operator retiring a queue)."""
        channel = conn.default_channel
        for q in (self.jobs_queue(), self.dead_letter_queue()):
            bound = q.bind(channel)  # type: ignore[no-untyped-call]
            bound.delete()
            assert bound.exchange is not None
            bound.exchange.delete()


def broker_url(settings: Settings) -> str:
    if settings.broker_url is None:
        raise ConfigError(
            "no job queue is configured",
            hint="set MEDIAPROOF_BROKER_URL, e.g. amqp://user:password@rabbitmq:5672//",
        )
    return settings.broker_url.get_secret_value()


def make_celery(settings: Settings) -> Celery:
    """The Celery app of ``settings``' queue, with the ``mediaproof.run_job`` task."""
    from mediaproof.queue.tasks import register_tasks

    topo = Topology.of(settings)
    app = Celery("mediaproof", broker=broker_url(settings), set_as_current=False)
    conf: dict[str, Any] = {
        "task_queues": [topo.jobs_queue()],
        "task_default_queue": topo.queue,
        "task_default_exchange": topo.queue,
        "task_default_routing_key": topo.queue,
        "task_create_missing_queues": False,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.queue.task_time_limit_s,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_track_started": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "worker_hijack_root_logger": False,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"confirm_publish": True},
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 3,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 2.0,
        },
    }
    app.conf.update(conf)
    register_tasks(app, settings, topo)
    request_ids.install()  # a job's log lines carry the id of the request that queued it
    return app
