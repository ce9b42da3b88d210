"""Prometheus metrics (``GET /metrics``, docs/deploy.md "Metrics and logs").

Two kinds:

- **this process's**, recorded as things happen: request latency by route and lookup
  latency by signal, in this module's registry (plus the process's CPU and memory);
- **the instance's**, read from the database at each scrape (:class:`InstanceGauges`):
  jobs by status, the age of the oldest queued job, how long recent jobs took, the log
  outbox backlog. They are the same whichever process is scraped. The fingerprint
  index's lag is this process's own (each API process holds its own index).

Every ``mediaproof serve`` is one process and one scrape target; nothing is recorded in
its analysis worker processes, which only compute, so no shared multiprocess directory is
needed. Labels are route templates and signal names only: never a path with ids in it,
an address, a user or a file name.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

HTTP_LATENCY = Histogram(
    "mediaproof_http_request_duration_seconds",
    "Time from a request's start to its answer's end, by route template, method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
LOOKUP_LATENCY = Histogram(
    "mediaproof_lookup_duration_seconds",
    "Time of one fingerprint index lookup (find_near), by signal",
    ["signal"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
    registry=REGISTRY,
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_LATENCY.labels(route=route, method=method, status=str(status)).observe(seconds)


@contextmanager
def timed_lookup(signal: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        LOOKUP_LATENCY.labels(signal=signal).observe(time.perf_counter() - start)


@dataclass(frozen=True)
class InstanceGauges:
    """What the database says at scrape time, and this process's index."""

    jobs_by_status: dict[str, int] = field(default_factory=dict)
    oldest_queued_age_s: float = 0.0
    # (kind, quantile) -> seconds from queued to finished, over jobs still kept
    job_duration_quantiles: dict[tuple[str, str], float] = field(default_factory=dict)
    jobs_finished_kept: dict[str, int] = field(default_factory=dict)
    log_outbox_backlog: int = 0
    index_rows_behind: int | None = None  # None: this process holds no index
    index_hashes: int | None = None


class _Families(Collector):
    def __init__(self, g: InstanceGauges) -> None:
        self.g = g

    def collect(self) -> Iterator[GaugeMetricFamily]:
        g = self.g
        jobs = GaugeMetricFamily(
            "mediaproof_jobs", "Jobs in the instance's database, by status", labels=["status"]
        )
        for status in ("queued", "running", "done", "failed"):
            jobs.add_metric([status], g.jobs_by_status.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            "mediaproof_jobs_oldest_queued_age_seconds",
            "How long the oldest queued job has waited (0: none waiting)",
            value=g.oldest_queued_age_s,
        )
        dur = GaugeMetricFamily(
            "mediaproof_job_duration_seconds",
            "Time from queued to finished of the finished jobs still kept "
            "(MEDIAPROOF_SERVICE_JOB_KEEP_S), by kind and quantile",
            labels=["kind", "quantile"],
        )
        for (kind, q), v in sorted(g.job_duration_quantiles.items()):
            dur.add_metric([kind, q], v)
        yield dur
        kept = GaugeMetricFamily(
            "mediaproof_jobs_finished_kept",
            "Finished jobs still kept, by kind (the population of the quantiles)",
            labels=["kind"],
        )
        for kind, n in sorted(g.jobs_finished_kept.items()):
            kept.add_metric([kind], n)
        yield kept
        yield GaugeMetricFamily(
            "mediaproof_log_outbox_backlog",
            "Transparency log leaves staged in the database and not in the log yet",
            value=g.log_outbox_backlog,
        )
        if g.index_rows_behind is not None:
            yield GaugeMetricFamily(
                "mediaproof_index_rows_behind",
                "Fingerprint rows in the database after the last one this process's index has read",
                value=g.index_rows_behind,
            )
        if g.index_hashes is not None:
            yield GaugeMetricFamily(
                "mediaproof_index_hashes",
                "Hashes in this process's fingerprint index",
                value=g.index_hashes,
            )


def render(instance: InstanceGauges) -> bytes:
    """The exposition text: this process's metrics, then the instance's."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Families(instance))
    return generate_latest(REGISTRY) + generate_latest(scrape)
