"""Contributions to the exchange's collections: signals peers submitted, pending review
(docs/exchange.md, "Contributions"). Each row is also the audit record of the
submission (token, account, time) and of its review (who, when, why)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql import tables_exchange as _collections  # noqa: F401  (FK target)
from mediaproof.storage.sql.tables import Base

TS = DateTime(timezone=True)


class ExchangeContributionRow(Base):
    __tablename__ = "exchange_contributions"
    __table_args__ = (
        Index("ix_exchange_contributions_status", "status", "collection_id"),
        Index("ix_exchange_contributions_signal", "collection_id", "signal_type", "digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("exchange_collections.id"))
    contributor: Mapped[str] = mapped_column(String(200))  # the peer account's name
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signal_type: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the value
    value: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    tags: Mapped[str] = mapped_column(Text, default="")  # space-separated
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text)  # scrubbed
    status: Mapped[str] = mapped_column(String(20))  # pending | accepted | rejected
    submitted_at: Mapped[dt.datetime] = mapped_column(TS)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the feed row, once accepted
