"""The hash exchange in the browser, for the publisher's reviewers and admins
(``cases:review``): the sources this instance pulls from and how their pulls go, the
collections it publishes, signals received from peers that wait for review, the
contributions peers submitted (accepted or rejected here, CSRF-protected forms), and
the signals a peer's opinion stopped acting (disputes). Peer tokens are never shown.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx, Who
from mediaproof.api.params import MAX_ID
from mediaproof.errors import MediaproofError
from mediaproof.exchange.models import MAX_REASON
from mediaproof.services import exchange, exchange_contrib, exchange_pull
from mediaproof.services.instance import Instance
from mediaproof.web.pages import render

router = APIRouter(include_in_schema=False)

MAX_INCOMING_SHOWN = 200  # per source and page: the page is an overview, the CLI lists all
MAX_PAGE_NUMBER = 100_000  # 20 million waiting signals a source, at 200 a page
ContributionId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _overview(inst: Instance, done: str | None = None, page: int = 1) -> dict[str, Any]:
    # counts in SQL, and one page of each source's waiting signals: a source may hold
    # a million of them
    sources = exchange_pull.peers(inst)
    incoming: list[dict[str, Any]] = []
    offset = (page - 1) * MAX_INCOMING_SHOWN
    for p in sources:
        if p["awaiting_review"] <= offset:
            continue
        waiting = exchange_pull.incoming(
            inst, p["name"], review="pending", limit=MAX_INCOMING_SHOWN, offset=offset
        )
        incoming += [{**s, "source": p["name"], "kind": p["kind"]} for s in waiting]
    most = max((p["awaiting_review"] for p in sources), default=0)
    counts = exchange_contrib.contribution_counts(inst)
    collections = exchange.list_collections(inst)
    for c in collections:
        c["contributions"] = counts.get(c["name"], {})
    everything = exchange_contrib.contributions(inst)
    # the outcome named in the redirect, only as the store has it (a link cannot fake it)
    shown = next((c for c in everything if done and f"{c['status']}={c['id']}" == done), None)
    return {
        "done": shown,
        "sources": sources,
        "collections": collections,
        "incoming": incoming,
        "incoming_page": page,
        "incoming_pages": max(1, -(-most // MAX_INCOMING_SHOWN)),
        "incoming_per_page": MAX_INCOMING_SHOWN,
        "pending": exchange_contrib.contributions(inst, status="pending"),
        "decided": [c for c in everything if c["status"] != "pending"][:20],
        "disputes": exchange.disputes(inst),
    }


def _page(
    request: Request, inst: Instance, status: int = 200, page: int = 1, **extra: Any
) -> HTMLResponse:
    q = request.query_params
    done = next((f"{k}={q[k]}" for k in ("accepted", "rejected") if k in q), None)
    return render(request, "exchange/overview.html", status, **_overview(inst, done, page), **extra)


@router.get("/exchange", name="web.exchange", response_class=HTMLResponse)
async def exchange_page(
    request: Request, ctx: Ctx, page: Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)] = 1
) -> HTMLResponse:
    """``page``: which page of the received signals awaiting review (per source)."""
    return await run_in_threadpool(_page, request, ctx.inst, 200, page)


def _reviewer(who: Any) -> str:
    return str(who.user.username) if who.user else exchange_contrib.OPERATOR


@router.post(
    "/exchange/contributions/{contribution_id}/accept",
    name="web.exchange_accept",
    response_model=None,
)
async def accept(contribution_id: ContributionId, request: Request, ctx: Ctx, who: Who) -> Response:
    try:
        await run_in_threadpool(exchange_contrib.accept, ctx.inst, contribution_id, _reviewer(who))
    except MediaproofError as e:
        status, msg = e.http_status, e.message
        return await run_in_threadpool(lambda: _page(request, ctx.inst, status, error=msg))
    return RedirectResponse(f"/exchange?accepted={contribution_id}", status_code=303)


@router.post(
    "/exchange/contributions/{contribution_id}/reject",
    name="web.exchange_reject",
    response_model=None,
)
async def reject(
    contribution_id: ContributionId,
    request: Request,
    ctx: Ctx,
    who: Who,
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
) -> Response:
    try:
        await run_in_threadpool(
            exchange_contrib.reject, ctx.inst, contribution_id, reason, _reviewer(who)
        )
    except MediaproofError as e:
        status, msg = e.http_status, e.message
        return await run_in_threadpool(lambda: _page(request, ctx.inst, status, error=msg))
    return RedirectResponse(f"/exchange?rejected={contribution_id}", status_code=303)
