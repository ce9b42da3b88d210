"""The C2PA Soft Binding Resolution API over this registry.

Public, like the registry it reads (the standard's OAuth2 scope ``fetch:manifests`` is
not required here); anonymous callers are rate-limited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx, UploadDep
from mediaproof.api.params import MAX_ID
from mediaproof.api.schemas import ByBindingIn, ErrorOut, MatchesOut, SupportedAlgorithmsOut
from mediaproof.services.public_verify import inspect_upload
from mediaproof.services.softbinding import (
    check_max_results,
    decode_binding_value,
    manifest_by_id,
)

router = APIRouter(tags=["c2pa soft binding resolution"])
ERR: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut} for s in (400, 404, 413, 415, 422, 429)
}
# 0 and negatives: the spec's 400 (check_max_results); beyond 64 bits: 422
MaxResults = Annotated[int | None, Query(alias="maxResults", le=MAX_ID)]


def _matches(found: list[Any]) -> dict[str, Any]:
    return {"matches": [m.as_dict() for m in found]}


@router.get(
    "/matches/byBinding",
    name="softbinding.by_binding_get",
    response_model=MatchesOut,
    response_model_exclude_none=True,
    responses=ERR,
)
async def by_binding_get(
    ctx: Ctx,
    alg: Annotated[str, Query(max_length=200)],
    value: Annotated[str, Query(max_length=4096)],
    max_results: MaxResults = None,
) -> dict[str, Any]:
    """Manifests whose soft binding (watermark or fingerprint) ``alg`` has ``value``."""
    n = check_max_results(max_results)
    raw = decode_binding_value(value)
    return _matches(await run_in_threadpool(ctx.resolver.by_binding, alg, raw, n))


@router.post(
    "/matches/byBinding",
    name="softbinding.by_binding_post",
    response_model=MatchesOut,
    response_model_exclude_none=True,
    responses=ERR,
)
async def by_binding_post(
    body: ByBindingIn, ctx: Ctx, max_results: MaxResults = None
) -> dict[str, Any]:
    """As GET, with ``{"alg", "value"}`` in the body."""
    n = check_max_results(max_results)
    raw = decode_binding_value(body.value)
    return _matches(await run_in_threadpool(ctx.resolver.by_binding, body.alg, raw, n))


@router.post(
    "/matches/byContent",
    name="softbinding.by_content",
    response_model=MatchesOut,
    response_model_exclude_none=True,
    responses=ERR,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def by_content(
    ctx: Ctx,
    upload: UploadDep,
    alg: Annotated[str | None, Query(max_length=200)] = None,
    hint_alg: Annotated[str | None, Query(alias="hintAlg", max_length=200)] = None,
    hint_value: Annotated[str | None, Query(alias="hintValue", max_length=4096)] = None,
    max_results: MaxResults = None,
) -> dict[str, Any]:
    """Manifests for an asset sent as the body: its soft bindings are computed here
    (``alg``, default all supported). A hint, when given, is looked up as well."""
    n = check_max_results(max_results)
    # the same checks as verify (type sniffed, size and pixel limits from the header)
    # before any resolver decodes the body
    await run_in_threadpool(inspect_upload, ctx.inst, upload.path)
    found = await run_in_threadpool(ctx.resolver.by_content, alg, upload.path, n)
    if hint_alg and hint_value:
        hinted = await run_in_threadpool(
            ctx.resolver.by_binding, hint_alg, decode_binding_value(hint_value), n
        )
        seen = {m.manifest_id for m in found}
        found = (found + [m for m in hinted if m.manifest_id not in seen])[:n]
    return _matches(found)


@router.get(
    "/manifests/{manifest_id}",
    name="softbinding.manifest",
    responses={200: {"content": {"application/c2pa": {}}}, **ERR},
    response_class=Response,
)
async def manifest(manifest_id: str, ctx: Ctx) -> Response:
    """The manifest store (JUMBF) as signed, ``application/c2pa``."""
    data = await run_in_threadpool(manifest_by_id, ctx.inst, manifest_id)
    return Response(data, media_type="application/c2pa")


@router.get(
    "/services/supportedAlgorithms",
    name="softbinding.algorithms",
    response_model=SupportedAlgorithmsOut,
)
async def supported_algorithms(ctx: Ctx) -> dict[str, Any]:
    s = ctx.resolver.supported()
    return {
        "watermarks": [{"alg": a} for a in s.watermarks],
        "fingerprints": [{"alg": a} for a in s.fingerprints],
    }
