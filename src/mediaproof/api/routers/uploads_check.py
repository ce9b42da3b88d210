"""Platforms check their uploads (issue 18): ``POST /api/v1/uploads/check`` with the
file, ``POST /api/v1/uploads/check-hashes`` with only its hashes.

Both need the ``uploads:check`` permission (a ``platform`` account's token, or an admin)
and draw from the per-account ``uploads`` bucket. The file is streamed to a temp file
under the upload limits (api/uploads.py), sniffed, refused when unknown, over the limits
or undecodable, and deleted after the answer. What is matched and what the answer means:
services/upload_check.py and docs/api.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from mediaproof.api.case_deps import Cases, public_base
from mediaproof.api.deps import Ctx, UploadDep
from mediaproof.api.schemas import errors, upload_body
from mediaproof.api.schemas.uploads_check import UploadCheckOut, UploadHashesIn
from mediaproof.services import upload_check

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])


@router.post(
    "/check",
    name="uploads.check",
    response_model=UploadCheckOut,
    responses=errors(400, 401, 403, 408, 413, 415, 422, 429),
    openapi_extra=upload_body(
        {
            "content_url": {"type": "string", "maxLength": upload_check.MAX_URL},
            "location": {"type": "string", "maxLength": upload_check.MAX_LOCATION},
        }
    ),
)
async def check_upload(
    upload: UploadDep, request: Request, ctx: Ctx, cases: Cases
) -> dict[str, Any]:
    """Check an uploaded file (multipart ``file`` plus optional ``content_url`` and
    ``location``, or the raw body) against the bank of confirmed media and the signals
    received from exchange peers: label (or the confirmed outcome) for an identical copy,
    a review case for a near copy or a received signal, or none."""
    base = public_base(request)
    res = await run_in_threadpool(
        lambda: upload_check.check_file(
            ctx.inst,
            cases,
            upload.path,
            content_url=upload.fields.get("content_url"),
            location=upload.fields.get("location"),
            base_url=base,
        )
    )
    return res.as_dict()


@router.post(
    "/check-hashes",
    name="uploads.check_hashes",
    response_model=UploadCheckOut,
    responses=errors(400, 401, 403, 413, 422, 429),
)
async def check_hashes(
    body: UploadHashesIn, request: Request, ctx: Ctx, cases: Cases
) -> dict[str, Any]:
    """The same check on hashes the platform computed (SHA-256, and PDQ for a picture,
    the MD5 of a video's bytes and its vPDQ, the Chromaprint of its sound or of a
    recording): the media never leaves the platform."""
    hashes = await run_in_threadpool(
        lambda: upload_check.UploadHashes(
            body.sha256, body.pdq, body.video_md5, body.vpdq, body.chromaprint
        )
    )
    base = public_base(request)
    res = await run_in_threadpool(
        lambda: upload_check.check_hashes(
            ctx.inst,
            cases,
            hashes,
            content_url=body.content_url,
            location=body.location,
            base_url=base,
        )
    )
    return res.as_dict()
