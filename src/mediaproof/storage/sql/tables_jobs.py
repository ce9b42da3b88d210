"""Background jobs and the pictures that go with their results, shared by every API
process and worker of an instance (issue 20: no state in a process)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql.tables import Base, utcnow


class JobRow(Base):
    """One background analysis. ``id``: the SHA-256 (hex) of the job's public id, which
    is the capability to read it and is stored nowhere. ``runner``: ``local`` (a thread
    of the API process that took it, which keeps ``heartbeat_at`` fresh) or ``queue`` (a
    worker, through the broker); ``owner``: which process holds a local job
    (``host:pid:token``). ``input_blob``: the upload in the job blob store (queued
    jobs only), deleted when the job ends. ``result`` and ``error`` are JSON;
    ``attempts`` counts starts (a job whose worker died is started again); ``last_try``:
    the broker will not deliver it again (its delivery limit is reached)."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status", "status"),
        Index("ix_jobs_finished_at", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    runner: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    stage: Mapped[str] = mapped_column(String(60), default="waiting")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    input_blob: Mapped[str | None] = mapped_column(String(64), nullable=True)
    params: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_try: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # a job split into parts (docs/queue.md, "Long media in parts"): how many; which part's
    # task claimed the combine step (one claim, by a guarded UPDATE); how many times the
    # combine was started (1, unless the claimer died in it and its part was redelivered)
    parts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    combiner: Mapped[int | None] = mapped_column(Integer, nullable=True)
    combines: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class JobPartRow(Base):
    """One part of a job split into parts, keyed by (job, part number): ``span`` says
    which range of the media it reads (JSON), ``result`` what it read (JSON), written
    once (a guarded UPDATE), so a part delivered twice is not counted twice.
    ``attempts`` counts its starts; ``last_try``: the broker will not deliver it again."""

    __tablename__ = "job_parts"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    span: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_try: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ResultImageRow(Base):
    """A picture (PNG) that goes with a verify result, by its random, unguessable token;
    the bytes are in the job blob store under ``blob`` (several tokens may share one)."""

    __tablename__ = "result_images"
    __table_args__ = (Index("ix_result_images_expires_at", "expires_at"),)

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    blob: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
