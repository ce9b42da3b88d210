"""The case workflow over JSON: notices, status by token, review, appeals, webhooks
administration, statements of reasons and the transparency report. See docs/api.md.

Bodies are pydantic models; answers are built from the service's views (never rows), and
the reporter's name, e-mail and signature never leave the notices table.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mediaproof.api.case_deps import (
    Cases,
    Period,
    file_notice,
    now,
    public_base,
    reviewer_name,
)
from mediaproof.api.deps import Ctx, Who
from mediaproof.api.schemas import errors
from mediaproof.api.schemas.cases import (
    NOTICE_BODY,
    AppealDecisionIn,
    AppealFiledOut,
    AppealIn,
    AppealResultOut,
    CandidateIn,
    CandidateOut,
    CandidateRevokedOut,
    CaseDetailOut,
    CaseOut,
    DeadLetterOut,
    DecisionIn,
    DecisionResultOut,
    DeliveryRetryOut,
    EndpointIn,
    EndpointOut,
    PolicyOut,
    QueueOut,
    ReceiptOut,
    ReporterStatusOut,
    StatementBatchOut,
)
from mediaproof.cases.report import to_csv
from mediaproof.services import candidates

router = APIRouter(prefix="/api/v1", tags=["cases"])
ERR = errors(400, 401, 403, 404, 409, 422, 429)


# --- reporters: anyone ---------------------------------------------------------------


@router.post(
    "/notices",
    name="cases.notice_create",
    status_code=201,
    # and what an upload answers: too slow (408), too large (413), not media (415)
    responses=errors(400, 401, 403, 404, 408, 409, 413, 415, 422, 429),
    openapi_extra=NOTICE_BODY,
)
async def notice_create(request: Request, ctx: Ctx, cases: Cases) -> ReceiptOut:
    """File a notice: JSON, or multipart/form-data with the media in ``file``."""
    r = await file_notice(request, ctx, cases)
    return ReceiptOut.of(r, public_base(request))


@router.get("/status/{token}", name="cases.status", responses=ERR)
async def status(token: str, cases: Cases) -> ReporterStatusOut:
    return ReporterStatusOut.of(await run_in_threadpool(cases.status, token))


@router.post("/status/{token}/withdraw", name="cases.withdraw", responses=ERR)
async def withdraw(token: str, cases: Cases) -> ReporterStatusOut:
    return ReporterStatusOut.of(await run_in_threadpool(cases.withdraw, token, now()))


@router.post("/appeals", name="cases.appeal_create", status_code=201, responses=ERR)
async def appeal_create(body: AppealIn, cases: Cases) -> AppealFiledOut:
    """Appeal with a reporter's status token or the uploader's appeal token."""
    a = await run_in_threadpool(lambda: cases.appeal(body.token, grounds=body.grounds, now=now()))
    return AppealFiledOut(appeal_id=a.public_id, party=a.party, filed_at=a.filed_at.isoformat())


@router.get("/my/notices", name="cases.my_notices", responses=ERR)
async def my_notices(who: Who, cases: Cases) -> list[ReporterStatusOut]:
    assert who.user is not None
    rows = await run_in_threadpool(cases.notices_of_account, who.user.id)
    return [ReporterStatusOut.of(r) for r in rows]


@router.get("/policy", name="cases.policy", responses=ERR)
async def policy(cases: Cases) -> PolicyOut:
    return PolicyOut.of(cases.policy)


# --- reviewers -----------------------------------------------------------------------


@router.get("/cases", name="cases.queue", responses=ERR)
async def queue(cases: Cases, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> QueueOut:
    q = await run_in_threadpool(cases.queue, limit)
    appeals = await run_in_threadpool(cases.appeal_queue, limit)
    t = now()
    return QueueOut(
        cases=[CaseOut.of(c, t) for c in q], appealed=[CaseOut.of(c, t) for c in appeals]
    )


@router.get("/cases/{number}", name="cases.show", responses=ERR)
async def show(number: str, cases: Cases) -> CaseDetailOut:
    return CaseDetailOut.of(await run_in_threadpool(cases.show, number), now())


@router.post("/cases/{number}/decisions", name="cases.decide", status_code=201, responses=ERR)
async def decide(
    number: str, body: DecisionIn, request: Request, who: Who, cases: Cases
) -> DecisionResultOut:
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
    return DecisionResultOut.of(r, now())


@router.post("/cases/{number}/confirm", name="cases.confirm", responses=ERR)
async def confirm(number: str, request: Request, who: Who, cases: Cases) -> DecisionResultOut:
    base = public_base(request)
    r = await run_in_threadpool(
        lambda: cases.confirm(number, reviewer=reviewer_name(who), now=now(), base_url=base)
    )
    return DecisionResultOut.of(r, now())


@router.post("/cases/{number}/reject", name="cases.reject", responses=ERR)
async def reject(number: str, who: Who, cases: Cases) -> CaseOut:
    c = await run_in_threadpool(
        lambda: cases.reject(number, reviewer=reviewer_name(who), now=now())
    )
    return CaseOut.of(c, now())


@router.post("/appeals/{appeal_id}/decision", name="cases.appeal_decide", responses=ERR)
async def appeal_decide(
    appeal_id: str, body: AppealDecisionIn, request: Request, who: Who, cases: Cases
) -> AppealResultOut:
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
    return AppealResultOut.of(r, now())


# --- exports -------------------------------------------------------------------------


@router.get("/statements", name="cases.statements", responses=ERR)
async def statements(cases: Cases, span: Period) -> list[StatementBatchOut]:
    """DSA Transparency Database v2 batches for a period; reading marks nothing."""
    s, e = span
    found = await run_in_threadpool(
        lambda: cases.sor_export(now(), mark_exported=False, include_exported=True, start=s, end=e)
    )
    return [StatementBatchOut.model_validate(b) for b in found]


@router.post("/statements/export", name="cases.statements_export", responses=ERR)
async def statements_export(cases: Cases) -> list[StatementBatchOut]:
    """Statements not exported before, marked exported (for submission to the database)."""
    found = await run_in_threadpool(lambda: cases.sor_export(now()))
    return [StatementBatchOut.model_validate(b) for b in found]


@router.get(
    "/transparency-report",
    name="cases.report_csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **ERR},
)
async def report_csv(cases: Cases, span: Period) -> Response:
    s, e = span
    rep = await run_in_threadpool(cases.transparency_report, s, e)
    name = f"transparency-{s.date().isoformat()}-{e.date().isoformat()}.csv"
    return Response(
        to_csv(rep).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- admins: webhooks and candidates ---------------------------------------------------


@router.get("/webhooks/endpoints", name="cases.endpoints", responses=ERR)
async def endpoints(cases: Cases) -> list[EndpointOut]:
    return [EndpointOut.model_validate(e) for e in await run_in_threadpool(cases.endpoints)]


@router.post("/webhooks/endpoints", name="cases.endpoint_set", status_code=201, responses=ERR)
async def endpoint_set(body: EndpointIn, cases: Cases) -> EndpointOut:
    await run_in_threadpool(cases.register_endpoint, body.platform, body.url, body.secret)
    return EndpointOut(platform=body.platform, url=body.url, active=True)


@router.get("/webhooks/dead-letters", name="cases.dead_letters", responses=ERR)
async def dead_letters(cases: Cases) -> list[DeadLetterOut]:
    return [DeadLetterOut.model_validate(d) for d in await run_in_threadpool(cases.dead_letters)]


@router.post(
    "/webhooks/dead-letters/{delivery_id}/retry", name="cases.dead_letter_retry", responses=ERR
)
async def dead_letter_retry(delivery_id: str, cases: Cases) -> DeliveryRetryOut:
    await run_in_threadpool(cases.retry_dead, delivery_id, now())
    return DeliveryRetryOut(delivery_id=delivery_id, status="pending")


@router.get("/candidates", name="cases.candidates", responses=ERR)
async def candidate_list(ctx: Ctx) -> list[CandidateOut]:
    rows = await run_in_threadpool(candidates.list_candidates, ctx.inst)
    return [CandidateOut.of(c) for c in rows]


@router.post("/candidates", name="cases.candidate_approve", status_code=201, responses=ERR)
async def candidate_approve(body: CandidateIn, ctx: Ctx, who: Who) -> CandidateOut:
    c = await run_in_threadpool(candidates.approve, ctx.inst, who, body.username)
    return CandidateOut.of(c)


@router.delete("/candidates/{username}", name="cases.candidate_revoke", responses=ERR)
async def candidate_revoke(username: str, ctx: Ctx) -> CandidateRevokedOut:
    await run_in_threadpool(candidates.revoke, ctx.inst, username)
    return CandidateRevokedOut(username=username, verified=False)
