"""Upload, then analyse: the one dependency behind every route that analyses a file it
receives (verify, the likeness check, output screening).

A route names what to run on the upload (:func:`analysed`) and gets the outcome: the
answer now for quick files, or a :class:`Job` for video and long audio (the upload is
handed to the job, which deletes it). :func:`analysis_response` turns either into the
route's answer: 200 with exactly what the route's model names, or 202 with the job and
its ``Location``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mediaproof.accounts.models import Principal
from mediaproof.api.deps import AppContext, Ctx, UploadDep, Who
from mediaproof.api.schemas.common import JobOut, model_response
from mediaproof.api.uploads import Upload
from mediaproof.services.jobs import Job

Outcome = dict[str, Any] | Job
# what a route runs on the upload: (context, upload, caller) -> the answer or a job
Analysis = Callable[[AppContext, Upload, Principal], Awaitable[Outcome]]


def analysed(run: Analysis) -> Any:
    """A dependency: the request's upload (api.deps.uploaded, deleted after the answer
    unless a job took it), analysed by ``run``. Use as ``Annotated[Outcome, analysed(f)]``."""

    async def analyse(ctx: Ctx, upload: UploadDep, who: Who) -> Outcome:
        return await run(ctx, upload, who)

    return Depends(analyse)


def job_json(job: Job) -> dict[str, Any]:
    return {**job.as_dict(), "status_url": f"/api/v1/jobs/{job.id}"}


def analysis_response(out: Outcome, model: type[BaseModel]) -> JSONResponse:
    """200 with what ``model`` names, or 202 with the job to poll."""
    if isinstance(out, Job):
        body = job_json(out)
        return model_response(JobOut, body, 202, {"Location": body["status_url"]})
    return model_response(model, out)
