"""Repository for stored fingerprints (rows <-> FingerprintEntry records)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.storage.sql.tables import AssetRow
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow


def _entry(row: FingerprintRow) -> FingerprintEntry:
    return FingerprintEntry(
        signal=row.signal,
        value=row.value,
        digest=row.digest,
        quality=row.quality,
        variant=row.variant,
        frame=row.frame,
        frames_total=row.frames_total,
        pipeline=row.pipeline,
    )


class FingerprintRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, asset_id: int, entries: Iterable[FingerprintEntry]) -> int:
        rows = [
            FingerprintRow(
                asset_id=asset_id,
                signal=e.signal,
                value=e.value,
                digest=e.digest,
                quality=e.quality,
                variant=e.variant,
                frame=e.frame,
                frames_total=e.frames_total,
                pipeline=e.pipeline,
            )
            for e in entries
        ]
        self.s.add_all(rows)
        self.s.flush()
        return len(rows)

    def since(
        self, after_id: int, signals: Sequence[str], batch: int = 50_000
    ) -> Iterator[tuple[int, int, FingerprintEntry]]:
        """(row id, asset id, entry) of active assets' rows with id > ``after_id``."""
        last = after_id
        while True:
            rows = (
                self.s.execute(
                    select(FingerprintRow)
                    .join(AssetRow, AssetRow.id == FingerprintRow.asset_id)
                    .where(FingerprintRow.id > last)
                    .where(FingerprintRow.signal.in_(signals))
                    .where(AssetRow.status == "active")
                    .order_by(FingerprintRow.id)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            for r in rows:
                yield r.id, r.asset_id, _entry(r)
            last = rows[-1].id

    def inactive_asset_ids(self) -> set[int]:
        """Assets whose fingerprints must not be served (withdrawn, or any status other
        than active) and that have fingerprints."""
        return set(
            self.s.scalars(
                select(AssetRow.id)
                .where(AssetRow.status != "active")
                .where(
                    select(FingerprintRow.id).where(FingerprintRow.asset_id == AssetRow.id).exists()
                )
            )
        )

    def for_asset(self, asset_id: int) -> list[FingerprintEntry]:
        rows = self.s.scalars(
            select(FingerprintRow)
            .where(FingerprintRow.asset_id == asset_id)
            .order_by(FingerprintRow.id)
        )
        return [_entry(r) for r in rows]
