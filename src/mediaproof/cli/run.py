"""`mediaproof run`: the instance's singletons, each as a process of its own.

`run log-writer` lands staged transparency-log entries and publishes checkpoints;
`run scheduler` starts the exchange pulls on their schedule. Each runs until SIGTERM or
Ctrl-C. Start one of each per instance (deploy/compose.yaml, deploy/k8s): a second one
stands by (a database lock keeps it idle) and takes over when the first is gone.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from mediaproof.cli.common import HomeOption, err_console, instance
from mediaproof.config import load_settings

app = typer.Typer(
    help="Run one of the instance's singletons (the log writer, the exchange scheduler).",
    no_args_is_help=True,
)

IntervalOption = Annotated[
    float,
    typer.Option("--interval", min=0.1, max=86400.0, help="Seconds between rounds."),
]


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _logging(home: Path | None, level: str) -> None:
    from mediaproof.observability.logs import configure_logging

    settings = load_settings(home)
    configure_logging(level.upper(), settings.log_format)


@app.command("log-writer")
def log_writer(
    interval: IntervalOption = 5.0,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    home: HomeOption = None,
) -> None:
    """Land transparency-log entries the other processes left staged, sign checkpoints
    and publish them (one writer per instance; another waits as a standby)."""
    from mediaproof.services.log_writer import run_log_writer

    _logging(home, log_level)
    stop = _stop_on_signals()
    with instance(home) as inst:
        err_console.print(f"mediaproof: log writer, every {interval:g} s")
        run_log_writer(inst, interval, stop)


@app.command("scheduler")
def scheduler(
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            min=1.0,
            max=86400.0,
            help="Seconds between pull rounds (default: MEDIAPROOF_SERVICE_EXCHANGE_PULL_"
            "INTERVAL_S, or 300 when that is 0, as it is on API replicas).",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    home: HomeOption = None,
) -> None:
    """Pull every exchange peer on schedule (one scheduler per instance; another waits as
    a standby). With a job queue configured the pulls run on the workers."""
    from mediaproof.services.exchange_pull import PullScheduler

    _logging(home, log_level)
    stop = _stop_on_signals()
    with instance(home) as inst:
        every = interval or inst.settings.service.exchange_pull_interval_s or 300.0
        enqueue: Callable[[], object] | None = None
        if inst.settings.broker_url is not None:
            # the pulls run on the workers (services.queued_rounds), as from `serve`
            from mediaproof.queue.publish import Publisher
            from mediaproof.services.queued_rounds import EXCHANGE_PULL, RoundQueue

            rounds = RoundQueue(inst.db, Publisher(inst.settings))
            enqueue = lambda: rounds(EXCHANGE_PULL)  # noqa: E731

        puller = PullScheduler(inst, every, enqueue=enqueue)
        err_console.print(f"mediaproof: exchange scheduler, every {every:g} s")
        puller.start()
        try:
            stop.wait()
        finally:
            puller.stop()
