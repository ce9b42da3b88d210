"""Repository for the transparency log's outbox (``log_outbox``): leaves staged in the
same transaction as the records they commit to, then landed in the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables import AssetRow, LogOutboxRow


class StagedLeaf(NamedTuple):
    """A staged entry not in the log yet; ``attempt_size`` is the log's size when an
    earlier attempt to append it began (None: never tried)."""

    id: int
    body: bytes
    attempt_size: int | None


class LogOutboxRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def stage(self, *, asset_id: int | None, entry_type: str, body: bytes) -> None:
        """A leaf to land, added to the caller's transaction."""
        self.s.add(
            LogOutboxRow(
                asset_id=asset_id,
                entry_type=entry_type,
                body=body,
                created_at=dt.datetime.now(dt.UTC),
            )
        )

    def add_landed(
        self, *, asset_id: int, entry_type: str, body: bytes, index: int, at: dt.datetime
    ) -> None:
        """A leaf found already in the log at ``index``: recorded as sent."""
        self.s.add(
            LogOutboxRow(
                asset_id=asset_id,
                entry_type=entry_type,
                body=body,
                created_at=at,
                attempt_size=index,
                log_index=index,
                sent_at=at,
            )
        )

    def unsent_count(self) -> int:
        n = self.s.scalar(
            select(func.count()).select_from(LogOutboxRow).where(LogOutboxRow.sent_at.is_(None))
        )
        return int(n or 0)

    def unsent(self) -> list[StagedLeaf]:
        """Staged leaves not in the log yet, in the order they were staged."""
        rows = self.s.execute(
            select(LogOutboxRow.id, LogOutboxRow.body, LogOutboxRow.attempt_size)
            .where(LogOutboxRow.sent_at.is_(None))
            .order_by(LogOutboxRow.id)
        ).all()
        return [StagedLeaf(r.id, r.body, r.attempt_size) for r in rows]

    def mark_attempt(self, ids: list[int], size: int) -> None:
        self.s.execute(
            update(LogOutboxRow).where(LogOutboxRow.id.in_(ids)).values(attempt_size=size)
        )

    def mark_sent(self, landed: Mapping[int, int], at: dt.datetime) -> None:
        """Each staged row id with the log index it landed at."""
        for row_id, index in landed.items():
            self.s.execute(
                update(LogOutboxRow)
                .where(LogOutboxRow.id == row_id)
                .values(log_index=index, sent_at=at)
            )

    def active_assets_unlogged(self) -> list[int]:
        """Active assets with no ``asset.registered`` leaf staged or sent, by id."""
        have = select(LogOutboxRow.asset_id).where(
            LogOutboxRow.entry_type == "asset.registered", LogOutboxRow.asset_id.is_not(None)
        )
        return list(
            self.s.scalars(
                select(AssetRow.id)
                .where(AssetRow.status == "active", AssetRow.id.not_in(have))
                .order_by(AssetRow.id)
            ).all()
        )

    def log_index_by_body(self, body: bytes) -> int | None:
        """Where the staged leaf with this canonical body landed (None while it waits)."""
        idx = self.s.scalars(
            select(LogOutboxRow.log_index).where(LogOutboxRow.body == body)
        ).first()
        return int(idx) if idx is not None else None
