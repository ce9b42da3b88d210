"""Read-only figures for operations (the instance's Prometheus gauges): jobs by status and
age, how long recent jobs took, fingerprint rows after a given one. Counts and times only:
no job id, owner or parameter leaves this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables import AssetRow
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
from mediaproof.storage.sql.tables_jobs import JobRow
from mediaproof.storage.sql.times import aware

# the newest finished jobs the duration quantiles are taken over
MAX_FINISHED = 10_000


@dataclass(frozen=True)
class JobFigures:
    by_status: dict[str, int]
    oldest_queued: dt.datetime | None
    # (kind, seconds from created to finished) of the newest finished jobs
    durations: list[tuple[str, float]]


class OpsRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def job_figures(self) -> JobFigures:
        by_status = {
            str(status): int(n)
            for status, n in self.s.execute(
                select(JobRow.status, func.count()).group_by(JobRow.status)
            ).all()
        }
        oldest = self.s.execute(
            select(func.min(JobRow.created_at)).where(JobRow.status == "queued")
        ).scalar_one_or_none()
        rows = self.s.execute(
            select(JobRow.kind, JobRow.created_at, JobRow.finished_at)
            .where(JobRow.finished_at.is_not(None))
            .order_by(JobRow.finished_at.desc())
            .limit(MAX_FINISHED)
        ).all()
        durations = [
            (str(kind), max(0.0, (aware(end) - aware(start)).total_seconds()))
            for kind, start, end in rows
            if start is not None and end is not None
        ]
        return JobFigures(by_status, aware(oldest) if oldest else None, durations)

    def fingerprint_rows_after(self, row_id: int, signals: Sequence[str]) -> int:
        """Rows an index that has read up to ``row_id`` has still to read: of active
        assets, of ``signals``, after it (the filter of the index's own catch-up)."""
        n = self.s.execute(
            select(func.count())
            .select_from(FingerprintRow)
            .join(AssetRow, AssetRow.id == FingerprintRow.asset_id)
            .where(FingerprintRow.id > row_id)
            .where(FingerprintRow.signal.in_(signals))
            .where(AssetRow.status == "active")
        ).scalar_one()
        return int(n)
