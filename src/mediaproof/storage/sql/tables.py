"""Database tables. These are storage rows, never API schemas: services map them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class AssetRow(Base):
    """A registered original: what was published, by whom, with which credentials."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    title: Mapped[str] = mapped_column(String(500))
    author: Mapped[str | None] = mapped_column(String(300), nullable=True)
    source_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    signer_subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    signer_issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    manifest_label: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The manifest store (JUMBF) as signed, so a stripped copy can be answered with it.
    manifest_store: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Digest of the kept original in the blob store (None when originals are not kept).
    original_blob: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The random ID the asset's invisible watermark carries (None when not watermarked);
    # random rather than the row id, which is not known until after signing.
    watermark_id: Mapped[int | None] = mapped_column(
        BigInteger, nullable=True, unique=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="active")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Who published it and the digest of the file they handed in (before signing and
    # watermarking changed it): the same file from the same publisher is the same
    # release, so a retried publish returns this asset instead of making a second one.
    # NULL for registrations of existing files (their own sha256 is already unique).
    publisher: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        UniqueConstraint("publisher", "source_sha256", name="uq_assets_publisher_source"),
        # the fingerprint index's change query ("which assets are not active"), migration 0014
        Index("ix_assets_status_id", "status", "id"),
    )


class LogOutboxRow(Base):
    """A transparency-log entry staged in the transaction of the change it records.

    It exists if and only if the change committed; it is handed to the log after the
    commit (and at start-up after a crash). ``attempt_size`` is the log's size when an
    append was tried, so a retry after a crash between the append and the update below
    finds the entry already in the log instead of appending it twice.
    """

    __tablename__ = "log_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    entry_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the canonical entry, as logged
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempt_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    log_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )

    __table_args__ = (
        # "where did this leaf land?" (a screening event's log index) looks a body up by
        # equality: a hash index on PostgreSQL (no btree size limit on bytea), a plain one
        # on SQLite; migration 0024
        Index("ix_log_outbox_body", "body", postgresql_using="hash"),
    )
