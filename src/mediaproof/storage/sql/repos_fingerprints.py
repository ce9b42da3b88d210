"""Repository for stored fingerprints (rows <-> FingerprintEntry records)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from mediaproof.matching.lookup import FingerprintEntry, variant_code
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


@dataclass
class FingerprintColumns:
    """One batch of rows as columns (hash rows) plus the audio rows, for bulk loading:
    no ORM object per row. None becomes -1 (quality, frame, frames_total) or 0
    (variant)."""

    ids: NDArray[np.int64]
    asset_ids: NDArray[np.int64]
    signal: NDArray[np.str_]
    values: NDArray[np.uint8]  # (n, 32)
    quality: NDArray[np.int16]
    variant: NDArray[np.int8]
    frame: NDArray[np.int32]
    frames_total: NDArray[np.int32]
    audio: list[tuple[int, int, bytes]]  # (row id, asset id, items)
    last_id: int = 0  # the last row read (rows skipped as malformed included)

    @classmethod
    def concat(cls, parts: Sequence[FingerprintColumns]) -> FingerprintColumns:
        """One batch of the hash rows of many (audio rows are not carried over)."""
        return cls(
            ids=np.concatenate([p.ids for p in parts]),
            asset_ids=np.concatenate([p.asset_ids for p in parts]),
            signal=np.concatenate([p.signal for p in parts]),
            values=np.concatenate([p.values for p in parts]),
            quality=np.concatenate([p.quality for p in parts]),
            variant=np.concatenate([p.variant for p in parts]),
            frame=np.concatenate([p.frame for p in parts]),
            frames_total=np.concatenate([p.frames_total for p in parts]),
            audio=[],
            last_id=max((p.last_id for p in parts), default=0),
        )


def _active() -> object:
    # "not active" as two ranges, so the (status, id) index answers it
    return or_(AssetRow.status < "active", AssetRow.status > "active")


_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


def _active_batch(q: _Q, after_id: int, signals: Sequence[str], batch: int) -> _Q:
    """``q`` limited to the next ``batch`` rows of ``signals`` after ``after_id``, in id
    order, of active assets only (what the index loads)."""
    return (
        q.join(AssetRow, AssetRow.id == FingerprintRow.asset_id)
        .where(FingerprintRow.id > after_id)
        .where(FingerprintRow.signal.in_(signals))
        .where(AssetRow.status == "active")
        .order_by(FingerprintRow.id)
        .limit(batch)
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
                self.s.execute(_active_batch(select(FingerprintRow), last, signals, batch))
                .scalars()
                .all()
            )
            if not rows:
                return
            for r in rows:
                yield r.id, r.asset_id, _entry(r)
            last = rows[-1].id

    def columns_since(
        self, after_id: int, signals: Sequence[str], batch: int = 50_000
    ) -> Iterator[FingerprintColumns]:
        """Rows of active assets with id > ``after_id``, in id order, as columns."""
        last = after_id
        while True:
            q = select(
                FingerprintRow.id, FingerprintRow.asset_id, FingerprintRow.signal,
                FingerprintRow.value, FingerprintRow.quality, FingerprintRow.variant,
                FingerprintRow.frame, FingerprintRow.frames_total,
            )  # fmt: skip
            rows = self.s.execute(_active_batch(q, last, signals, batch)).all()
            if not rows:
                return
            last = rows[-1][0]
            hashes = [r for r in rows if r[2] != "chromaprint" and r[3] is not None
                      and len(r[3]) == 32]  # fmt: skip
            n = len(hashes)
            yield FingerprintColumns(
                ids=np.fromiter((r[0] for r in hashes), np.int64, n),
                asset_ids=np.fromiter((r[1] for r in hashes), np.int64, n),
                signal=np.array([r[2] for r in hashes], dtype="U8").reshape(n),
                values=np.frombuffer(b"".join(r[3] or b"" for r in hashes), np.uint8)
                .reshape(n, 32),
                quality=np.fromiter((-1 if r[4] is None else r[4] for r in hashes), np.int16, n),
                variant=np.fromiter((variant_code(r[5]) for r in hashes), np.int8, n),
                frame=np.fromiter((-1 if r[6] is None else r[6] for r in hashes), np.int32, n),
                frames_total=np.fromiter(
                    (-1 if r[7] is None else r[7] for r in hashes), np.int32, n
                ),
                audio=[(r[0], r[1], r[3]) for r in rows if r[2] == "chromaprint" and r[3]],
                last_id=last,
            )

    def asset_of_row(self, row_id: int) -> int | None:
        """The asset of one row (a snapshot's anchor: same row, same asset, same database)."""
        return self.s.scalar(select(FingerprintRow.asset_id).where(FingerprintRow.id == row_id))

    def active_assets_by_digest(self, digest: str) -> list[int]:
        return sorted(
            set(
                self.s.scalars(
                    select(FingerprintRow.asset_id)
                    .join(AssetRow, AssetRow.id == FingerprintRow.asset_id)
                    .where(FingerprintRow.digest == digest)
                    .where(FingerprintRow.signal == "md5")
                    .where(AssetRow.status == "active")
                )
            )
        )

    def inactive_asset_ids(self) -> set[int]:
        """Assets whose fingerprints must not be served (withdrawn, or any status other
        than active). An index-only read of ``ix_assets_status_id`` (migration 0014):
        its cost follows the number of inactive assets, not the size of the registry."""
        return set(self.s.scalars(select(AssetRow.id).where(_active())))  # type: ignore[arg-type]

    def for_asset(self, asset_id: int) -> list[FingerprintEntry]:
        rows = self.s.scalars(
            select(FingerprintRow)
            .where(FingerprintRow.asset_id == asset_id)
            .order_by(FingerprintRow.id)
        )
        return [_entry(r) for r in rows]
