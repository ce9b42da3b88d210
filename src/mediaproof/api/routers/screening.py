"""Prompt screening over HTTP (docs/screening.md).

``POST /api/v1/screen/prompt`` is for generation tools (the ``screen:prompt`` permission,
an API token of a ``toolmaker`` account), rate-limited per calling address even when
signed in. The officials list, operator seeds and the record of blocks need
``screen:manage`` (admins). No prompt text is logged; the access log records only the
route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx, Who
from mediaproof.api.schemas import ErrorOut
from mediaproof.screening.engine import MAX_PROMPT_CHARS
from mediaproof.services import screening as svc

router = APIRouter(prefix="/api/v1/screen", tags=["screening"])
ERR: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut} for s in (400, 401, 403, 404, 422, 429)
}


class PromptIn(BaseModel):
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    user_ref: str | None = Field(
        default=None,
        max_length=128,
        description="the tool's pseudonymous reference for its user (never a name or an "
        "e-mail address): blocks and reviews are counted per tool and user_ref",
    )


class ReasonOut(BaseModel):
    rule: str
    matched: str
    person: str | None = None
    person_id: str | None = None
    source: str | None = None
    score: float | None = None
    detail: str | None = None


class DecisionOut(BaseModel):
    decision: str = Field(description="allow | review | block")
    policy_version: str
    reasons: list[ReasonOut]
    embeddings: bool = Field(description="whether nearest-neighbour search over seeds ran")
    event_id: int | None = Field(description="the recorded block or review; null if allowed")


class SeedIn(BaseModel):
    scenario: str = Field(min_length=2, max_length=40)
    text: str = Field(min_length=1, max_length=svc.MAX_SEED)
    language: str = Field(default="en", max_length=16)


class SeedOut(BaseModel):
    id: str
    scenario: str
    text: str
    language: str


class OfficialIn(BaseModel):
    name: str = Field(min_length=1, max_length=svc.MAX_NAME)
    aliases: list[str] = Field(default_factory=list, max_length=svc.MAX_ALIASES)
    role: str = Field(default="", max_length=svc.MAX_NAME)


class OfficialOut(BaseModel):
    id: int
    name: str
    aliases: list[str]
    role: str
    created_at: str


@router.post("/prompt", name="screen.prompt", response_model=DecisionOut, responses=ERR)
async def screen_prompt(body: PromptIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    """Screen a prompt before generating: allow, review (hold for a person) or block,
    with the policy version and the reasons (matched words, person, rule)."""
    assert who.user is not None
    service = await run_in_threadpool(svc.service_for, ctx.inst)
    res = await run_in_threadpool(service.screen, body.prompt, who.user.username, body.user_ref)
    return res.to_json()


@router.get("/seeds", name="screen.seeds", response_model=list[SeedOut], responses=ERR)
async def list_seeds(ctx: Ctx) -> list[dict[str, Any]]:
    seeds = await run_in_threadpool(svc.operator_seeds, ctx.inst)
    return [s.__dict__ for s in seeds]


@router.post(
    "/seeds", name="screen.seed_add", status_code=201, response_model=SeedOut, responses=ERR
)
async def add_seed(body: SeedIn, ctx: Ctx) -> dict[str, Any]:
    """Add an example prompt of an incident: the next screening uses it."""
    seed = await run_in_threadpool(svc.add_seed, ctx.inst, body.scenario, body.text, body.language)
    return seed.__dict__


@router.get("/officials", name="screen.officials", response_model=list[OfficialOut], responses=ERR)
async def list_officials(ctx: Ctx) -> list[dict[str, Any]]:
    return [o.to_json() for o in await run_in_threadpool(svc.list_officials, ctx.inst)]


@router.post(
    "/officials",
    name="screen.official_add",
    status_code=201,
    response_model=OfficialOut,
    responses=ERR,
)
async def add_official(body: OfficialIn, ctx: Ctx) -> dict[str, Any]:
    o = await run_in_threadpool(svc.add_official, ctx.inst, body.name, body.aliases, body.role)
    return o.to_json()


@router.get("/events", name="screen.events", responses=ERR)
async def list_events(
    ctx: Ctx,
    tool: Annotated[str | None, Query(max_length=100)] = None,
    user_ref: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Recorded blocks and reviews (newest first) and the counts per tool and user_ref."""
    events = await run_in_threadpool(svc.list_events, ctx.inst, tool, user_ref, limit)
    counts = await run_in_threadpool(svc.event_counts, ctx.inst)
    return {"events": events, "counts": counts}
