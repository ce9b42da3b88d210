"""Prompt screening over HTTP (docs/screening.md).

``POST /api/v1/screen/prompt`` is for generation tools (the ``screen:prompt`` permission,
an API token of a ``toolmaker`` account), rate-limited per calling address even when
signed in. The officials list, operator seeds and the record of blocks need
``screen:manage`` (admins). No prompt text is logged; the access log records only the
route.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import Principal
from mediaproof.api.deps import Ctx, UploadDep, Who
from mediaproof.api.params import IdPath
from mediaproof.api.schemas import ErrorOut
from mediaproof.screening.engine import MAX_PROMPT_CHARS
from mediaproof.services import consent as consents
from mediaproof.services import output_screening as outputs
from mediaproof.services import screening as svc
from mediaproof.services.jobs import Job

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
    user_banned: bool = Field(
        default=False,
        description="this tool's user_ref is banned under the operator's ban rule (now, or "
        "because of this prompt): its prompts are blocked until an admin lifts the ban",
    )


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


# --- output screening (tool makers) ---------------------------------------------------


def _tool(who: Principal) -> outputs.Tool:
    assert who.user is not None
    return outputs.Tool(who.user.id, who.user.username)


@router.post(
    "/output",
    name="screen.output",
    responses={
        **{s: {"model": ErrorOut} for s in (400, 401, 403, 408, 413, 415, 422, 429, 503)},
        202: {"description": "video or long audio: a job (GET /api/v1/jobs/{id})"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "user_ref": {"type": "string", "maxLength": 128},
                            "use": {"type": "string", "default": outputs.DEFAULT_USE},
                            "territory": {"type": "string", "description": "ISO 3166-1 alpha-2"},
                            "sign": {"type": "boolean", "default": False},
                        },
                        "required": ["file"],
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def screen_output(ctx: Ctx, upload: UploadDep, who: Who) -> JSONResponse:
    """Screen a generated image, audio or video before handing it out: an enrolled
    person's face or voice without a valid consent record for this tool and use is
    held; otherwise allowed, and with ``sign=true`` signed as AI-generated (C2PA
    trainedAlgorithmicMedia, this tool as the generator), watermarked and registered.
    Video and audio over a minute answer 202 with a job."""
    req = outputs.parse_request(upload.fields)
    fut = outputs.submit(ctx.inst, ctx.jobs, upload.path, upload.keep, _tool(who), req)
    out = await asyncio.wrap_future(fut)
    if isinstance(out, Job):
        body = {**out.as_dict(), "status_url": f"/api/v1/jobs/{out.id}"}
        return JSONResponse(body, status_code=202, headers={"Location": body["status_url"]})
    return JSONResponse(out)


@router.get(
    "/outputs/{asset_id}/file",
    name="screen.output_file",
    responses={404: {"model": ErrorOut}},
)
async def output_file(asset_id: IdPath, ctx: Ctx, who: Who) -> FileResponse:
    """A signed output, for the tool that made it."""
    f = await run_in_threadpool(outputs.output_file, ctx.inst, _tool(who), asset_id)
    return FileResponse(f.path, media_type=f.mime, filename=f.filename)


# --- consent records (admins) -----------------------------------------------------------

CONSENT_ID = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^consent-[0-9a-f]+$")]


class ConsentIn(BaseModel):
    enrolment_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    grantee: str = Field(min_length=1, max_length=100, description="a toolmaker account")
    modalities: list[str] = Field(min_length=1, max_length=2, description="face, voice")
    permitted_uses: list[str] = Field(min_length=1, max_length=consents.MAX_LIST)
    prohibited_uses: list[str] = Field(default_factory=list, max_length=consents.MAX_LIST)
    territory: list[str] = Field(min_length=1, max_length=60)
    valid_from: str | None = Field(default=None, max_length=40)
    valid_until: str = Field(min_length=10, max_length=40, description="required end")
    evidence_sha256: str = Field(min_length=64, max_length=64)
    signed_how: str = Field(description=", ".join(consents.SIGNED_HOW))
    granted_by: str = Field(default="subject", description="subject | agent")


@router.get("/consents", name="screen.consents", responses=ERR)
async def list_consents(
    ctx: Ctx,
    grantee: Annotated[str | None, Query(max_length=100)] = None,
    enrolment_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    found = await run_in_threadpool(
        lambda: consents.list_consents(ctx.inst, grantee=grantee, enrolment_id=enrolment_id)
    )
    return {"consents": [c.to_json() for c in found]}


@router.post("/consents", name="screen.consent_grant", status_code=201, responses=ERR)
async def grant_consent(body: ConsentIn, ctx: Ctx, who: Who) -> JSONResponse:
    """Record a person's consent to synthetic use of their face and/or voice by one tool
    maker; a ``consent.granted`` leaf goes into the transparency log."""
    assert who.user is not None
    recorded_by = who.user.username

    def run() -> consents.Logged:
        start = consents.parse_time(body.valid_from, end_of_day=False) if body.valid_from else None
        return consents.grant(
            ctx.inst,
            enrolment_id=body.enrolment_id,
            grantee=body.grantee,
            modalities=body.modalities,
            permitted_uses=body.permitted_uses,
            prohibited_uses=body.prohibited_uses,
            territory=body.territory,
            valid_from=start,
            valid_until=consents.parse_time(body.valid_until, end_of_day=True),
            evidence_sha256=body.evidence_sha256,
            signed_how=body.signed_how,
            granted_by=body.granted_by,
            recorded_by=recorded_by,
        )

    logged = await run_in_threadpool(run)
    return JSONResponse(
        logged.to_json(),
        status_code=201,
        headers={"Location": f"/api/v1/screen/consents/{logged.consent.id}"},
    )


@router.get("/consents/{consent_id}", name="screen.consent", responses=ERR)
async def get_consent(consent_id: CONSENT_ID, ctx: Ctx) -> dict[str, Any]:
    c = await run_in_threadpool(consents.get, ctx.inst, consent_id)
    return {"consent": c.to_json()}


@router.post("/consents/{consent_id}/revoke", name="screen.consent_revoke", responses=ERR)
async def revoke_consent(consent_id: CONSENT_ID, ctx: Ctx, who: Who) -> dict[str, Any]:
    """Revoke at once: output screening stops honouring it; a ``consent.revoked`` leaf
    goes into the log."""
    assert who.user is not None
    by = who.user.username
    logged = await run_in_threadpool(lambda: consents.revoke(ctx.inst, consent_id, revoked_by=by))
    return logged.to_json()


# --- bans under the operator's ban rule (admins) -----------------------------------------


class LiftIn(BaseModel):
    tool: str = Field(min_length=1, max_length=100)
    user_ref: str = Field(min_length=1, max_length=128)


@router.get("/bans", name="screen.bans", responses=ERR)
async def list_bans(
    ctx: Ctx,
    tool: Annotated[str | None, Query(max_length=100)] = None,
    active: bool = False,
) -> dict[str, Any]:
    """Users banned by the ban rule, newest first (``active=true``: not lifted)."""
    return {"bans": await run_in_threadpool(svc.list_bans, ctx.inst, tool, active)}


@router.post("/bans/lift", name="screen.ban_lift", responses=ERR)
async def lift_ban(body: LiftIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    """Lift a ban (e.g. after the user contested it)."""
    assert who.user is not None
    by = who.user.username
    return await run_in_threadpool(svc.lift_ban, ctx.inst, body.tool, body.user_ref, by)
