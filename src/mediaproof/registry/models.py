"""A registered original as the rest of the product sees it (never a database row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class AssetRecord:
    id: int
    sha256: str
    mime: str
    size: int
    title: str
    author: str | None
    source_type: str | None
    signed: bool
    signer_subject: str | None
    signer_issuer: str | None
    manifest_label: str | None
    has_manifest: bool
    original_blob: str | None
    width: int | None
    height: int | None
    duration_s: float | None
    status: str
    created_at: dt.datetime
    watermark_id: int | None = None

    def public_dict(self) -> dict[str, Any]:
        """What anyone may see about a registered asset."""
        return {
            "asset_id": self.id,
            "sha256": self.sha256,
            "type": self.mime,
            "title": self.title,
            "author": self.author,
            "source_type": self.source_type,
            "signed": self.signed,
            "signer": self.signer_subject,
            "issuer": self.signer_issuer,
            "manifest_label": self.manifest_label,
            "registered_at": self.created_at.isoformat(),
            "status": self.status,
            "watermarked": self.watermark_id is not None,
        }


class RegistryLookup(Protocol):
    """What analyzers may ask of the registry."""

    def asset_by_sha256(self, sha256: str) -> AssetRecord | None: ...

    def asset(self, asset_id: int) -> AssetRecord | None: ...

    def manifest_store(self, asset_id: int) -> bytes | None: ...

    def asset_by_watermark_id(self, watermark_id: int) -> AssetRecord | None: ...
