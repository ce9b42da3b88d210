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

from fastapi import APIRouter, BackgroundTasks, Path, Query
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import Principal
from mediaproof.api.analysis import Outcome, analysed, analysis_response
from mediaproof.api.case_deps import Cases
from mediaproof.api.deps import AppContext, Ctx, Who
from mediaproof.api.params import IdPath
from mediaproof.api.schemas import (
    SIGNED_FILE,
    ErrorOut,
    JobOut,
    errors,
    model_response,
    upload_body,
)
from mediaproof.api.schemas.screening import (
    BanOut,
    BansOut,
    ConsentIn,
    ConsentOut,
    ConsentsOut,
    DecisionOut,
    EventCountOut,
    EventsOut,
    LiftIn,
    LoggedConsentOut,
    OfficialIn,
    OfficialOut,
    OneConsentOut,
    OutputDecisionOut,
    PromptIn,
    ScreenAppealIn,
    ScreenAppealOut,
    ScreenEventOut,
    SeedIn,
    SeedOut,
    ToolWebhookIn,
    ToolWebhookOut,
)
from mediaproof.api.uploads import Upload
from mediaproof.services import consent as consents
from mediaproof.services import output_screening as outputs
from mediaproof.services import screening as svc
from mediaproof.services import screening_appeals as appeals
from mediaproof.services import screening_webhooks as tool_webhooks
from mediaproof.services.transparency import land_staged

router = APIRouter(prefix="/api/v1/screen", tags=["screening"])
ERR = errors(400, 401, 403, 404, 422, 429)


@router.post("/prompt", name="screen.prompt", response_model=DecisionOut, responses=ERR)
async def screen_prompt(
    body: PromptIn, ctx: Ctx, who: Who, background: BackgroundTasks
) -> dict[str, Any]:
    """Screen a prompt before generating: allow, review (hold for a person) or block,
    with the policy version and the reasons (matched words, person, rule). A block or
    review is a ``screen.decided`` log leaf, staged with its record and landed after
    the answer is sent (its index: ``GET /api/v1/screen/events/mine``)."""
    assert who.user is not None
    service = await run_in_threadpool(svc.service_for, ctx.inst)
    res = await run_in_threadpool(service.screen, body.prompt, who.user.username, body.user_ref)
    if res.event_id is not None:
        background.add_task(land_staged, ctx.inst)
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


@router.get("/events", name="screen.events", response_model=EventsOut, responses=ERR)
async def list_events(
    ctx: Ctx,
    tool: Annotated[str | None, Query(max_length=100)] = None,
    user_ref: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventsOut:
    """Recorded blocks and reviews (newest first) and the counts per tool and user_ref."""
    events = await run_in_threadpool(svc.list_events, ctx.inst, tool, user_ref, limit)
    counts = await run_in_threadpool(svc.event_counts, ctx.inst)
    return EventsOut(
        events=[ScreenEventOut.model_validate(e) for e in events],
        counts=[EventCountOut.model_validate(c) for c in counts],
    )


@router.get(
    "/events/mine", name="screen.own_events", response_model=list[ScreenEventOut], responses=ERR
)
async def own_events(
    ctx: Ctx,
    who: Who,
    user_ref: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ScreenEventOut]:
    """A tool's own recorded blocks, reviews and holds (newest first), each with where its
    ``screen.decided`` leaf landed in the transparency log (``index`` null while it is
    still staged), so a tool can prove later what it was told. Never the prompt's text."""
    assert who.user is not None
    name = who.user.username
    await run_in_threadpool(land_staged, ctx.inst)  # staged leaves get their index now
    events = await run_in_threadpool(
        lambda: svc.list_events(ctx.inst, name, user_ref, limit, show_text=False)
    )
    return [ScreenEventOut.model_validate(e) for e in events]


# --- output screening (tool makers) ---------------------------------------------------


def _tool(who: Principal) -> outputs.Tool:
    assert who.user is not None
    return outputs.Tool(who.user.id, who.user.username)


async def _screen_output(ctx: AppContext, upload: Upload, who: Principal) -> Outcome:
    req = outputs.parse_request(upload.fields)
    fut = outputs.submit(ctx.inst, ctx.jobs, upload.path, upload.keep, _tool(who), req)
    return await asyncio.wrap_future(fut)


@router.post(
    "/output",
    name="screen.output",
    response_model=OutputDecisionOut,
    responses={
        **errors(400, 401, 403, 408, 413, 415, 422, 429, 503),
        202: {"model": JobOut, "description": "video or long audio: a job (GET /api/v1/jobs/{id})"},
    },
    openapi_extra=upload_body(
        {
            "user_ref": {"type": "string", "maxLength": 128},
            "use": {"type": "string", "default": outputs.DEFAULT_USE},
            "territory": {"type": "string", "description": "ISO 3166-1 alpha-2"},
            "sign": {"type": "boolean", "default": False},
        }
    ),
)
async def screen_output(out: Annotated[Outcome, analysed(_screen_output)]) -> JSONResponse:
    """Screen a generated image, audio or video before handing it out: an enrolled
    person's face or voice without a valid consent record for this tool and use is
    held; otherwise allowed, and with ``sign=true`` signed as AI-generated (C2PA
    trainedAlgorithmicMedia, this tool as the generator), watermarked and registered.
    Video and audio over a minute answer 202 with a job."""
    return analysis_response(out, OutputDecisionOut)


@router.get(
    "/outputs/{asset_id}/file",
    name="screen.output_file",
    response_class=FileResponse,
    responses={200: SIGNED_FILE, **errors(401, 403, 404, 422)},
)
async def output_file(asset_id: IdPath, ctx: Ctx, who: Who) -> FileResponse:
    """A signed output, for the tool that made it."""
    f = await run_in_threadpool(outputs.output_file, ctx.inst, _tool(who), asset_id)
    return FileResponse(f.path, media_type=f.mime, filename=f.filename)


# --- consent records (admins) -----------------------------------------------------------

CONSENT_ID = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^consent-[0-9a-f]+$")]


@router.get("/consents", name="screen.consents", response_model=ConsentsOut, responses=ERR)
async def list_consents(
    ctx: Ctx,
    grantee: Annotated[str | None, Query(max_length=100)] = None,
    enrolment_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ConsentsOut:
    found = await run_in_threadpool(
        lambda: consents.list_consents(ctx.inst, grantee=grantee, enrolment_id=enrolment_id)
    )
    return ConsentsOut(consents=[ConsentOut.model_validate(c.to_json()) for c in found])


@router.post(
    "/consents",
    name="screen.consent_grant",
    status_code=201,
    response_model=LoggedConsentOut,
    responses=ERR,
)
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
    return model_response(
        LoggedConsentOut,
        logged.to_json(),
        status_code=201,
        headers={"Location": f"/api/v1/screen/consents/{logged.consent.id}"},
    )


@router.get("/consents/{consent_id}", name="screen.consent", responses=ERR)
async def get_consent(consent_id: CONSENT_ID, ctx: Ctx) -> OneConsentOut:
    c = await run_in_threadpool(consents.get, ctx.inst, consent_id)
    return OneConsentOut(consent=ConsentOut.model_validate(c.to_json()))


@router.post("/consents/{consent_id}/revoke", name="screen.consent_revoke", responses=ERR)
async def revoke_consent(consent_id: CONSENT_ID, ctx: Ctx, who: Who) -> LoggedConsentOut:
    """Revoke at once: output screening stops honouring it; a ``consent.revoked`` leaf
    goes into the log."""
    assert who.user is not None
    by = who.user.username
    logged = await run_in_threadpool(lambda: consents.revoke(ctx.inst, consent_id, revoked_by=by))
    return LoggedConsentOut.model_validate(logged.to_json())


# --- bans under the operator's ban rule (admins) -----------------------------------------


@router.get("/bans", name="screen.bans", responses=ERR)
async def list_bans(
    ctx: Ctx,
    tool: Annotated[str | None, Query(max_length=100)] = None,
    active: bool = False,
) -> BansOut:
    """Users banned by the ban rule, newest first (``active=true``: not lifted)."""
    found = await run_in_threadpool(svc.list_bans, ctx.inst, tool, active)
    return BansOut(bans=[BanOut.model_validate(b) for b in found])


@router.post("/bans/lift", name="screen.ban_lift", responses=ERR)
async def lift_ban(body: LiftIn, ctx: Ctx, who: Who) -> BanOut:
    """Lift a ban (e.g. after the user contested it)."""
    assert who.user is not None
    by = who.user.username
    return BanOut.model_validate(
        await run_in_threadpool(svc.lift_ban, ctx.inst, body.tool, body.user_ref, by)
    )


# --- the tool's webhook, and its users' appeals (tool makers) -----------------------------


@router.put("/webhook", name="screen.webhook_set", responses=ERR)
async def set_webhook(body: ToolWebhookIn, ctx: Ctx, who: Who) -> ToolWebhookOut:
    """Where this tool hears of bans of its users (``screen.user_banned``), lifted bans
    (``screen.ban_lifted``) and decided appeals (``screen.appeal_decided``), signed with
    ``secret`` like every mediaproof webhook. Public addresses only, unless the operator
    allows a network."""
    assert who.user is not None
    name = who.user.username
    out = await run_in_threadpool(tool_webhooks.register, ctx.inst, name, body.url, body.secret)
    return ToolWebhookOut.model_validate(out)


@router.get("/webhook", name="screen.webhook", responses=ERR)
async def get_webhook(ctx: Ctx, who: Who) -> ToolWebhookOut:
    assert who.user is not None
    out = await run_in_threadpool(tool_webhooks.endpoint, ctx.inst, who.user.username)
    return ToolWebhookOut.model_validate(out)


@router.post(
    "/appeals",
    name="screen.appeal",
    status_code=201,
    response_model=ScreenAppealOut,
    responses={**ERR, 409: {"model": ErrorOut}},
)
async def file_appeal(body: ScreenAppealIn, ctx: Ctx, who: Who, cases: Cases) -> JSONResponse:
    """A user of this tool contests a block or hold: it goes to the case workflow's
    appeal queue, where a human reviewer who took no part decides. A reversal lifts the
    block and any ban it led to."""
    assert who.user is not None
    name = who.user.username

    def run() -> dict[str, Any]:
        return appeals.appeal(
            ctx.inst,
            cases,
            tool=name,
            user_ref=body.user_ref,
            event_id=body.event_id,
            grounds=body.grounds,
        )

    return model_response(ScreenAppealOut, await run_in_threadpool(run), status_code=201)
