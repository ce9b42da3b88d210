"""Subject defense over HTTP: enrol faces and voices, list, show, delete, check, alerts.

Every route needs the ``likeness:manage`` permission (see api/access.py): the answers name
enrolled people. Nothing here logs a name, a consent note or an embedding; the access log
records only the route template.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import Principal
from mediaproof.api.analysis import Outcome, analysed, analysis_response
from mediaproof.api.deps import AppContext, Ctx, Who
from mediaproof.api.errors import error_body
from mediaproof.api.multipart_files import FilesUpload, receive_files
from mediaproof.api.schemas import JobOut, errors, model_response, upload_body
from mediaproof.api.schemas.common import BINARY
from mediaproof.api.schemas.likeness import (
    AlertOut,
    AlertsOut,
    EnrolledOut,
    EnrolmentDeletedOut,
    EnrolmentDetailOut,
    EnrolmentOut,
    EnrolmentRejectedOut,
    EnrolmentsOut,
    EnrolmentSummaryOut,
    LikenessCheckOut,
    ReportOut,
)
from mediaproof.api.uploads import Upload
from mediaproof.errors import UsageError
from mediaproof.likeness.errors import EnrolmentRejected
from mediaproof.likeness.models import Enrolment
from mediaproof.services import likeness as svc
from mediaproof.services.likeness_check import submit as submit_check

router = APIRouter(prefix="/api/v1/likeness", tags=["likeness"])

MAX_NAME = 200
MAX_CONSENT = 2000
MAX_SAMPLES = 12
ID = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ERRORS = errors(401, 403, 404)


def _details(e: Enrolment) -> EnrolmentDetailOut:
    """The summary plus what was measured per sample; never the embeddings."""
    return EnrolmentDetailOut.model_validate(
        {
            **e.summary(),
            "samples": [
                {"modality": s.modality.value, "sha256": s.sha256, "quality": s.quality}
                for s in e.samples
            ],
        }
    )


def _enrol_fields(up: FilesUpload) -> tuple[str, str, bool]:
    name = up.fields.get("name", "").strip()
    consent = up.fields.get("consent", "").strip()
    keep = up.fields.get("keep_samples", "false").strip().lower()
    if not name or len(name) > MAX_NAME:
        raise UsageError(f"a name of 1-{MAX_NAME} characters is required (field 'name')")
    if not consent or len(consent) > MAX_CONSENT:
        raise UsageError(
            f"the consent statement is required (field 'consent', at most {MAX_CONSENT} "
            "characters)",
            hint="say who consented, when and how, e.g. 'signed form, 2026-01-05'",
        )
    if keep not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise UsageError("keep_samples must be true or false")
    return name, consent, keep in ("true", "1", "yes", "on")


def _rejected(e: EnrolmentRejected, up: FilesUpload) -> JSONResponse:
    """422 naming each refused sample by its field and number (``face-2``), never by a
    server path."""
    folder = f"{up.folder}/"
    rejections = [
        {
            "sample": r.sample.rsplit("/", 1)[-1],
            "reason": r.reason,
            "message": r.message.replace(folder, ""),
        }
        for r in e.rejections
    ]
    body = error_body(e.code, str(e.message).replace(folder, ""), e.hint)
    body["error"]["reason"] = e.reason
    body["rejections"] = rejections
    return model_response(EnrolmentRejectedOut, body, 422)


@router.post(
    "/enrolments",
    name="likeness.enrol",
    status_code=201,
    response_model=EnrolledOut,
    responses={
        **errors(400, 401, 403, 408, 413),
        422: {"model": EnrolmentRejectedOut, "description": "a sample is unusable"},
    },
    openapi_extra=upload_body(
        {
            "name": {"type": "string", "maxLength": MAX_NAME},
            "consent": {
                "type": "string",
                "maxLength": MAX_CONSENT,
                "description": "who consented, when and how",
            },
            "keep_samples": {"type": "boolean", "default": False},
            "face": {"type": "array", "items": BINARY},
            "voice": {"type": "array", "items": BINARY},
        },
        ("name", "consent"),
        raw=False,
        file=False,
    ),
)
async def enrol(request: Request, ctx: Ctx, who: Who) -> JSONResponse:
    """Enrol a person from face photos (``face``, repeat) and voice clips (``voice``,
    repeat). If any sample is unusable nothing is stored and the 422 answer lists each
    refused sample with its reason (``no_face``, ``several_faces``, ``face_too_small``,
    ``too_little_speech``, ``silence``, ``not_speech``, ``noise_only``, ``unreadable``)."""
    up = await receive_files(
        request,
        ctx.tmp_dir,
        ctx.upload_limits,
        file_fields=frozenset({"face", "voice"}),
        max_files=MAX_SAMPLES,
    )
    try:
        name, consent, keep = _enrol_fields(up)
        recorder = _username(who)
        try:
            e, indexes = await run_in_threadpool(
                lambda: svc.enrol(
                    ctx.inst,
                    name,
                    up.named("face"),
                    up.named("voice"),
                    consent_note=consent,
                    consent_recorded_by=recorder,
                    keep_samples=keep,
                )
            )
        except EnrolmentRejected as err:
            return _rejected(err, up)
    finally:
        up.discard()
    body = EnrolledOut(enrolment=_details(e), log_indexes=indexes)
    return model_response(
        EnrolledOut, body, 201, headers={"Location": f"/api/v1/likeness/enrolments/{e.id}"}
    )


def _username(who: Principal) -> str | None:
    return who.user.username if who.user else None


@router.get("/enrolments", name="likeness.list", responses=ERRORS)
async def list_enrolments(ctx: Ctx) -> EnrolmentsOut:
    """Enrolled people (no embeddings)."""

    def run() -> list[EnrolmentSummaryOut]:
        with svc.likeness_service(ctx.inst) as s:
            return [EnrolmentSummaryOut.model_validate(e.summary()) for e in s.enrolments()]

    return EnrolmentsOut(enrolments=await run_in_threadpool(run))


@router.get("/enrolments/{enrolment_id}", name="likeness.show", responses=ERRORS)
async def show_enrolment(enrolment_id: ID, ctx: Ctx) -> EnrolmentOut:
    """One enrolment: thresholds, consent, what was measured per sample (no embeddings)."""

    def run() -> EnrolmentDetailOut:
        with svc.likeness_service(ctx.inst) as s:
            return _details(s.store.get_enrolment(enrolment_id))

    return EnrolmentOut(enrolment=await run_in_threadpool(run))


@router.delete("/enrolments/{enrolment_id}", name="likeness.delete", responses=ERRORS)
async def delete_enrolment(enrolment_id: ID, ctx: Ctx) -> EnrolmentDeletedOut:
    """Delete an enrolment and everything derived from it (kept samples, alerts, reports
    naming the person). The transparency log keeps only its digest."""
    d = await run_in_threadpool(svc.delete, ctx.inst, enrolment_id)
    return EnrolmentDeletedOut(deleted=d.enrolment_id, digest=d.digest, log_index=d.log_index)


async def _check(ctx: AppContext, upload: Upload, _who: Principal) -> Outcome:
    # on the likeness lane, so waiting for an engine holds no request thread
    return await asyncio.wrap_future(submit_check(ctx.inst, ctx.jobs, upload.path, upload.keep))


@router.post(
    "/check",
    name="likeness.check",
    response_model=LikenessCheckOut,
    responses={
        **errors(400, 401, 403, 408, 413, 415, 422, 503),
        202: {"model": JobOut, "description": "video or long audio: a job"},
    },
    openapi_extra=upload_body(),
)
async def check(out: Annotated[Outcome, analysed(_check)]) -> JSONResponse:
    """Whose enrolled face or voice a file resembles, with scores and thresholds: at once
    for images and short audio (200); video and audio over a minute answer 202 with a job
    (``GET /api/v1/jobs/{id}``). Likeness is a reason to look, not a verdict."""
    return analysis_response(out, LikenessCheckOut)


@router.get("/alerts", name="likeness.alerts", responses=ERRORS)
async def alerts(
    ctx: Ctx,
    enrolment_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AlertsOut:
    """Alerts the monitor raised (the in-app list), oldest first."""

    def run() -> list[AlertOut]:
        with svc.likeness_service(ctx.inst) as s:
            return [AlertOut.model_validate(a.to_json()) for a in s.store.list_alerts(enrolment_id)]

    return AlertsOut(alerts=await run_in_threadpool(run))


@router.get("/reports/{report_id}", name="likeness.report", responses=ERRORS)
async def report(report_id: ID, ctx: Ctx) -> ReportOut:
    """The analysis an alert links to."""

    def run() -> dict[str, Any]:
        with svc.likeness_service(ctx.inst) as s:
            return s.store.get_report(report_id)

    return ReportOut(report=await run_in_threadpool(run))
