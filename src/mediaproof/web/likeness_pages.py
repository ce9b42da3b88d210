"""Subject defense in the browser, for admins (``likeness:manage``): who is enrolled, the
alerts the monitor raised (the in-app channel), and the analysis each alert links to.

Enrolment and deletion stay in the CLI and the API, where consent is recorded with the
samples; these pages only read. Names are shown to those who hold the permission and
are never logged (the access log records route templates only).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from mediaproof.api.deps import Ctx
from mediaproof.services import likeness as svc
from mediaproof.services.instance import Instance
from mediaproof.web.pages import render

router = APIRouter(include_in_schema=False)


def _overview(inst: Instance) -> dict[str, Any]:
    with svc.likeness_service(inst) as s:
        enrolments = [e.summary() for e in s.store.list_enrolments()]
        alerts = [a.to_json() for a in s.store.list_alerts()]
    alerts.reverse()  # newest first: the list is read to find what is new
    return {"enrolments": enrolments, "alerts": alerts}


def where_in_words(where: Any) -> str:
    """A match's location as a reader wants it: frame time, face box, speech window."""
    if not isinstance(where, dict):
        return ""
    parts = []
    if "time_s" in where:
        parts.append(f"at {where['time_s']} s")
    box = where.get("box")
    if isinstance(box, list) and len(box) == 4:
        left, top, right, bottom = box
        size = f", {where['size_px']} px" if "size_px" in where else ""
        parts.append(f"face at x {left}-{right}, y {top}-{bottom}{size}")
    span = where.get("speech_window_s")
    if isinstance(span, list) and len(span) == 2:
        parts.append(f"speech {span[0]}-{span[1]} s")
    return "; ".join(parts)


def _matches(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ev in report.get("evidence", []):
        data = ev.get("data") or {}
        out += [
            {**m, "where_text": where_in_words(m.get("where"))}
            for m in data.get("matches", [])
            if isinstance(m, dict)
        ]
    return out


@router.get("/likeness", name="web.likeness", response_class=HTMLResponse)
async def likeness_page(request: Request, ctx: Ctx) -> HTMLResponse:
    view = await run_in_threadpool(_overview, ctx.inst)
    return render(request, "likeness/overview.html", **view)


@router.get(
    "/likeness/reports/{report_id}", name="web.likeness_report", response_class=HTMLResponse
)
async def likeness_report_page(report_id: str, request: Request, ctx: Ctx) -> HTMLResponse:
    def load() -> dict[str, Any]:
        with svc.likeness_service(ctx.inst) as s:
            return s.store.get_report(report_id)  # NotFound (404) once deleted

    report = await run_in_threadpool(load)
    return render(request, "likeness/report.html", report=report, matches=_matches(report))
