"""Liveness and readiness probes, and the Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx
from mediaproof.api.schemas import ErrorOut, HealthOut, ReadyOut
from mediaproof.errors import AuthenticationError, InvalidTokenError, NotFoundError
from mediaproof.observability.metrics import CONTENT_TYPE, render
from mediaproof.services.health import readiness
from mediaproof.services.observability import instance_gauges

router = APIRouter(tags=["operations"])


@router.get("/healthz", name="health.healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@router.get("/readyz", name="health.readyz", response_model=ReadyOut)
async def readyz(ctx: Ctx) -> dict[str, Any]:
    """The database answers and its schema is current; 503 otherwise."""
    return await run_in_threadpool(readiness, ctx.inst)


@router.get(
    "/metrics",
    name="health.metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
        },
        401: {"model": ErrorOut, "description": "no or a wrong bearer token"},
        404: {"model": ErrorOut, "description": "off: MEDIAPROOF_METRICS_TOKEN is unset"},
    },
)
async def metrics(request: Request, ctx: Ctx) -> Response:
    """This process's and the instance's metrics, for Prometheus. Off unless
    `MEDIAPROOF_METRICS_TOKEN` is set; then only with `Authorization: Bearer <token>`."""
    token = ctx.inst.settings.metrics_token
    if token is None:
        raise NotFoundError("metrics are not enabled on this instance")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthenticationError(
            "metrics need the metrics bearer token",
            hint="send Authorization: Bearer <MEDIAPROOF_METRICS_TOKEN>",
        )
    if not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        raise InvalidTokenError(
            "that is not the metrics bearer token",
            hint="send Authorization: Bearer <MEDIAPROOF_METRICS_TOKEN>",
        )
    body = await run_in_threadpool(lambda: render(instance_gauges(ctx.inst)))
    return Response(body, media_type=CONTENT_TYPE, headers={"cache-control": "no-store"})
