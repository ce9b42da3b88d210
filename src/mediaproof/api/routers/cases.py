"""The case workflow over JSON: notices, status by token, review, appeals, webhooks
administration, statements of reasons and the transparency report. See docs/api.md.

Bodies are pydantic models; answers are built from the service's views (never rows), and
the reporter's name, e-mail and signature never leave the notices table.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediaproof.api.case_deps import (
    Cases,
    file_notice,
    now,
    period,
    public_base,
    reviewer_name,
)
from mediaproof.api.deps import Ctx, Who
from mediaproof.api.params import VersionField
from mediaproof.api.schemas import ErrorOut
from mediaproof.cases.models import AppealOutcome, CaseView, Outcome
from mediaproof.cases.report import to_csv
from mediaproof.services import candidates
from mediaproof.services.cases import (
    CaseDetail,
    DecisionResult,
    Receipt,
    ReporterStatus,
)

router = APIRouter(prefix="/api/v1", tags=["cases"])
ERR: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut} for s in (400, 401, 403, 404, 409, 422, 429)
}


class DecisionIn(BaseModel):
    outcome: Outcome
    rule_id: str = Field(max_length=50)
    explanation: str = Field(max_length=5000)
    version: VersionField | None = Field(
        default=None, description="the case version you reviewed; a newer one answers 409"
    )


class AppealIn(BaseModel):
    token: str = Field(max_length=200, description="status token or uploader appeal token")
    grounds: str = Field(max_length=5000)


class AppealDecisionIn(BaseModel):
    outcome: AppealOutcome
    explanation: str = Field(max_length=5000)
    new_outcome: Outcome | None = None
    rule_id: str | None = Field(default=None, max_length=50)


class EndpointIn(BaseModel):
    platform: str = Field(min_length=1, max_length=255, description="host name, or * for all")
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=500)


class CandidateIn(BaseModel):
    username: str = Field(max_length=64)


def _json(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable_encoder(dataclasses.asdict(x))
    return jsonable_encoder(x)


def receipt_json(r: Receipt, base_url: str) -> dict[str, Any]:
    return {
        "case_number": r.case_number,
        "notice_id": r.notice_id,
        "status_token": r.status_token,
        "status_url": f"{base_url}/status/{r.status_token}",
        "received_at": r.received_at.isoformat(),
        "priority": r.triage.priority,
        "due_at": r.triage.due_at.isoformat(),
        "clock": r.triage.clock,
        "joined_existing_case": r.joined_existing_case,
    }


def status_json(st: ReporterStatus) -> dict[str, Any]:
    out: dict[str, Any] = _json(st)
    for a in out["appeals"]:
        a.pop("reviewer", None)  # reporters learn the outcome, not which staff member
    return out


def case_json(c: CaseView) -> dict[str, Any]:
    out: dict[str, Any] = _json(c)
    out["time_left_s"] = round((c.due_at - now()).total_seconds())
    return out


def detail_json(d: CaseDetail) -> dict[str, Any]:
    out: dict[str, Any] = _json(d)
    out["case"] = case_json(d.case)
    return out


def decision_json(r: DecisionResult) -> dict[str, Any]:
    out: dict[str, Any] = _json(r)
    out["case"] = case_json(r.case)
    return out


# --- reporters: anyone ---------------------------------------------------------------


@router.post("/notices", name="cases.notice_create", status_code=201, responses=ERR)
async def notice_create(request: Request, ctx: Ctx, cases: Cases) -> dict[str, Any]:
    """File a notice: JSON, or multipart/form-data with the media in ``file``."""
    r = await file_notice(request, ctx, cases)
    return receipt_json(r, public_base(request))


@router.get("/status/{token}", name="cases.status", responses=ERR)
async def status(token: str, cases: Cases) -> dict[str, Any]:
    return status_json(await run_in_threadpool(cases.status, token))


@router.post("/status/{token}/withdraw", name="cases.withdraw", responses=ERR)
async def withdraw(token: str, cases: Cases) -> dict[str, Any]:
    return status_json(await run_in_threadpool(cases.withdraw, token, now()))


@router.post("/appeals", name="cases.appeal_create", status_code=201, responses=ERR)
async def appeal_create(body: AppealIn, cases: Cases) -> dict[str, Any]:
    """Appeal with a reporter's status token or the uploader's appeal token."""
    a = await run_in_threadpool(lambda: cases.appeal(body.token, grounds=body.grounds, now=now()))
    return {"appeal_id": a.public_id, "party": a.party.value, "filed_at": a.filed_at.isoformat()}


@router.get("/my/notices", name="cases.my_notices", responses=ERR)
async def my_notices(who: Who, cases: Cases) -> list[dict[str, Any]]:
    assert who.user is not None
    rows = await run_in_threadpool(cases.notices_of_account, who.user.id)
    return [status_json(r) for r in rows]


@router.get("/policy", name="cases.policy", responses=ERR)
async def policy(cases: Cases) -> dict[str, Any]:
    out: dict[str, Any] = jsonable_encoder(dataclasses.asdict(cases.policy))
    return out


# --- reviewers -----------------------------------------------------------------------


@router.get("/cases", name="cases.queue", responses=ERR)
async def queue(cases: Cases, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    q = await run_in_threadpool(cases.queue, limit)
    appeals = await run_in_threadpool(cases.appeal_queue, limit)
    return {"cases": [case_json(c) for c in q], "appealed": [case_json(c) for c in appeals]}


@router.get("/cases/{number}", name="cases.show", responses=ERR)
async def show(number: str, cases: Cases) -> dict[str, Any]:
    return detail_json(await run_in_threadpool(cases.show, number))


@router.post("/cases/{number}/decisions", name="cases.decide", status_code=201, responses=ERR)
async def decide(
    number: str, body: DecisionIn, request: Request, who: Who, cases: Cases
) -> dict[str, Any]:
    base = public_base(request)
    r = await run_in_threadpool(
        lambda: cases.decide(
            number,
            reviewer=reviewer_name(who),
            outcome=body.outcome,
            rule_id=body.rule_id,
            explanation=body.explanation,
            now=now(),
            expected_version=body.version,
            base_url=base,
        )
    )
    return decision_json(r)


@router.post("/cases/{number}/confirm", name="cases.confirm", responses=ERR)
async def confirm(number: str, request: Request, who: Who, cases: Cases) -> dict[str, Any]:
    base = public_base(request)
    r = await run_in_threadpool(
        lambda: cases.confirm(number, reviewer=reviewer_name(who), now=now(), base_url=base)
    )
    return decision_json(r)


@router.post("/cases/{number}/reject", name="cases.reject", responses=ERR)
async def reject(number: str, who: Who, cases: Cases) -> dict[str, Any]:
    c = await run_in_threadpool(
        lambda: cases.reject(number, reviewer=reviewer_name(who), now=now())
    )
    return case_json(c)


@router.post("/appeals/{appeal_id}/decision", name="cases.appeal_decide", responses=ERR)
async def appeal_decide(
    appeal_id: str, body: AppealDecisionIn, request: Request, who: Who, cases: Cases
) -> dict[str, Any]:
    base = public_base(request)
    r = await run_in_threadpool(
        lambda: cases.decide_appeal(
            appeal_id,
            reviewer=reviewer_name(who),
            outcome=body.outcome,
            explanation=body.explanation,
            now=now(),
            new_outcome=body.new_outcome,
            rule_id=body.rule_id,
            base_url=base,
        )
    )
    out: dict[str, Any] = _json(r)
    out["case"] = case_json(r.case)
    return out


# --- exports -------------------------------------------------------------------------


@router.get("/statements", name="cases.statements", responses=ERR)
async def statements(
    cases: Cases,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    """DSA Transparency Database v2 batches for a period; reading marks nothing."""
    s, e = period(start, end)
    return await run_in_threadpool(
        lambda: cases.sor_export(now(), mark_exported=False, include_exported=True, start=s, end=e)
    )


@router.post("/statements/export", name="cases.statements_export", responses=ERR)
async def statements_export(cases: Cases) -> list[dict[str, Any]]:
    """Statements not exported before, marked exported (for submission to the database)."""
    return await run_in_threadpool(lambda: cases.sor_export(now()))


@router.get("/transparency-report", name="cases.report_csv", responses=ERR)
async def report_csv(
    cases: Cases,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    s, e = period(start, end)
    rep = await run_in_threadpool(cases.transparency_report, s, e)
    name = f"transparency-{s.date().isoformat()}-{e.date().isoformat()}.csv"
    return Response(
        to_csv(rep).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- admins: webhooks and candidates ---------------------------------------------------


@router.get("/webhooks/endpoints", name="cases.endpoints", responses=ERR)
async def endpoints(cases: Cases) -> list[dict[str, Any]]:
    return await run_in_threadpool(cases.endpoints)


@router.post("/webhooks/endpoints", name="cases.endpoint_set", status_code=201, responses=ERR)
async def endpoint_set(body: EndpointIn, cases: Cases) -> dict[str, Any]:
    await run_in_threadpool(cases.register_endpoint, body.platform, body.url, body.secret)
    return {"platform": body.platform, "url": body.url, "active": True}


@router.get("/webhooks/dead-letters", name="cases.dead_letters", responses=ERR)
async def dead_letters(cases: Cases) -> list[dict[str, Any]]:
    return await run_in_threadpool(cases.dead_letters)


@router.post(
    "/webhooks/dead-letters/{delivery_id}/retry", name="cases.dead_letter_retry", responses=ERR
)
async def dead_letter_retry(delivery_id: str, cases: Cases) -> dict[str, Any]:
    await run_in_threadpool(cases.retry_dead, delivery_id, now())
    return {"delivery_id": delivery_id, "status": "pending"}


@router.get("/candidates", name="cases.candidates", responses=ERR)
async def candidate_list(ctx: Ctx) -> list[dict[str, Any]]:
    rows = await run_in_threadpool(candidates.list_candidates, ctx.inst)
    return [_json(c) for c in rows]


@router.post("/candidates", name="cases.candidate_approve", status_code=201, responses=ERR)
async def candidate_approve(body: CandidateIn, ctx: Ctx, who: Who) -> dict[str, Any]:
    c = await run_in_threadpool(candidates.approve, ctx.inst, who, body.username)
    out: dict[str, Any] = _json(c)
    return out


@router.delete("/candidates/{username}", name="cases.candidate_revoke", responses=ERR)
async def candidate_revoke(username: str, ctx: Ctx) -> dict[str, Any]:
    await run_in_threadpool(candidates.revoke, ctx.inst, username)
    return {"username": username, "verified": False}
