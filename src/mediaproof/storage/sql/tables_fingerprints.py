"""Fingerprints of registered originals: one row per hash or print."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql.tables import Base, utcnow


class FingerprintRow(Base):
    """``value``: a 32-byte PDQ hash (``pdq``: one row per dihedral variant; ``vpdq``:
    one row per distinct usable frame) or Chromaprint items as little-endian uint32
    (``chromaprint``). ``digest``: the hex MD5 of the file (``md5`` rows), indexed."""

    __tablename__ = "fingerprints"
    __table_args__ = (
        Index("ix_fingerprints_signal_id", "signal", "id"),
        Index("ix_fingerprints_asset_id", "asset_id"),
        Index("ix_fingerprints_digest", "digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(Integer, ForeignKey("assets.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(20))
    value: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    variant: Mapped[str | None] = mapped_column(String(20), nullable=True)
    frame: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frames_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pipeline: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexChangeRow(Base):
    """The change sequence the sharded matchers follow (issue 20, item 3; migration 0025).

    One row per change to what the fingerprint index serves: ``op`` ``"add"`` (an
    asset's fingerprints were stored) or ``"status"`` (an asset's status changed, e.g.
    withdrawn). A matcher applies a change by re-reading that asset's rows and status,
    so applying one twice is harmless. ``seq`` grows in commit order: on PostgreSQL a
    writer takes a transaction-level advisory lock before it adds its row (see
    ``repos_fingerprints.record_index_change``), so a reader that has seen ``seq`` n has
    seen every committed change before it. No foreign key: the row outlives its asset."""

    __tablename__ = "index_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    asset_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HashListRow(Base):
    """A named list of imported hashes (a bank from elsewhere: a file, a pull, a
    migration). Its entries have no registered original behind them."""

    __tablename__ = "hash_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HashListEntryRow(Base):
    """``value``: 32 bytes (``pdq``) or 16 (``video_md5``); category and tags as the
    file gave them (python-threatexchange's opinion category name, space-separated tags)."""

    __tablename__ = "hash_list_entries"
    __table_args__ = (
        Index("ix_hash_list_entries_signal_id", "signal_type", "id"),
        Index("ix_hash_list_entries_value", "value"),
        Index("ix_hash_list_entries_list", "list_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(Integer, ForeignKey("hash_lists.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tags: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ChangeHorizonRow(Base):
    """How far a change sequence (``index_changes``, ``case_media_changes``: ``name``) was
    pruned (migration 0028): every change with ``seq`` up to ``seq`` may be gone, so a
    follower whose place is below it must rebuild from the rows. No row: never pruned."""

    __tablename__ = "change_horizons"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    pruned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
