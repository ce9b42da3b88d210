"""Imported hash lists (admins): bulk import, the lists, matching a PDQ hash."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx
from mediaproof.api.schemas import errors
from mediaproof.api.schemas.hash_lists import (
    IMPORT_BODY,
    HashListOut,
    ImportedOut,
    ListMatchesOut,
)
from mediaproof.matching.hash_import import parse_hash_file
from mediaproof.services import hash_lists

router = APIRouter(prefix="/api/v1/hash-lists", tags=["hash lists"])
ERR = errors(400, 401, 403, 404, 413, 422)


@router.get("", name="hash_lists.list", responses=ERR)
async def all_lists(ctx: Ctx) -> list[HashListOut]:
    found = await run_in_threadpool(hash_lists.lists, ctx.inst.db)
    return [HashListOut.model_validate(x) for x in found]


@router.post(
    "/{list_name}/import", name="hash_lists.import", responses=ERR, openapi_extra=IMPORT_BODY
)
async def import_file(list_name: str, request: Request, ctx: Ctx) -> ImportedOut:
    """The body is the file: ``local_file`` lines (``pdq <hex>``) or CSV with a
    ``signal_type,signal_str,...`` header. All of it is imported, or none of it."""
    data = await request.body()

    def run() -> dict[str, Any]:
        return hash_lists.import_hashes(ctx.inst.db, list_name, parse_hash_file(data)).as_dict()

    return ImportedOut.model_validate(await run_in_threadpool(run))


@router.get("/match", name="hash_lists.match", responses=ERR)
async def match(
    ctx: Ctx, pdq: Annotated[str, Query(min_length=64, max_length=64, description="64 hex")]
) -> ListMatchesOut:
    """List entries within the PDQ threshold (31 bits): leads, not registered originals."""
    return ListMatchesOut.model_validate(
        await run_in_threadpool(hash_lists.match_pdq, ctx.inst, pdq)
    )
