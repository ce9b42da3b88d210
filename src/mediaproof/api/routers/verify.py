"""Verify for everyone: upload a file, get the report (or a job for long media)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import Principal
from mediaproof.api.analysis import Outcome, analysed, analysis_response, job_json
from mediaproof.api.deps import AppContext, Ctx
from mediaproof.api.schemas import ErrorOut, JobOut, VerifyReportOut, errors, upload_body
from mediaproof.api.uploads import Upload
from mediaproof.services.public_verify import verify_or_queue

router = APIRouter(prefix="/api/v1", tags=["verify"])

ERRORS = errors(400, 408, 413, 415, 422, 429, 503)


async def _verify(ctx: AppContext, upload: Upload, _who: Principal) -> Outcome:
    return await run_in_threadpool(
        verify_or_queue, ctx.inst, ctx.jobs, upload.path, upload.keep, ctx.images
    )


@router.post(
    "/verify",
    name="verify.api",
    response_model=VerifyReportOut,
    responses={**ERRORS, 202: {"model": JobOut, "description": "video or long audio: a job"}},
    openapi_extra=upload_body(),
)
async def verify(out: Annotated[Outcome, analysed(_verify)]) -> JSONResponse:
    """Analyse a file: multipart field ``file``, or the raw body. Images answer at once
    (200, the report); video and audio longer than a minute answer 202 with a job to poll."""
    return analysis_response(out, VerifyReportOut)


@router.get(
    "/jobs/{job_id}", name="jobs.get", response_model=JobOut, responses={404: {"model": ErrorOut}}
)
async def get_job(job_id: str, ctx: Ctx) -> JobOut:
    """A background analysis: progress, then the report (``result``) or an error."""
    return JobOut.model_validate(job_json(ctx.jobs.get(job_id)))


@router.get(
    "/verify/images/{token}",
    name="verify.image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 404: {"model": ErrorOut}},
)
async def result_image(token: str, ctx: Ctx) -> Response:
    """A picture that goes with a verify result (the difference heatmap), by the
    unguessable URL the result names; kept as long as finished jobs are."""
    return Response(
        ctx.images.get(token), media_type="image/png", headers={"Cache-Control": "private"}
    )
