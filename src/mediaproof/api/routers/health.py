"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx
from mediaproof.api.schemas import HealthOut, ReadyOut
from mediaproof.services.health import readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", name="health.healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@router.get("/readyz", name="health.readyz", response_model=ReadyOut)
async def readyz(ctx: Ctx) -> dict[str, Any]:
    """The database answers and its schema is current; 503 otherwise."""
    return await run_in_threadpool(readiness, ctx.inst)
