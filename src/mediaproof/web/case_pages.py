"""Pages of the case workflow: report, follow by token, appeal, review, policy,
transparency report, and the admins' webhook and candidate pages.

Every form carries the CSRF token (checked in api.deps.enforce_access, or for the
multipart report form once its body is parsed). The pages call the same CaseService the
JSON API does; a refusal from the service (a conflict, the same reviewer twice) is shown
on the page it came from, with the HTTP status it carries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mediaproof.api.case_deps import (
    Cases,
    Period,
    analyse_later,
    file_notice,
    now,
    public_base,
    reviewer_name,
)
from mediaproof.api.deps import Ctx, Who
from mediaproof.api.params import IdForm
from mediaproof.cases.errors import TokenError
from mediaproof.cases.models import (
    AppealOutcome,
    CaseState,
    NoticeCategory,
    Outcome,
    Relationship,
)
from mediaproof.cases.report import to_html
from mediaproof.errors import BusyError, ConflictError, MediaproofError, NotFoundError, UsageError
from mediaproof.services import candidates, notice_media
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.web.pages import render

router = APIRouter(include_in_schema=False)
TEXT = 5000
DONE = {
    "decided": "Decision recorded.",
    "proposed": "Proposal recorded; a second reviewer must confirm it.",
    "confirmed": "Confirmed: the decision is final.",
    "rejected": "Not confirmed: the case is back in the queue.",
    "appeal": "Appeal decided.",
    "retried": "The analysis of the file was queued again.",
}


def time_left(due: dt.datetime) -> str:
    secs = int((due - now()).total_seconds())
    late = secs < 0
    secs = abs(secs)
    h, m = secs // 3600, (secs % 3600) // 60
    text = f"{h} h {m:02d} min" if h < 48 else f"{h // 24} days {h % 24} h"
    return f"overdue by {text}" if late else f"{text} left"


# --- reporting ---------------------------------------------------------------------------


def _report_form(
    request: Request, inst: Instance, who: Any, status: int = 200, **extra: Any
) -> HTMLResponse:
    verified = who.user is not None and candidates.is_verified(inst, who.user.id)
    return render(
        request,
        "cases/report.html",
        status,
        categories=list(NoticeCategory),
        relationships=list(Relationship),
        verified=verified,
        values=extra.pop("values", {}),
        **extra,
    )


@router.get("/report", name="web.report_form", response_class=HTMLResponse)
async def report_form(request: Request, ctx: Ctx, who: Who) -> HTMLResponse:
    return await run_in_threadpool(_report_form, request, ctx.inst, who)


@router.post("/report", name="web.report", response_class=HTMLResponse)
async def report(request: Request, ctx: Ctx, who: Who, cases: Cases) -> HTMLResponse:
    seen: dict[str, str] = {}
    try:
        r = await file_notice(request, ctx, cases, seen)
    except MediaproofError as e:
        if e.http_status in (401, 403, 408, 413, 429):
            raise  # security token, limits: the common error page says what to do
        status, msg, hint = e.http_status, e.message, e.hint
        values = {k: v for k, v in seen.items() if k != "csrf_token"}
        return await run_in_threadpool(
            lambda: _report_form(
                request, ctx.inst, who, status, error=msg, hint=hint, values=values
            )
        )
    status_url = f"{public_base(request)}/status/{r.status_token}"
    return render(request, "cases/receipt.html", 201, r=r, status_url=status_url)


def _status_page(
    request: Request, cases: CaseService, token: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    st = cases.status(token)
    return render(request, "cases/status.html", status, st=st, token=token, **extra)


@router.get("/status/{token}", name="web.status", response_class=HTMLResponse)
async def status_page(token: str, request: Request, cases: Cases) -> HTMLResponse:
    return await run_in_threadpool(_status_page, request, cases, token)


async def _status_action(
    request: Request, cases: CaseService, token: str, act: Callable[[], object]
) -> Response:
    """Run a reporter's action on their case: back to the status page, or that page
    with the error (an unknown token stays a 404)."""
    try:
        await run_in_threadpool(act)
    except MediaproofError as e:
        if e.http_status == 404:
            raise
        status, msg = e.http_status, e.message
        return await run_in_threadpool(
            lambda: _status_page(request, cases, token, status, error=msg)
        )
    return RedirectResponse(f"/status/{token}", status_code=303)


@router.post("/status/{token}/withdraw", name="web.withdraw", response_model=None)
async def withdraw(token: str, request: Request, cases: Cases) -> Response:
    return await _status_action(request, cases, token, lambda: cases.withdraw(token, now()))


@router.post("/status/{token}/appeal", name="web.status_appeal", response_model=None)
async def status_appeal(
    token: str,
    request: Request,
    cases: Cases,
    grounds: Annotated[str, Form(max_length=TEXT)],
) -> Response:
    return await _status_action(
        request, cases, token, lambda: cases.appeal(token, grounds=grounds, now=now())
    )


@router.get("/appeal", name="web.appeal_form", response_class=HTMLResponse)
async def appeal_form(request: Request, cases: Cases, token: str | None = None) -> HTMLResponse:
    """With ``?token=`` (the link a platform passes on) the uploader also sees the action
    taken on their content and the statement of reasons."""
    info = None
    if token:
        try:
            info = await run_in_threadpool(cases.uploader_status, token)
        except TokenError:
            info = None  # the form says so when it is sent
    return render(request, "cases/appeal.html", token=token or "", info=info)


@router.post("/appeal", name="web.appeal", response_class=HTMLResponse)
async def appeal(
    request: Request,
    cases: Cases,
    token: Annotated[str, Form(max_length=200)],
    grounds: Annotated[str, Form(max_length=TEXT)],
) -> HTMLResponse:
    try:
        a = await run_in_threadpool(lambda: cases.appeal(token, grounds=grounds, now=now()))
    except MediaproofError as e:
        return render(
            request, "cases/appeal.html", e.http_status, token=token, grounds=grounds,
            error=e.message,
        )  # fmt: skip
    return render(request, "cases/appeal.html", 201, filed=a)


@router.get("/my/reports", name="web.my_reports", response_class=HTMLResponse)
async def my_reports(request: Request, who: Who, cases: Cases) -> HTMLResponse:
    assert who.user is not None
    rows = await run_in_threadpool(cases.notices_of_account, who.user.id)
    return render(request, "cases/my_reports.html", rows=rows, time_left=time_left)


# --- the published policy and the transparency report ----------------------------------


@router.get("/policy", name="web.policy", response_class=HTMLResponse)
async def policy_page(request: Request, cases: Cases) -> HTMLResponse:
    return render(request, "cases/policy.html", policy=cases.policy)


@router.get("/policy/{version}", name="web.policy_version", response_class=HTMLResponse)
async def policy_version(version: str, request: Request, cases: Cases) -> HTMLResponse:
    if version != cases.policy.version:
        raise NotFoundError(
            f"this instance publishes policy version {cases.policy.version}, not {version}",
            hint="decisions name the version they applied; ask the operator for older ones",
        )
    return render(request, "cases/policy.html", policy=cases.policy)


@router.get("/transparency", name="web.transparency", response_class=HTMLResponse)
async def transparency(cases: Cases, span: Period) -> HTMLResponse:
    s, e = span
    rep = await run_in_threadpool(cases.transparency_report, s, e)
    return HTMLResponse(to_html(rep, stylesheet="/static/report.css"))


# --- reviewers -------------------------------------------------------------------------


@router.get("/review", name="web.review_queue", response_class=HTMLResponse)
async def review_queue(request: Request, cases: Cases) -> HTMLResponse:
    q = await run_in_threadpool(cases.queue, 200)
    appealed = await run_in_threadpool(cases.appeal_queue, 200)
    return render(request, "cases/queue.html", cases=q, appealed=appealed, time_left=time_left)


def _case_page(
    request: Request, cases: CaseService, number: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    d = cases.show(number)
    proposed = next((x for x in d.decisions if x.status.value == "proposed"), None)
    pending_appeals = [a for a in d.appeals if a.outcome is None]
    return render(
        request,
        "cases/case.html",
        status,
        d=d,
        c=d.case,
        report=d.analysis,
        rules=cases.policy.rules_for(d.case.category),
        policy=cases.policy,
        outcomes=list(Outcome),
        appeal_outcomes=list(AppealOutcome),
        proposed=proposed,
        pending_appeals=pending_appeals,
        can_decide=d.case.state is CaseState.OPEN,
        time_left=time_left,
        **extra,
    )


async def _case_action(
    request: Request, cases: CaseService, number: str, act: Any, done: str
) -> Response:
    """Run ``act``; on success back to the case page, on refusal the page with the reason."""
    try:
        result = await run_in_threadpool(act)
    except MediaproofError as e:
        if e.http_status in (401, 404):
            raise
        status, msg, hint = e.http_status, e.message, e.hint
        return await run_in_threadpool(
            lambda: _case_page(request, cases, number, status, error=msg, hint=hint)
        )
    token = getattr(result, "uploader_token", None)
    if token:  # no platform endpoint: the reviewer hands the appeal token on (shown once)
        link = getattr(result, "uploader_appeal_url", None)
        return await run_in_threadpool(
            lambda: _case_page(
                request,
                cases,
                number,
                200,
                done_msg=DONE[done],
                uploader_token=token,
                uploader_appeal_url=link,
            )
        )
    return RedirectResponse(f"/review/cases/{number}?done={done}", status_code=303)


@router.get("/review/cases/{number}", name="web.review_case", response_class=HTMLResponse)
async def review_case(
    number: str, request: Request, cases: Cases, done: str | None = None
) -> HTMLResponse:
    msg = DONE.get(done or "")
    return await run_in_threadpool(lambda: _case_page(request, cases, number, done_msg=msg))


@router.get(
    "/review/cases/{number}/notices/{notice_id}/media",
    name="web.review_media",
    response_model=None,
)
async def review_media(number: str, notice_id: str, ctx: Ctx) -> Response:
    """The reported file, for reviewers. Only sniffed raster image, audio and video types
    are shown inline; anything else downloads as octet-stream. The sandbox policy stops
    scripts even if a browser guessed a type anyway."""
    km = await run_in_threadpool(notice_media.kept_media, ctx.inst, number, notice_id, now())
    disposition = "inline" if km.inline else "attachment"
    return FileResponse(
        km.path,
        media_type=km.mime,
        headers={
            "Content-Disposition": f'{disposition}; filename="{km.filename}"',
            # enforced together with the app-wide policy (and its nosniff header)
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/review/cases/{number}/notices/{notice_id}/retry-analysis",
    name="web.review_retry_analysis",
    response_model=None,
)
async def review_retry_analysis(
    number: str, notice_id: str, request: Request, ctx: Ctx, cases: Cases
) -> Response:
    """Queue the failed analysis of a notice's kept file again (start-up never does: a
    file that crashes its decoder would crash workers on every start)."""

    def act() -> None:
        km = notice_media.kept_media(ctx.inst, number, notice_id, now())  # 404 elsewhere
        if not notice_media.retry_analysis(ctx.inst, notice_id):
            raise ConflictError("the analysis of this file has not failed")
        if not analyse_later(ctx, cases, notice_id, km.path):
            raise BusyError(
                "the analysis queue is full; the file is analysed again on the next start"
            )

    return await _case_action(request, cases, number, act, "retried")


@router.post("/review/cases/{number}/decide", name="web.review_decide", response_model=None)
async def review_decide(
    number: str,
    request: Request,
    who: Who,
    cases: Cases,
    outcome: Annotated[str, Form(max_length=20)],
    rule_id: Annotated[str, Form(max_length=50)],
    explanation: Annotated[str, Form(max_length=TEXT)],
    version: IdForm,
) -> Response:
    base = public_base(request)

    def act() -> Any:
        try:
            out = Outcome(outcome)
        except ValueError as e:
            raise UsageError(f"unknown outcome {outcome!r}") from e
        return cases.decide(
            number,
            reviewer=reviewer_name(who),
            outcome=out,
            rule_id=rule_id,
            explanation=explanation,
            now=now(),
            expected_version=version,
            base_url=base,
        )

    second = outcome in {o.value for o in cases.policy.second_review_for}
    return await _case_action(request, cases, number, act, "proposed" if second else "decided")


@router.post("/review/cases/{number}/confirm", name="web.review_confirm", response_model=None)
async def review_confirm(number: str, request: Request, who: Who, cases: Cases) -> Response:
    return await _case_action(
        request,
        cases,
        number,
        lambda: cases.confirm(
            number, reviewer=reviewer_name(who), now=now(), base_url=public_base(request)
        ),
        "confirmed",
    )


@router.post("/review/cases/{number}/reject", name="web.review_reject", response_model=None)
async def review_reject(number: str, request: Request, who: Who, cases: Cases) -> Response:
    return await _case_action(
        request,
        cases,
        number,
        lambda: cases.reject(number, reviewer=reviewer_name(who), now=now()),
        "rejected",
    )


@router.post(
    "/review/cases/{number}/appeals/{appeal_id}/decide",
    name="web.review_appeal",
    response_model=None,
)
async def review_appeal(
    number: str,
    appeal_id: str,
    request: Request,
    who: Who,
    cases: Cases,
    outcome: Annotated[str, Form(max_length=20)],
    explanation: Annotated[str, Form(max_length=TEXT)],
    new_outcome: Annotated[str | None, Form(max_length=20)] = None,
    rule_id: Annotated[str | None, Form(max_length=50)] = None,
) -> Response:
    base = public_base(request)

    def act() -> Any:
        try:
            out = AppealOutcome(outcome)
            new = Outcome(new_outcome) if new_outcome else None
        except ValueError as e:
            raise UsageError("unknown appeal outcome") from e
        return cases.decide_appeal(
            appeal_id,
            reviewer=reviewer_name(who),
            outcome=out,
            explanation=explanation,
            now=now(),
            new_outcome=new,
            rule_id=rule_id or None,
            base_url=base,
        )

    return await _case_action(request, cases, number, act, "appeal")


# --- admins: webhooks and verified candidates ------------------------------------------


def _webhooks_page(
    request: Request, cases: CaseService, status: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "cases/webhooks.html",
        status,
        endpoints=cases.endpoints(),
        dead=cases.dead_letters(),
        **extra,
    )


@router.get("/admin/webhooks", name="web.webhooks", response_class=HTMLResponse)
async def webhooks(request: Request, cases: Cases) -> HTMLResponse:
    return await run_in_threadpool(_webhooks_page, request, cases)


@router.post("/admin/webhooks/endpoints", name="web.endpoint_set", response_model=None)
async def endpoint_set(
    request: Request,
    cases: Cases,
    platform: Annotated[str, Form(min_length=1, max_length=255)],
    url: Annotated[str, Form(max_length=2000)],
    secret: Annotated[str, Form(max_length=500)],
) -> Response:
    try:
        await run_in_threadpool(cases.register_endpoint, platform.strip(), url.strip(), secret)
    except MediaproofError as e:
        status, msg = e.http_status, e.message
        return await run_in_threadpool(lambda: _webhooks_page(request, cases, status, error=msg))
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.post(
    "/admin/webhooks/dead-letters/{delivery_id}/retry",
    name="web.dead_letter_retry",
    response_model=None,
)
async def dead_letter_retry(delivery_id: str, cases: Cases) -> Response:
    await run_in_threadpool(cases.retry_dead, delivery_id, now())
    return RedirectResponse("/admin/webhooks", status_code=303)


def _candidates_page(
    request: Request, inst: Instance, status: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "cases/candidates.html",
        status,
        rows=candidates.list_candidates(inst),
        **extra,
    )


@router.get("/admin/candidates", name="web.candidates", response_class=HTMLResponse)
async def candidates_page(request: Request, ctx: Ctx) -> HTMLResponse:
    return await run_in_threadpool(_candidates_page, request, ctx.inst)


@router.post("/admin/candidates", name="web.candidate_approve", response_model=None)
async def candidate_approve(
    request: Request, ctx: Ctx, who: Who, username: Annotated[str, Form(max_length=64)]
) -> Response:
    try:
        await run_in_threadpool(candidates.approve, ctx.inst, who, username)
    except MediaproofError as e:
        status, msg = e.http_status, e.message
        return await run_in_threadpool(
            lambda: _candidates_page(request, ctx.inst, status, error=msg)
        )
    return RedirectResponse("/admin/candidates", status_code=303)


@router.post(
    "/admin/candidates/{username}/revoke", name="web.candidate_revoke", response_model=None
)
async def candidate_revoke(username: str, ctx: Ctx) -> Response:
    await run_in_threadpool(candidates.revoke, ctx.inst, username)
    return RedirectResponse("/admin/candidates", status_code=303)
