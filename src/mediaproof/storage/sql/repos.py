"""Repositories: the only code that turns rows into domain records and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaproof.errors import ConflictError
from mediaproof.registry.models import AssetRecord
from mediaproof.storage.sql.repos_fingerprints import record_index_change
from mediaproof.storage.sql.tables import AssetRow
from mediaproof.storage.sql.times import aware


def _record(row: AssetRow) -> AssetRecord:
    created = aware(row.created_at)
    return AssetRecord(
        id=row.id,
        sha256=row.sha256,
        mime=row.mime,
        size=row.size,
        title=row.title,
        author=row.author,
        source_type=row.source_type,
        signed=row.signed,
        signer_subject=row.signer_subject,
        signer_issuer=row.signer_issuer,
        manifest_label=row.manifest_label,
        has_manifest=row.manifest_store is not None,
        original_blob=row.original_blob,
        width=row.width,
        height=row.height,
        duration_s=row.duration_s,
        status=row.status,
        created_at=created,
        watermark_id=row.watermark_id,
    )


class AssetRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, **fields: Any) -> AssetRecord:
        row = AssetRow(status="active", **fields)
        self.s.add(row)
        try:
            self.s.flush()
        except IntegrityError as e:
            self.s.rollback()
            raise ConflictError(
                f"content {str(fields.get('sha256', ''))[:12]}… is already registered"
            ) from e
        return _record(row)

    def get(self, asset_id: int) -> AssetRecord | None:
        row = self.s.get(AssetRow, asset_id)
        return _record(row) if row else None

    def by_sha256(self, sha256: str) -> AssetRecord | None:
        row = self.s.scalars(select(AssetRow).where(AssetRow.sha256 == sha256)).first()
        return _record(row) if row else None

    def by_watermark_id(self, watermark_id: int) -> AssetRecord | None:
        row = self.s.scalars(select(AssetRow).where(AssetRow.watermark_id == watermark_id)).first()
        return _record(row) if row else None

    def manifest_store(self, asset_id: int) -> bytes | None:
        row = self.s.get(AssetRow, asset_id)
        return row.manifest_store if row else None

    def manifest_store_by_label(self, label: str) -> bytes | None:
        """The stored manifest store of the active asset whose manifest has ``label``."""
        row = self.s.scalars(
            select(AssetRow).where(
                AssetRow.manifest_label == label,
                AssetRow.status == "active",
                AssetRow.manifest_store.is_not(None),
            )
        ).first()
        return row.manifest_store if row else None

    def set_status(self, asset_id: int, status: str) -> AssetRecord | None:
        row = self.s.get(AssetRow, asset_id)
        if row is None:
            return None
        changed = row.status != status
        row.status = status
        self.s.flush()
        if changed:  # the sharded matchers stop (or start) serving it
            record_index_change(self.s, asset_id, "status")
        return _record(row)

    def list(self, limit: int = 100, offset: int = 0) -> list[AssetRecord]:
        rows = self.s.scalars(
            select(AssetRow).order_by(AssetRow.id.desc()).limit(limit).offset(offset)
        )
        return [_record(r) for r in rows]

    def by_publisher_source(self, publisher: str, source_sha256: str) -> AssetRecord | None:
        """The asset this publisher registered from this source file (any status)."""
        row_id = self.s.scalars(
            select(AssetRow.id).where(
                AssetRow.publisher == publisher, AssetRow.source_sha256 == source_sha256
            )
        ).first()
        return self.get(row_id) if row_id is not None else None

    def publisher(self, asset_id: int) -> str | None:
        """Who registered the asset (e.g. ``tool:<id>``); None when unknown or absent."""
        return self.s.scalars(select(AssetRow.publisher).where(AssetRow.id == asset_id)).first()

    def signer_subjects(self) -> Sequence[str | None]:
        """The distinct signer subjects of registered originals (any status)."""
        return self.s.scalars(
            select(AssetRow.signer_subject).where(AssetRow.signer_subject.is_not(None)).distinct()
        ).all()

    def count(self) -> int:
        from sqlalchemy import func

        return int(self.s.scalar(select(func.count()).select_from(AssetRow)) or 0)
