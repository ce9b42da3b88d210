"""`mediaproof worker`: run queued jobs (docs/queue.md)."""

from __future__ import annotations

import importlib
import socket
from typing import Annotated

import typer

from mediaproof.cli.common import HomeOption, err_console, fail
from mediaproof.config import load_settings
from mediaproof.errors import ConfigError, MediaproofError
from mediaproof.services.jobs import QueueUnavailableError


def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=64,
            help="Jobs run at once, each in its own process (a process that dies fails "
            "only its job, which goes back to the queue).",
        ),
    ] = 1,
    plugin: Annotated[
        list[str] | None,
        typer.Option(
            "--plugin",
            help="Import this module first (it may register job kinds); repeatable.",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Worker name (default: mediaproof@<host>).")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    home: HomeOption = None,
) -> None:
    """Run jobs from the queue MEDIAPROOF_BROKER_URL names (RabbitMQ). Start as many
    workers, on as many machines, as the load needs; each shares the instance's
    database (MEDIAPROOF_DATABASE_URL) and its job blob store with the API processes."""
    settings = load_settings(home)
    try:
        # Celery is the `queue` extra: imported only here, so the rest of the CLI runs
        # without it
        from kombu.exceptions import KombuError
    except ImportError as e:
        raise fail(
            ConfigError(
                "the job queue needs Celery",
                hint="install mediaproof with the 'queue' extra: pip install 'mediaproof[queue]'",
            )
        ) from e
    try:
        if settings.broker_url is None:
            raise ConfigError(
                "no job queue is configured",
                hint="set MEDIAPROOF_BROKER_URL (e.g. amqp://user:password@rabbitmq:5672//); "
                "without it `mediaproof serve` runs jobs itself",
            )
        for module in plugin or ():
            try:
                importlib.import_module(module)
            except ImportError as e:
                raise ConfigError(f"cannot import plug-in {module!r}: {e}") from e
        from mediaproof.queue.app import Topology, make_celery

        app = make_celery(settings)
        app.conf.worker_enable_remote_control = False  # no pidbox queue per worker
        topo = Topology.of(settings)
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=5)
            topo.declare(conn)
    except MediaproofError as e:
        raise fail(e) from e
    except (OSError, KombuError) as e:  # the broker cannot be reached
        raise fail(
            QueueUnavailableError(
                f"cannot reach the job queue ({type(e).__name__})",
                hint="is RabbitMQ up, and MEDIAPROOF_BROKER_URL right?",
            )
        ) from e
    err_console.print(
        f"mediaproof: worker on queue {topo.queue} (dead letters: {topo.dead_queue}), "
        f"{concurrency} at once"
    )
    from mediaproof.observability.logs import configure_logging

    # only now, when the worker really starts: our lines (with the job's request id) in
    # the instance's log format
    configure_logging(log_level.upper(), settings.log_format)
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--loglevel={log_level.upper()}",
            f"--queues={topo.queue}",
            f"--hostname={name or 'mediaproof@' + socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
