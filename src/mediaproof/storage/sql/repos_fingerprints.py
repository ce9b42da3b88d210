"""Repository for stored fingerprints (rows <-> FingerprintEntry records)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, or_, select, text
from sqlalchemy.orm import Session

from mediaproof.matching.lookup import FingerprintEntry, variant_code
from mediaproof.storage.sql.repos_changes import check_not_pruned, horizon, last_seq
from mediaproof.storage.sql.tables import AssetRow
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow, IndexChangeRow

# pg_advisory_xact_lock key of the change sequence ("mpix")
INDEX_CHANGES_LOCK = 0x6D706978


def record_index_change(s: Session, asset_id: int, op: str) -> None:
    """Append a change to ``index_changes`` in the caller's transaction.

    PostgreSQL hands out ``seq`` values at insert, not at commit: two writers could
    commit 8 before 7, and a matcher that has read 8 would never read 7. The
    transaction-level advisory lock taken here is held until the commit, so writers of
    changes commit one after another in ``seq`` order (it is taken late in each
    transaction: a registration or a status change holds it for milliseconds). SQLite
    already runs one writer at a time."""
    bind = s.get_bind()
    if bind.dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": INDEX_CHANGES_LOCK})
    s.add(IndexChangeRow(asset_id=asset_id, op=op))
    s.flush()


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

    def subset(self, sel: NDArray[np.bool_]) -> FingerprintColumns:
        """The hash rows where ``sel`` is true (audio rows are not carried over)."""
        return FingerprintColumns(
            ids=self.ids[sel], asset_ids=self.asset_ids[sel], signal=self.signal[sel],
            values=self.values[sel], quality=self.quality[sel], variant=self.variant[sel],
            frame=self.frame[sel], frames_total=self.frames_total[sel], audio=[],
            last_id=self.last_id,
        )  # fmt: skip


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


_COLUMNS = (
    FingerprintRow.id, FingerprintRow.asset_id, FingerprintRow.signal, FingerprintRow.value,
    FingerprintRow.quality, FingerprintRow.variant, FingerprintRow.frame,
    FingerprintRow.frames_total,
)  # fmt: skip


def _columns(rows: Sequence[Any], last: int) -> FingerprintColumns:
    hashes = [r for r in rows if r[2] != "chromaprint" and r[3] is not None
              and len(r[3]) == 32]  # fmt: skip
    n = len(hashes)
    return FingerprintColumns(
        ids=np.fromiter((r[0] for r in hashes), np.int64, n),
        asset_ids=np.fromiter((r[1] for r in hashes), np.int64, n),
        signal=np.array([r[2] for r in hashes], dtype="U8").reshape(n),
        values=np.frombuffer(b"".join(r[3] or b"" for r in hashes), np.uint8).reshape(n, 32),
        quality=np.fromiter((-1 if r[4] is None else r[4] for r in hashes), np.int16, n),
        variant=np.fromiter((variant_code(r[5]) for r in hashes), np.int8, n),
        frame=np.fromiter((-1 if r[6] is None else r[6] for r in hashes), np.int32, n),
        frames_total=np.fromiter((-1 if r[7] is None else r[7] for r in hashes), np.int32, n),
        audio=[(r[0], r[1], r[3]) for r in rows if r[2] == "chromaprint" and r[3]],
        last_id=last,
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
        record_index_change(self.s, asset_id, "add")
        return len(rows)

    # --- the change sequence (sharded matchers) -------------------------------------

    def last_change_seq(self) -> int:
        """The newest change's ``seq``, at least the pruned horizon (0: none yet)."""
        return last_seq(self.s, "index_changes")

    def change_horizon(self) -> int:
        """Changes up to this ``seq`` may have been pruned (0: never pruned)."""
        return horizon(self.s, "index_changes")

    def changes_after(self, seq: int, limit: int = 10_000) -> list[tuple[int, int, str]]:
        """(seq, asset id, op) of the next ``limit`` changes after ``seq``, in order.
        ``ChangesPrunedError`` when ``seq`` is below the pruned horizon (read after the
        changes: repos_changes)."""
        rows = self.s.execute(
            select(IndexChangeRow.seq, IndexChangeRow.asset_id, IndexChangeRow.op)
            .where(IndexChangeRow.seq > seq)
            .order_by(IndexChangeRow.seq)
            .limit(limit)
        ).all()
        check_not_pruned(self.s, "index_changes", seq)
        return [(int(a), int(b), str(c)) for a, b, c in rows]

    def hash_columns_of_assets(
        self, asset_ids: Sequence[int], signals: Sequence[str] = ("pdq", "vpdq")
    ) -> FingerprintColumns:
        """The rows of ``signals`` of those of ``asset_ids`` that are active, as columns
        (audio rows, when ``chromaprint`` is among ``signals``, in ``audio``)."""
        parts: list[FingerprintColumns] = []
        ids = sorted(set(asset_ids))
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            q = (
                select(*_COLUMNS)
                .join(AssetRow, AssetRow.id == FingerprintRow.asset_id)
                .where(FingerprintRow.asset_id.in_(chunk))
                .where(FingerprintRow.signal.in_(signals))
                .where(AssetRow.status == "active")
                .order_by(FingerprintRow.id)
            )
            rows = self.s.execute(q).all()
            if rows:
                parts.append(_columns(rows, rows[-1][0]))
        if not parts:
            return _columns([], 0)
        out = FingerprintColumns.concat(parts)
        out.audio = [row for p in parts for row in p.audio]
        return out

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
            rows = self.s.execute(_active_batch(select(*_COLUMNS), last, signals, batch)).all()
            if not rows:
                return
            last = rows[-1][0]
            yield _columns(rows, last)

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
