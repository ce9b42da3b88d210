"""Shapes every part of the API shares: the error body, probes, jobs, and the helpers
that turn a service's answer into exactly the fields a model names."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

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


BINARY: dict[str, Any] = {"type": "string", "format": "binary"}

# A signed file as it was registered: served with its own media type (what can be signed:
# images, video, audio and PDF), not as application/octet-stream
SIGNED_FILE: dict[str, Any] = {
    "description": "the signed file, with its own media type",
    "content": {
        t: {"schema": BINARY}
        for t in ("image/*", "video/*", "audio/*", "application/pdf", "application/octet-stream")
    },
}


def upload_body(
    properties: dict[str, Any] | None = None,
    required: tuple[str, ...] = ("file",),
    *,
    raw: bool = True,
    file: bool = True,
) -> dict[str, Any]:
    """The ``openapi_extra=`` of an upload route: a multipart form with the media in
    ``file`` (unless ``file=False``) and ``properties``, the form's other fields; with
    ``raw`` the media may come as the whole body (application/octet-stream) as well."""
    content: dict[str, Any] = {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {**({"file": BINARY} if file else {}), **(properties or {})},
                "required": list(required),
            }
        }
    }
    if raw:
        content["application/octet-stream"] = {"schema": BINARY}
    return {"requestBody": {"required": True, "content": content}}


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
    blob_store: str = Field(description="local (a folder) or s3 (an object store)")
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


M = TypeVar("M", bound=BaseModel)


def copied(model: type[M], src: object, **computed: Any) -> M:
    """``model`` filled from ``src``: each field of the model that ``computed`` does not
    give is ``src``'s attribute of the same name. The model's field list stays the
    allow-list: an attribute the model does not name is never read."""
    return model(
        **{
            name: computed[name] if name in computed else getattr(src, name)
            for name in model.model_fields
        }
    )


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
