"""Repository for background jobs and result images (tables_jobs).

Every change that moves a job along is one guarded UPDATE (``WHERE status IN ...``), so
two processes that race over one job (a redelivered job whose first worker still runs, two
API processes) cannot both finish it: exactly one result is ever written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update

from mediaproof.errors import BusyError
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables_jobs import JobPartRow, JobRow, ResultImageRow

PENDING = ("queued", "running")
TERMINAL = ("done", "failed")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class JobRecord:
    id: str
    kind: str
    runner: str
    status: str
    stage: str
    progress: float
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    input_blob: str | None
    params: dict[str, Any]
    attempts: int
    last_try: bool


def _record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        runner=row.runner,
        status=row.status,
        stage=row.stage,
        progress=row.progress,
        result=json.loads(row.result) if row.result is not None else None,
        error=json.loads(row.error) if row.error is not None else None,
        input_blob=row.input_blob,
        params=json.loads(row.params) if row.params else {},
        attempts=row.attempts,
        last_try=row.last_try,
    )


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class JobRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        job_id: str,
        kind: str,
        runner: str,
        *,
        max_pending: int,
        input_blob: str | None = None,
        params: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> JobRecord:
        """A new queued job; :class:`BusyError` when ``max_pending`` jobs of the whole
        instance are already queued or running (a soft bound: processes that create at
        the same moment may pass it by a few)."""
        now = _now()
        with self.db.session() as s:
            pending = s.scalar(
                select(func.count()).select_from(JobRow).where(JobRow.status.in_(PENDING))
            )
            if (pending or 0) >= max_pending:
                raise BusyError("too many analyses are waiting; try again in a few minutes")
            row = JobRow(
                id=job_id,
                kind=kind,
                runner=runner,
                owner=owner,
                status="queued",
                stage="waiting",
                progress=0.0,
                input_blob=input_blob,
                params=json.dumps(params, sort_keys=True) if params else None,
                attempts=0,
                last_try=False,
                created_at=now,
                heartbeat_at=now if runner == "local" else None,
            )
            s.add(row)
            s.flush()
            return _record(row)

    def pending_of_kind(self, kind: str) -> int:
        """Jobs of ``kind`` queued or running (a background round waiting already)."""
        with self.db.session() as s:
            n = s.scalar(
                select(func.count())
                .select_from(JobRow)
                .where(JobRow.kind == kind, JobRow.status.in_(PENDING))
            )
            return int(n or 0)

    def get(self, job_id: str) -> JobRecord | None:
        with self.db.session() as s:
            row = s.get(JobRow, job_id)
            return _record(row) if row is not None else None

    def start(self, job_id: str, *, last_try: bool = False) -> JobRecord | None:
        """Mark a job running and count the attempt; None when it has already ended (a
        redelivered job that finished: nothing to do) or does not exist (expired).
        ``last_try``: the broker will not hand this job out again."""
        now = _now()
        with self.db.session() as s:
            done = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(PENDING))
                .values(
                    status="running",
                    attempts=JobRow.attempts + 1,
                    last_try=last_try,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
            if _rowcount(done) != 1:
                return None
            row = s.get(JobRow, job_id)
            assert row is not None
            s.refresh(row)
            return _record(row)

    def progress(self, job_id: str, stage: str, fraction: float) -> None:
        """Progress never goes back (a restarted job keeps what it had shown)."""
        with self.db.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == "running")
                .values(
                    stage=stage[:60],
                    progress=func.max(JobRow.progress, min(max(fraction, 0.0), 1.0))
                    if self.db.engine.dialect.name == "sqlite"
                    else func.greatest(JobRow.progress, min(max(fraction, 0.0), 1.0)),
                    heartbeat_at=_now(),
                )
            )

    def finish(
        self,
        job_id: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """End a job with its result or its error; True when this call ended it, False
        when it had already ended (another attempt won) or is gone."""
        values: dict[str, Any] = {"finished_at": _now()}
        if error is not None:
            values.update(status="failed", error=json.dumps(error, sort_keys=True))
        else:
            values.update(
                status="done",
                stage="done",
                progress=1.0,
                result=json.dumps(result if result is not None else {}, sort_keys=True),
            )
        with self.db.session() as s:
            res = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_(PENDING))
                .values(**values)
            )
            return _rowcount(res) == 1

    def heartbeat(self, job_ids: Sequence[str]) -> None:
        if not job_ids:
            return
        with self.db.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id.in_(list(job_ids)), JobRow.status.in_(PENDING))
                .values(heartbeat_at=_now())
            )

    def fail_abandoned(self, older_than: dt.datetime, error: dict[str, Any]) -> list[JobRecord]:
        """Fail jobs nothing will ever run again: local jobs whose process stopped keeping
        them alive (it was stopped or killed), and queued jobs whose last try the broker
        allows lost its worker without anyone recording it (the whole worker was killed;
        the broker dead-lettered the job). Other queued jobs are the broker's to hand to
        another worker, however long that takes, so they are not touched here. Returns
        the jobs this call failed (as they were before)."""
        abandoned = and_(
            or_(
                and_(JobRow.runner == "local", JobRow.status.in_(PENDING)),
                and_(JobRow.status == "running", JobRow.last_try.is_(True)),
            ),
            JobRow.heartbeat_at < older_than,
        )
        with self.db.session() as s:
            rows = s.scalars(select(JobRow).where(abandoned)).all()
            if not rows:
                return []
            failed = []
            for row in rows:
                # the guard again, row by row: a job that ended meanwhile is left alone
                res = s.execute(
                    update(JobRow)
                    .where(JobRow.id == row.id, abandoned)
                    .values(
                        status="failed",
                        error=json.dumps(error, sort_keys=True),
                        finished_at=_now(),
                    )
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(res):
                    failed.append(_record(row))
            return failed

    def local_owners(self, prefix: str) -> list[str]:
        """Owners (starting with ``prefix``) of local jobs not yet ended."""
        with self.db.session() as s:
            return sorted(
                o
                for o in s.scalars(
                    select(JobRow.owner)
                    .where(
                        JobRow.runner == "local",
                        JobRow.status.in_(PENDING),
                        JobRow.owner.startswith(prefix, autoescape=True),
                    )
                    .distinct()
                )
                if o is not None
            )

    def fail_owner(self, owner: str, error: dict[str, Any]) -> int:
        """Fail the local jobs of a process known to be gone."""
        with self.db.session() as s:
            res = s.execute(
                update(JobRow)
                .where(
                    JobRow.runner == "local",
                    JobRow.owner == owner,
                    JobRow.status.in_(PENDING),
                )
                .values(
                    status="failed", error=json.dumps(error, sort_keys=True), finished_at=_now()
                )
            )
            return _rowcount(res)

    def clear_input(self, job_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(input_blob=None))

    def expire(self, finished_before: dt.datetime) -> list[str]:
        """Delete jobs that ended before ``finished_before``; returns the input blobs
        they still named, for the caller to delete."""
        with self.db.session() as s:
            rows = s.execute(
                select(JobRow.id, JobRow.input_blob).where(
                    JobRow.status.in_(TERMINAL), JobRow.finished_at < finished_before
                )
            ).all()
            if rows:
                ids = [r.id for r in rows]
                s.execute(delete(JobPartRow).where(JobPartRow.job_id.in_(ids)))
                s.execute(delete(JobRow).where(JobRow.id.in_(ids)))
            return [r.input_blob for r in rows if r.input_blob]

    def input_in_use(self, blob: str) -> bool:
        with self.db.session() as s:
            n = s.scalar(select(func.count()).select_from(JobRow).where(JobRow.input_blob == blob))
            return bool(n)


class ResultImageRepo:
    """Tokens of result images, expiring; bounded in count and bytes (oldest go first)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self,
        token: str,
        blob: str,
        size: int,
        expires_at: dt.datetime,
        *,
        max_images: int,
        max_bytes: int,
    ) -> list[str]:
        """Name ``blob`` by ``token``; returns the blobs no token names any more (after
        the expired and the over-bound oldest were dropped), for the caller to delete."""
        now = _now()
        with self.db.session() as s:
            s.add(
                ResultImageRow(
                    token=token, blob=blob, size=size, created_at=now, expires_at=expires_at
                )
            )
            s.flush()
            gone = list(
                s.scalars(select(ResultImageRow.token).where(ResultImageRow.expires_at <= now))
            )
            kept = s.execute(
                select(ResultImageRow.token, ResultImageRow.size)
                .where(ResultImageRow.expires_at > now)
                .order_by(ResultImageRow.created_at.desc(), ResultImageRow.token)
            ).all()
            total = 0
            for i, r in enumerate(kept):
                total += r.size
                if r.token != token and (i >= max_images or total > max_bytes):
                    gone.append(r.token)
            return self._drop(s, gone)

    def get(self, token: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(
                select(ResultImageRow.blob).where(
                    ResultImageRow.token == token, ResultImageRow.expires_at > _now()
                )
            )

    def expire(self) -> list[str]:
        with self.db.session() as s:
            gone = list(
                s.scalars(select(ResultImageRow.token).where(ResultImageRow.expires_at <= _now()))
            )
            return self._drop(s, gone)

    @staticmethod
    def _drop(s: Any, tokens: list[str]) -> list[str]:
        if not tokens:
            return []
        blobs = set(s.scalars(select(ResultImageRow.blob).where(ResultImageRow.token.in_(tokens))))
        s.execute(delete(ResultImageRow).where(ResultImageRow.token.in_(tokens)))
        still = set(
            s.scalars(select(ResultImageRow.blob).where(ResultImageRow.blob.in_(list(blobs))))
        )
        return sorted(blobs - still)
