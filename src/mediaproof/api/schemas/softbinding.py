"""The C2PA Soft Binding Resolution API."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
