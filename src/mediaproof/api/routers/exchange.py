"""The hash exchange feed peers pull (docs/exchange.md): collections, updates paged by
server sequence with proofs, checkpoints, consistency proofs and snapshots."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx, Who
from mediaproof.api.params import MAX_ID
from mediaproof.api.ratelimit import take
from mediaproof.api.schemas import errors, model_response
from mediaproof.api.schemas.exchange import (
    CheckpointOut,
    CollectionOut,
    ConsistencyOut,
    OpinionCreated,
    OpinionIn,
    SignalOpinionsOut,
    SnapshotOut,
    UpdatesOut,
)
from mediaproof.api.schemas.exchange_contrib import (
    AcceptedOut,
    ContributionIn,
    ContributionOut,
    RejectedOut,
    RejectIn,
)
from mediaproof.exchange.models import DEFAULT_PAGE, MAX_PAGE
from mediaproof.services import exchange, exchange_contrib

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])
ERR = errors(400, 401, 403, 404, 410, 422, 429)
BASE = "/collections/{collection}"


async def _limit(ctx: Ctx, who: Who) -> None:
    await take(ctx.limiter, "exchange", exchange.rate_key(who))


@router.get("/collections", name="exchange.collections", responses=ERR)
async def collections(ctx: Ctx, who: Who) -> list[CollectionOut]:
    """The collections this caller may read."""
    await _limit(ctx, who)
    found = await run_in_threadpool(exchange.visible_collections, ctx.inst, who)
    return [CollectionOut.model_validate(c) for c in found]


@router.get(BASE, name="exchange.collection", responses=ERR)
async def collection(collection: str, ctx: Ctx, who: Who) -> CollectionOut:
    await _limit(ctx, who)
    return CollectionOut.model_validate(
        await run_in_threadpool(exchange.collection_info, ctx.inst, who, collection)
    )


@router.get(BASE + "/updates", name="exchange.updates", response_model=UpdatesOut, responses=ERR)
async def updates(
    collection: str,
    ctx: Ctx,
    who: Who,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="the last seq you hold (0: from the start)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    size: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="prove against this size (later pages of a pull)"),
    ] = None,
) -> Response:
    """Updates after ``after`` in server order, each with its log index and inclusion
    proof, the signed checkpoint and the consistency proof from ``after``. 410
    ``reload_snapshot`` when ``after`` is older than the tombstones kept."""
    await _limit(ctx, who)
    # absent keys stay absent: a row is a log leaf, and only opinion rows carry
    # ``opinion`` and ``reason`` (a null there would be a different leaf to a puller)
    return model_response(
        UpdatesOut,
        await run_in_threadpool(
            lambda: exchange.updates(ctx.inst, who, collection, after=after, limit=limit, size=size)
        ),
    )


@router.get(BASE + "/checkpoint", name="exchange.checkpoint", responses=ERR)
async def checkpoint(collection: str, ctx: Ctx, who: Who) -> CheckpointOut:
    await _limit(ctx, who)
    return CheckpointOut.model_validate(
        await run_in_threadpool(exchange.checkpoint, ctx.inst, who, collection)
    )


@router.get(BASE + "/proof/consistency", name="exchange.consistency", responses=ERR)
async def consistency(
    collection: str,
    ctx: Ctx,
    who: Who,
    old: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    new: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="default: the current size")
    ] = None,
) -> ConsistencyOut:
    """RFC 6962 consistency proof between two sizes, with the checkpoint of ``new``."""
    await _limit(ctx, who)
    return ConsistencyOut.model_validate(
        await run_in_threadpool(exchange.consistency, ctx.inst, who, collection, old, new)
    )


@router.get(
    BASE + "/snapshot",
    name="exchange.snapshot",
    response_model=SnapshotOut,
    responses={
        200: {"content": {"text/plain": {}, "text/csv": {}}, "description": "by ``format``"},
        **ERR,
    },
)
async def snapshot(
    collection: str,
    ctx: Ctx,
    who: Who,
    format: Annotated[str, Query(description="local_file, csv or json")] = "json",
    old: Annotated[
        int, Query(ge=0, le=MAX_ID, description="json: consistency proof from this size")
    ] = 0,
) -> Response:
    """The live signals: python-threatexchange ``local_file`` lines, its ``dataset --csv``
    columns, or JSON with proofs."""
    await _limit(ctx, who)
    media, body = await run_in_threadpool(
        lambda: exchange.snapshot(ctx.inst, who, collection, format, old=old)
    )
    if isinstance(body, dict):
        return model_response(SnapshotOut, body)
    return PlainTextResponse(body, media_type=media)


# --- opinions on a collection's signals (docs/exchange.md, "Opinions") ---------------


SignalId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="the seq of a feed row that carries the signal")
]
CollectionName = Annotated[str, Path(min_length=1, max_length=63)]


@router.post(
    BASE + "/signals/{signal_id}/opinions",
    name="exchange.opine",
    status_code=201,
    response_model=OpinionCreated,
    responses=errors(400, 401, 403, 404, 409, 410, 422, 429),
)
async def opine(
    collection: CollectionName, signal_id: SignalId, body: OpinionIn, ctx: Ctx, who: Who
) -> dict[str, Any]:
    """Say what you found about one signal: a peer token needs the ``exchange:opine``
    scope and a grant of the collection; admins opine as the publisher (a
    ``confirmed`` from them re-enables a signal a peer suspended). The opinion is a new
    row of the collection's log."""
    await _limit(ctx, who)
    return await run_in_threadpool(
        exchange.opine, ctx.inst, who, collection, signal_id, body.opinion, body.reason
    )


@router.get(
    BASE + "/signals/{signal_id}/opinions",
    name="exchange.opinions",
    response_model=SignalOpinionsOut,
    responses=ERR,
)
async def signal_opinions(
    collection: CollectionName, signal_id: SignalId, ctx: Ctx, who: Who
) -> dict[str, Any]:
    """The opinions on one signal: each owner's latest, counts, the history, the
    aggregate category (python-threatexchange's) and whether it still acts."""
    await _limit(ctx, who)
    return await run_in_threadpool(exchange.opinions, ctx.inst, who, collection, signal_id)


# --- contributions (docs/exchange.md, "Contributions") -------------------------------

ContributionId = Annotated[int, Path(ge=1, le=MAX_ID)]
CONTRIB_ERR = errors(400, 401, 403, 404, 409, 422, 429)


@router.post(
    BASE + "/contributions",
    name="exchange.contribute",
    status_code=201,
    response_model=ContributionOut,
    responses=CONTRIB_ERR,
)
async def contribute(
    collection: CollectionName, body: ContributionIn, ctx: Ctx, who: Who
) -> dict[str, Any]:
    """Submit a signal for the publisher's review: a peer token with the
    ``exchange:contribute`` scope and a grant of the collection. It is published only
    when a reviewer accepts it (owned by you), or rejected with a reason. 409 when the
    collection publishes, withdrew, or already holds it pending; 422 when the quality
    gate refuses it (PDQ quality below 50, a flat hash)."""
    await _limit(ctx, who)
    return await run_in_threadpool(
        lambda: exchange_contrib.contribute(
            ctx.inst,
            who,
            collection,
            signal_type=body.signal_type,
            value=body.value,
            category=body.category,
            tags=body.tags,
            quality=body.quality,
            reason=body.reason,
        )
    )


@router.get(
    BASE + "/contributions",
    name="exchange.my_contributions",
    response_model=list[ContributionOut],
    responses=ERR,
)
async def my_contributions(collection: CollectionName, ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    """Your contributions to this collection and what became of them."""
    await _limit(ctx, who)
    return await run_in_threadpool(exchange_contrib.my_contributions, ctx.inst, who, collection)


@router.get(
    "/contributions",
    name="exchange.contributions",
    response_model=list[ContributionOut],
    responses=errors(400, 401, 403, 404, 422, 429),
)
async def contributions(
    ctx: Ctx,
    who: Who,
    status: Annotated[
        str | None, Query(max_length=20, description="pending, accepted or rejected")
    ] = None,
    collection: Annotated[str | None, Query(min_length=1, max_length=63)] = None,
) -> list[dict[str, Any]]:
    """Contributions peers submitted, newest first (reviewers and admins)."""
    return await run_in_threadpool(
        lambda: exchange_contrib.contributions(ctx.inst, status=status, collection=collection)
    )


def _reviewer(who: Any) -> str:
    return str(who.user.username) if who.user else exchange_contrib.OPERATOR


@router.post(
    "/contributions/{contribution_id}/accept",
    name="exchange.contribution_accept",
    response_model=AcceptedOut,
    responses=CONTRIB_ERR,
)
async def accept_contribution(
    contribution_id: ContributionId, ctx: Ctx, who: Who
) -> dict[str, Any]:
    """Publish a pending contribution: a new signal row of the collection's feed (a leaf
    of its log), owned by the contributing peer."""
    return await run_in_threadpool(
        exchange_contrib.accept, ctx.inst, contribution_id, _reviewer(who)
    )


@router.post(
    "/contributions/{contribution_id}/reject",
    name="exchange.contribution_reject",
    response_model=RejectedOut,
    responses=CONTRIB_ERR,
)
async def reject_contribution(
    contribution_id: ContributionId, body: RejectIn, ctx: Ctx, who: Who
) -> dict[str, Any]:
    """Refuse a pending contribution, with a reason the contributor reads."""
    return await run_in_threadpool(
        exchange_contrib.reject, ctx.inst, contribution_id, body.reason, _reviewer(who)
    )
