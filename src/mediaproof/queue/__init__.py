"""The durable job queue: Celery on RabbitMQ (docs/queue.md).

An adapter layer, like api/ and cli/: it joins the broker to the services. Nothing here
is imported unless ``MEDIAPROOF_BROKER_URL`` is set (the single-box default runs jobs
in the server process and needs neither Celery nor a broker).

- :mod:`mediaproof.queue.app`: the Celery app and the queue topology (a quorum queue with
  a delivery limit, its dead-letter exchange and queue).
- :mod:`mediaproof.queue.tasks`: the one task, ``mediaproof.run_job``, keyed by the job's key.
- :mod:`mediaproof.queue.kinds`: job kinds for plug-ins (the work is services.job_worker).
- :mod:`mediaproof.queue.publish`: what API processes use to hand a job to the queue.
"""

__all__: list[str] = []  # nothing at package level: import its modules
