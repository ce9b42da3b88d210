"""Repository for the parts of jobs split into parts (tables_jobs.JobPartRow).

Like the jobs themselves, every step is one guarded UPDATE: a part's result is written
once (``WHERE status != 'done'``), and the combine step is claimed once per job
(``WHERE combiner IS NULL`` and every part done), so two parts that finish at the same
moment cannot both combine, and a part delivered twice is not counted twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, exists, func, or_, select, update

from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables_jobs import JobPartRow, JobRow


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


@dataclass(frozen=True)
class PartRecord:
    job_id: str
    idx: int
    span: dict[str, Any]
    status: str
    result: dict[str, Any] | None
    attempts: int


def _record(row: JobPartRow) -> PartRecord:
    return PartRecord(
        job_id=row.job_id,
        idx=row.idx,
        span=json.loads(row.span),
        status=row.status,
        result=json.loads(row.result) if row.result is not None else None,
        attempts=row.attempts,
    )


class JobPartRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, job_id: str, spans: Sequence[dict[str, Any]]) -> int:
        """Split running job ``job_id`` into ``spans`` (one part each), in one transaction;
        returns the number of parts. A job split already (its split step ran again after
        its worker died) keeps its parts and what they read."""
        with self.db.session() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return 0
            if row.parts is not None:
                return int(row.parts)
            for i, span in enumerate(spans):
                s.add(
                    JobPartRow(
                        job_id=job_id,
                        idx=i,
                        span=json.dumps(span, sort_keys=True),
                        status="queued",
                        attempts=0,
                        last_try=False,
                    )
                )
            row.parts = len(spans)
            return len(spans)

    def pending(self, job_id: str) -> list[int]:
        """The parts of ``job_id`` not done yet."""
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(JobPartRow.idx)
                    .where(JobPartRow.job_id == job_id, JobPartRow.status != "done")
                    .order_by(JobPartRow.idx)
                )
            )

    def get(self, job_id: str, idx: int) -> PartRecord | None:
        with self.db.session() as s:
            row = s.get(JobPartRow, (job_id, idx))
            return _record(row) if row is not None else None

    def all(self, job_id: str) -> list[PartRecord]:
        with self.db.session() as s:
            rows = s.scalars(
                select(JobPartRow).where(JobPartRow.job_id == job_id).order_by(JobPartRow.idx)
            )
            return [_record(r) for r in rows]

    def start(self, job_id: str, idx: int, *, last_try: bool = False) -> PartRecord | None:
        """Mark a part running and count the start; None when it is done already (a
        duplicate or a redelivery after it finished) or does not exist."""
        with self.db.session() as s:
            res = s.execute(
                update(JobPartRow)
                .where(
                    JobPartRow.job_id == job_id,
                    JobPartRow.idx == idx,
                    JobPartRow.status.in_(("queued", "running")),
                )
                .values(
                    status="running",
                    attempts=JobPartRow.attempts + 1,
                    last_try=last_try,
                    started_at=_now(),
                )
            )
            if _rowcount(res) != 1:
                return None
            if last_try:
                # the job's own row tells a sweeper that nothing will run this part again
                # if its worker is lost (services.jobs: fail_abandoned)
                s.execute(update(JobRow).where(JobRow.id == job_id).values(last_try=True))
            row = s.get(JobPartRow, (job_id, idx))
            assert row is not None
            s.refresh(row)
            return _record(row)

    def finish(self, job_id: str, idx: int, result: dict[str, Any]) -> bool:
        """Record what part ``idx`` read; True when this call wrote it, False when another
        delivery of the same part wrote it first."""
        with self.db.session() as s:
            res = s.execute(
                update(JobPartRow)
                .where(
                    JobPartRow.job_id == job_id,
                    JobPartRow.idx == idx,
                    JobPartRow.status != "done",
                )
                .values(
                    status="done",
                    result=json.dumps(result, sort_keys=True),
                    last_try=False,
                    finished_at=_now(),
                )
            )
            wrote = _rowcount(res) == 1
            self._sync_last_try(s, job_id)
            return wrote

    def count(self, job_id: str) -> int:
        with self.db.session() as s:
            n = s.scalar(
                select(func.count()).select_from(JobPartRow).where(JobPartRow.job_id == job_id)
            )
            return int(n or 0)

    def done_count(self, job_id: str) -> int:
        with self.db.session() as s:
            n = s.scalar(
                select(func.count())
                .select_from(JobPartRow)
                .where(JobPartRow.job_id == job_id, JobPartRow.status == "done")
            )
            return int(n or 0)

    def sync_last_try(self, job_id: str) -> None:
        with self.db.session() as s:
            self._sync_last_try(s, job_id)

    @staticmethod
    def _sync_last_try(s: Any, job_id: str) -> None:
        """The job is on its last try while one of its parts runs on its own last try."""
        on_last = exists().where(
            JobPartRow.job_id == job_id,
            JobPartRow.status == "running",
            JobPartRow.last_try.is_(True),
        )
        s.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status.in_(("queued", "running")))
            .values(last_try=on_last)
        )

    def claim_combine(
        self, job_id: str, idx: int, *, retake: bool = False, last_try: bool = False
    ) -> bool:
        """Claim the combine step of ``job_id`` for part ``idx``: True for exactly one
        caller once every part is done. ``retake``: part ``idx`` was delivered again (its
        worker died), so a claim it held already is taken again. ``last_try``: the broker
        will not deliver this part again, so the job's row says so while it combines."""
        values: dict[str, Any] = {
            "combiner": idx,
            "combines": JobRow.combines + 1,
            "stage": "combining",
        }
        if last_try:
            values["last_try"] = True
        done = (
            select(func.count())
            .select_from(JobPartRow)
            .where(JobPartRow.job_id == job_id, JobPartRow.status == "done")
            .scalar_subquery()
        )
        free: ColumnElement[bool] = JobRow.combiner.is_(None)
        if retake:
            free = or_(free, JobRow.combiner == idx)
        with self.db.session() as s:
            res = s.execute(
                update(JobRow)
                .where(
                    and_(
                        JobRow.id == job_id,
                        JobRow.status == "running",
                        JobRow.parts.is_not(None),
                        JobRow.parts == done,
                        free,
                    )
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return _rowcount(res) == 1

    def combines(self, job_id: str) -> int:
        with self.db.session() as s:
            n = s.scalar(select(JobRow.combines).where(JobRow.id == job_id))
            return int(n or 0)
