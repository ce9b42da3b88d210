"""Prometheus metrics of one matcher replica (``GET /metrics`` of ``matcher serve``,
docs/matchers.md "Metrics").

As in :mod:`mediaproof.observability.metrics`: what happens is recorded as it happens
(lookups by signal and outcome, their latency), what the replica is is read at each
scrape (:class:`MatcherGauges`: the change applied, the lag, the snapshot's age, the
index's size). Each replica keeps its own registry (one per app), so two replicas in one
process (tests) do not add up. Labels are the signal, the outcome and the shard only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# the API's lookup histogram's buckets (observability.metrics), so the two compare
LOOKUP_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
OUTCOMES = ("ok", "busy", "error")  # a malformed request (422) is no lookup


@dataclass(frozen=True)
class MatcherGauges:
    """What a replica is at scrape time."""

    shard: int
    ready: bool
    applied_seq: int  # the last change of the change sequence applied
    newest_seq: int | None  # the database's newest change (None: it did not answer)
    caught_up_age_s: float | None  # since the last successful poll (None: never)
    snapshot_age_s: float | None  # since the served snapshot was built (None: none)
    index_bytes: int
    index_hashes: int


class _Families(Collector):
    def __init__(self, g: MatcherGauges) -> None:
        self.g = g

    def collect(self) -> Iterator[GaugeMetricFamily]:
        g = self.g
        shard = [str(g.shard)]

        def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
            fam = GaugeMetricFamily(name, text, labels=["shard"])
            fam.add_metric(shard, value)
            return fam

        yield gauge("mediaproof_matcher_ready", "1 while the replica is caught up", g.ready)
        yield gauge(
            "mediaproof_matcher_applied_seq",
            "The last change (index_changes seq) this replica has applied",
            g.applied_seq,
        )
        if g.newest_seq is not None:
            yield gauge(
                "mediaproof_matcher_changes_behind",
                "Changes in the database this replica has not applied yet (its lag)",
                max(0, g.newest_seq - g.applied_seq),
            )
        if g.caught_up_age_s is not None:
            yield gauge(
                "mediaproof_matcher_caught_up_age_seconds",
                "Time since this replica last caught up with the change sequence",
                g.caught_up_age_s,
            )
        if g.snapshot_age_s is not None:
            yield gauge(
                "mediaproof_matcher_snapshot_age_seconds",
                "Time since the snapshot this replica serves was built",
                g.snapshot_age_s,
            )
        yield gauge(
            "mediaproof_matcher_index_bytes",
            "Bytes of this replica's index (memory-mapped snapshot arrays and heap alike)",
            g.index_bytes,
        )
        yield gauge(
            "mediaproof_matcher_index_hashes", "Hashes this replica serves", g.index_hashes
        )


class MatcherMetrics:
    """The lookup counter and latency histogram of one replica, and its exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.lookups = Counter(
            "mediaproof_matcher_lookups",
            "Lookups this replica answered, by signal and outcome "
            "(ok; busy: not caught up, 503; error: 500)",
            ["signal", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mediaproof_matcher_lookup_duration_seconds",
            "Time of one lookup in this replica's index, by signal (answered ones)",
            ["signal"],
            buckets=LOOKUP_BUCKETS,
            registry=self.registry,
        )
        for signal in ("pdq", "vpdq"):  # every series exists from the start, at 0
            for outcome in OUTCOMES:
                self.lookups.labels(signal=signal, outcome=outcome)

    def count(self, signal: str, outcome: str) -> None:
        self.lookups.labels(signal=signal, outcome=outcome).inc()

    @contextmanager
    def timed(self, signal: str) -> Iterator[None]:
        """Times the block and counts it ``ok``; an exception is left to the caller to
        count (it knows the outcome)."""
        start = time.perf_counter()
        yield
        self.latency.labels(signal=signal).observe(time.perf_counter() - start)
        self.count(signal, "ok")

    def render(self, gauges: MatcherGauges) -> bytes:
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Families(gauges))
        return generate_latest(self.registry) + generate_latest(scrape)
