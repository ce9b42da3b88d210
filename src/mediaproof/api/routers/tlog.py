"""The transparency log's tlog-tiles files (checkpoint, tile/...), served read-only."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from mediaproof.api.deps import Ctx
from mediaproof.api.schemas import ErrorOut
from mediaproof.services.logfiles import log_file

router = APIRouter(tags=["transparency log"])


@router.get(
    "/log/{path:path}",
    name="log.file",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/plain": {}, "application/octet-stream": {}}},
        404: {"model": ErrorOut},
    },
)
async def get_log_file(path: str, ctx: Ctx) -> FileResponse:
    """``/log/checkpoint``, ``/log/tile/<L>/<N>[.p/<W>]``, ``/log/tile/entries/<N>``."""
    f = log_file(ctx.inst, path)
    if f.name == "checkpoint":
        return FileResponse(
            f, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )
    # full tiles never change (tlog-tiles); partial ones (".p/") are replaced as it grows
    cache = "max-age=60" if ".p/" in path else "public, max-age=31536000, immutable"
    return FileResponse(f, media_type="application/octet-stream", headers={"Cache-Control": cache})
