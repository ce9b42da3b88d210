"""The registry: public asset records; publishing (sign + register) for publishers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import Principal
from mediaproof.api.deps import AppContext, Ctx, UploadDep, Who
from mediaproof.api.params import IdPath
from mediaproof.api.schemas import (
    SIGNED_FILE,
    AssetViewOut,
    ErrorOut,
    PublishedOut,
    errors,
    model_response,
    upload_body,
)
from mediaproof.api.uploads import Upload
from mediaproof.services.publishing import Published
from mediaproof.services.releases import (
    MAX_AUTHOR,
    MAX_TITLE,
    asset_view,
    publish_upload,
    publisher_of,
    release_fields,
    signed_file,
)
from mediaproof.services.result_images import original_preview
from mediaproof.services.withdrawal import withdraw_asset

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])


async def publish_release(ctx: AppContext, upload: Upload, who: Principal) -> Published:
    """Sign and register an uploaded release from its form fields (``title``, ``author``,
    ``source_type``) for ``who``: the API route and the publish page both use it."""
    title, author, source_type = release_fields(upload.fields)
    return await run_in_threadpool(
        lambda: publish_upload(
            ctx.inst,
            upload.path,
            title=title,
            author=author,
            source_type=source_type,
            publisher=publisher_of(who),
        )
    )


@router.get(
    "/{asset_id}",
    name="assets.get",
    response_model=AssetViewOut,
    responses={404: {"model": ErrorOut}},
)
async def get_asset(asset_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    """An asset's public provenance record and its transparency-log proof."""
    return await run_in_threadpool(asset_view, ctx.inst, asset_id, ctx.proofs)


@router.get(
    "/{asset_id}/file",
    name="assets.file",
    response_class=FileResponse,
    responses={200: SIGNED_FILE, **errors(401, 403, 404, 422)},
)
async def get_file(asset_id: IdPath, ctx: Ctx) -> FileResponse:
    """The signed release as registered (publishers and admins)."""
    f = await run_in_threadpool(signed_file, ctx.inst, asset_id)
    return FileResponse(f.path, media_type=f.mime, filename=f.filename)


@router.get(
    "/{asset_id}/preview",
    name="assets.preview",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorOut}},
)
async def get_preview(asset_id: IdPath, ctx: Ctx) -> FileResponse:
    """A downscaled preview (JPEG, at most 640 px, no metadata) of a registered, active
    image, where the instance keeps its file and shows previews (``original_previews``)."""
    f = await run_in_threadpool(original_preview, ctx.inst, asset_id)
    return FileResponse(f, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})


@router.post(
    "/{asset_id}/withdraw",
    name="assets.withdraw",
    response_model=AssetViewOut,
    responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
)
async def withdraw(asset_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    """Withdraw a registered original (publishers and admins): it stops leading copies
    back to it at once, keeps its public record, and the withdrawal is logged."""
    await run_in_threadpool(withdraw_asset, ctx.inst, asset_id)
    return await run_in_threadpool(asset_view, ctx.inst, asset_id, ctx.proofs)


@router.post(
    "",
    name="assets.publish",
    status_code=201,
    response_model=PublishedOut,
    responses={
        200: {
            "model": PublishedOut,
            "description": "This publisher published the same file before: that asset",
        },
        **{s: {"model": ErrorOut} for s in (400, 401, 403, 409, 413, 415, 422)},
    },
    openapi_extra=upload_body(
        {
            "title": {"type": "string", "maxLength": MAX_TITLE},
            "author": {"type": "string", "maxLength": MAX_AUTHOR},
            "source_type": {"type": "string", "default": "digitalCapture"},
        },
        ("file", "title"),
        raw=False,
    ),
)
async def publish(ctx: Ctx, upload: UploadDep, who: Who) -> JSONResponse:
    """Sign a release with the instance's C2PA key and register it. The signed file is
    then at ``download_url``; its public page at ``page_url``. Idempotent: the same file
    (same bytes) from the same account answers 200 with the asset registered the first
    time, so a retry never makes a second asset."""
    pub = await publish_release(ctx, upload, who)
    asset = pub.asset
    body = {
        "asset": asset.public_dict(),
        "page_url": f"/assets/{asset.id}",
        "download_url": f"/api/v1/assets/{asset.id}/file",
    }
    return model_response(
        PublishedOut,
        body,
        status_code=201 if pub.created else 200,
        headers={"Location": f"/api/v1/assets/{asset.id}"},
    )
