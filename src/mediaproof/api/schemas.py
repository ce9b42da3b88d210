"""Request and response shapes of the JSON API (never database rows)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for machines, e.g. limit_exceeded")
    message: str = Field(description="for people")
    hint: str | None = Field(default=None, description="what to do about it, when known")


class ErrorOut(BaseModel):
    error: ErrorDetail


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    database: str
    schema_revision: str | None
    signing_keys: bool
    # phase, snapshot_rows, caught_up_rows, hashes (None: this process serves no lookups)
    fingerprint_index: dict[str, Any] | None = None


class VerifyReportOut(BaseModel):
    """The verify report, schema v2 (docs/verify-report.md); analyzers may add evidence."""

    model_config = ConfigDict(extra="allow")

    schema_: str = Field(alias="schema")
    generator: str
    analysed_at: str
    media: dict[str, Any]
    provenance: dict[str, Any]
    registry: dict[str, Any]
    evidence: dict[str, Any]
    assessment: dict[str, Any]


class JobOut(BaseModel):
    job_id: str
    kind: str
    status: str = Field(description="queued | running | done | failed")
    stage: str
    progress: float = Field(description="0..1")
    result: dict[str, Any] | None = Field(description="the verify report once done")
    error: ErrorDetail | None = None
    status_url: str


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


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    must_change_password: bool
    created_at: str


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    role: str = Field(description="admin | publisher | reviewer | reporter")
    password: str | None = Field(
        default=None,
        min_length=12,
        max_length=1024,
        description="leave out to get a one-time password to hand over",
    )


class UserCreated(BaseModel):
    user: UserOut
    one_time_password: str | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, description="e.g. ['publish']")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked: bool
    last_used_at: str | None


class TokenCreated(BaseModel):
    token: str = Field(description="the secret, shown once")
    info: TokenOut


class MeOut(BaseModel):
    user: UserOut
    via: str
    permissions: list[str]


# --- C2PA Soft Binding Resolution API --------------------------------------------


class SoftBindingMatchOut(BaseModel):
    manifestId: str
    similarityScore: int = Field(ge=0, le=100)
    endpoint: str | None = None


class MatchesOut(BaseModel):
    matches: list[SoftBindingMatchOut]


class ByBindingIn(BaseModel):
    alg: str = Field(max_length=200)
    value: str = Field(max_length=4096, description="the binding value, base64")


class AlgOut(BaseModel):
    alg: str


class SupportedAlgorithmsOut(BaseModel):
    watermarks: list[AlgOut]
    fingerprints: list[AlgOut]
