"""The instance's gauges for ``GET /metrics`` (mediaproof.observability.metrics): read
from the database at scrape time, so every API process reports the same figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from mediaproof.observability.metrics import InstanceGauges
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import staged_count
from mediaproof.storage.sql.repos_ops import OpsRepository

QUANTILES = (("0.5", 0.5), ("0.9", 0.9), ("0.99", 0.99))


def _quantile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank quantile of a non-empty sorted list."""
    i = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[i]


def instance_gauges(inst: Instance, now: dt.datetime | None = None) -> InstanceGauges:
    now = now or dt.datetime.now(dt.UTC)
    with inst.db.session() as s:
        figures = OpsRepository(s).job_figures()
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, seconds in figures.durations:
        by_kind[kind].append(seconds)
    quantiles: dict[tuple[str, str], float] = {}
    for kind, values in by_kind.items():
        values.sort()
        for label, q in QUANTILES:
            quantiles[(kind, label)] = _quantile(values, q)
    oldest = 0.0
    if figures.oldest_queued is not None:
        oldest = max(0.0, (now - figures.oldest_queued).total_seconds())
    behind: int | None = None
    hashes: int | None = None
    if "fingerprint_lookup" in inst.__dict__:  # this process serves fingerprint lookups
        lookup = inst.fingerprint_lookup
        behind = lookup.rows_behind()
        hashes = lookup.hash_count
    return InstanceGauges(
        jobs_by_status=figures.by_status,
        oldest_queued_age_s=oldest,
        job_duration_quantiles=quantiles,
        jobs_finished_kept={k: len(v) for k, v in by_kind.items()},
        log_outbox_backlog=staged_count(inst),
        index_rows_behind=behind,
        index_hashes=hashes,
    )
