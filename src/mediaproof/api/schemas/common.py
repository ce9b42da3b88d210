"""Shapes every part of the API shares: the error body, probes, jobs, and the helpers
that turn a service's answer into exactly the fields a model names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for machines, e.g. limit_exceeded")
    message: str = Field(description="for people")
    hint: str | None = Field(default=None, description="what to do about it, when known")


class ErrorOut(BaseModel):
    error: ErrorDetail


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status answered with the error shape."""
    return {c: {"model": ErrorOut} for c in codes}


class HealthOut(BaseModel):
    status: str


class FingerprintIndexOut(BaseModel):
    phase: str = Field(description="loading | ready | failed")
    snapshot_rows: int
    caught_up_rows: int
    error: str | None
    hashes: int


class ReadyOut(BaseModel):
    status: str
    database: str
    schema_revision: str | None
    signing_keys: bool
    fingerprint_index: FingerprintIndexOut | None = Field(
        default=None, description="None: this process serves no lookups"
    )


class JobOut(BaseModel):
    job_id: str
    kind: str
    status: str = Field(description="queued | running | done | failed")
    stage: str
    progress: float = Field(description="0..1")
    result: dict[str, Any] | None = Field(description="the analysis once done")
    error: ErrorDetail | None = None
    status_url: str


def iso(t: dt.datetime) -> str:
    return t.isoformat()


def iso_or_none(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def as_json(model: type[BaseModel], data: Any) -> Any:
    """``data`` (a service's dict) reduced to the fields ``model`` names: keys it does
    not name are dropped (an allow-list), keys absent stay absent."""
    return model.model_validate(data).model_dump(mode="json", by_alias=True, exclude_unset=True)


def model_response(
    model: type[BaseModel],
    data: Any,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON answer with its own status or headers, still only what ``model`` names."""
    return JSONResponse(as_json(model, data), status_code=status_code, headers=headers)
