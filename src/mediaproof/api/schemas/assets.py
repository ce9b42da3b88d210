"""The registry's public asset records."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AssetOut(BaseModel):
    asset_id: int
    sha256: str
    type: str
    title: str
    author: str | None
    source_type: str | None
    signed: bool
    signer: str | None
    issuer: str | None
    manifest_label: str | None
    registered_at: str
    status: str
    watermarked: bool = Field(
        default=False, description="whether the asset carries this instance's invisible watermark"
    )


class TransparencyOut(BaseModel):
    configured: bool = Field(description="whether this instance keeps a transparency log")
    inclusion_proof: dict[str, Any] | None


class AssetViewOut(BaseModel):
    asset: AssetOut
    transparency: TransparencyOut


class PublishedOut(BaseModel):
    asset: AssetOut
    page_url: str
    download_url: str
