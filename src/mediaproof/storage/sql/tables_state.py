"""State every API process of an instance shares (issue 20: no state in a process):
the rate-limit buckets, when they are kept in the database."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql.tables import Base


class RateBucketRow(Base):
    """One token bucket: ``tokens`` left at ``stamp`` (seconds since the epoch, by the
    database's clock on PostgreSQL so replicas on several hosts agree); ``ok``: whether
    the last take got a token (written by the same statement that took it)."""

    __tablename__ = "rate_buckets"
    __table_args__ = (Index("ix_rate_buckets_stamp", "stamp"),)

    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    client: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    stamp: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
