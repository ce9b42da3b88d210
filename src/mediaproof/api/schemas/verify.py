"""The verify report (docs/verify-report.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class VerifyReportOut(BaseModel):
    """The verify report, schema v2 (docs/verify-report.md); analyzers may add evidence,
    so this document (about a file, never about a person) keeps keys it does not name."""

    model_config = ConfigDict(extra="allow")

    schema_: str = Field(alias="schema")
    generator: str
    analysed_at: str
    media: dict[str, Any]
    provenance: dict[str, Any]
    registry: dict[str, Any]
    evidence: dict[str, Any]
    assessment: dict[str, Any]
