"""What the case routes (JSON and pages) share: the app's one CaseService, the caller's
reviewer name, the notice intake from either a form or JSON, and the report period."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import Principal
from mediaproof.api.deps import AppContext, principal_of
from mediaproof.api.uploads import receive_upload
from mediaproof.errors import BusyError, LimitExceededError, UsageError
from mediaproof.services import exchange_match, notice_media
from mediaproof.services.cases import CaseService, Receipt
from mediaproof.services.cases.intake_form import analyse_into, notice_input
from mediaproof.services.jobs import Portable, error_of
from mediaproof.services.queued_rounds import NOTICE_ANALYZE

MAX_JSON_BYTES = 64 * 1024
log = logging.getLogger("mediaproof.api")


def get_cases(request: Request) -> CaseService:
    svc: CaseService = request.app.state.cases
    return svc


Cases = Annotated[CaseService, Depends(get_cases)]


def public_base(request: Request) -> str:
    """The address links are built on: MEDIAPROOF_SERVICE_PUBLIC_URL, else the request's
    (behind a proxy, set the former: the request's host is whatever the proxy sent)."""
    cases: CaseService = request.app.state.cases
    return cases.base_url(str(request.base_url)) or str(request.base_url).rstrip("/")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def reviewer_name(who: Principal) -> str:
    """Decisions name the account that took them (second-review and appeal rules compare
    these names)."""
    assert who.user is not None  # the route's access rule requires a signed-in reviewer
    return who.user.username


async def file_notice(
    request: Request,
    ctx: AppContext,
    cases: CaseService,
    fields_seen: dict[str, str] | None = None,
) -> Receipt:
    """File the notice a request carries: a multipart form (with or without the media in
    ``file``) or a JSON object. Video and long audio are analysed after the receipt.
    ``fields_seen`` receives the form's text fields (a page refills the form with them)."""
    who = principal_of(request)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        up = await receive_upload(
            request,
            ctx.tmp_dir,
            ctx.upload_limits,
            file_optional=True,
        )
        if fields_seen is not None:
            fields_seen.update(up.fields)
        try:
            path = up.path if up.size else None
            intake = await run_in_threadpool(notice_input, ctx.inst, up.fields, who, path)
            base = public_base(request)
            receipt = await run_in_threadpool(
                lambda: cases.file_notice(intake.notice, now(), base_url=base)
            )
            kept = False
            sha = intake.notice.media_sha256
            if path is not None and sha:
                # signals pulled from exchange peers: a match opens or joins a case for
                # review, never acts (services/exchange_match.py)
                n = intake.notice
                await run_in_threadpool(
                    lambda: exchange_match.check_upload_file(
                        ctx.inst,
                        cases,
                        path,
                        sha256=sha,
                        fingerprints=n.fingerprints,
                        content_url=n.content_url,
                        location=n.location,
                        mime=n.mime,
                    )
                )
            if path is not None and sha and ctx.inst.settings.service.keep_notice_media:
                kept = await run_in_threadpool(
                    notice_media.keep,
                    ctx.inst,
                    receipt.notice_id,
                    path,
                    sha,
                    intake.notice.mime,
                    now(),
                )
            if intake.analyse_later and path is not None:
                if kept:  # the job reads the kept copy; a restart queues it again
                    analyse_later(ctx, cases, receipt.notice_id, ctx.inst.blobs.path(sha or ""))
                else:
                    analyse_later(ctx, cases, receipt.notice_id, up.keep(), owned=True)
            return receipt
        finally:
            up.discard()
    if ctype.startswith("application/json"):
        # this route streams uploads, so the app-wide body cap is off: cap JSON here
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_JSON_BYTES:
                raise LimitExceededError(
                    f"a JSON notice is limited to {MAX_JSON_BYTES:,} bytes",
                    hint="send the media as multipart/form-data instead",
                )
        try:
            data: Any = json.loads(body)
        except ValueError as e:
            raise UsageError("the body is not valid JSON") from e
        if not isinstance(data, dict):
            raise UsageError("send the notice as a JSON object")
        intake = await run_in_threadpool(notice_input, ctx.inst, data, who, None)
        base = public_base(request)
        return await run_in_threadpool(
            lambda: cases.file_notice(intake.notice, now(), base_url=base)
        )
    raise UsageError(
        "send the notice as application/json, or as multipart/form-data with the file in "
        "a field named 'file'"
    )


def analyse_later(
    ctx: AppContext, cases: CaseService, notice_id: str, path: Path, *, owned: bool = False
) -> bool:
    """Queue the background analysis of ``path`` (deleted afterwards when ``owned``).
    False when the queue is full: the notice stands without its report (a kept file is
    queued again on the next start)."""

    def drop() -> None:
        if owned:
            path.unlink(missing_ok=True)

    def run(_progress: Any) -> dict[str, Any]:
        try:
            return analyse_into(ctx.inst, cases, notice_id, path)
        except Exception as e:  # a malformed file, a timeout, a decoder that crashed
            notice_media.analysis_failed(ctx.inst.db, notice_id, error_of(e))
            raise

    try:
        ctx.jobs.submit(
            "case-analysis",
            run,
            cleanup=drop,
            # with a broker, a worker analyses it (services.queued_rounds)
            portable=Portable(NOTICE_ANALYZE, path, {"notice_id": notice_id}),
        )
    except BusyError:
        drop()
        log.warning("analysis queue full; notice filed without its analysis report")
        return False
    return True


def resume_analyses(ctx: AppContext, cases: CaseService) -> int:
    """On start-up: queue again the analyses a stop interrupted, from the kept files."""
    pending = notice_media.pending_analyses(ctx.inst, now(), limit=ctx.jobs.max_pending)
    queued = sum(analyse_later(ctx, cases, nid, path) for nid, path in pending)
    if queued:
        log.info("queued %d interrupted notice analyses again", queued)
    return queued


def period(start: str | None, end: str | None) -> tuple[dt.datetime, dt.datetime]:
    """ISO dates or times (UTC unless given); default: the last 30 days up to tomorrow."""

    def parse(value: str, name: str) -> dt.datetime:
        try:
            t = dt.datetime.fromisoformat(value)
        except ValueError as e:
            raise UsageError(f"{name} must be an ISO date, e.g. 2026-11-01") from e
        return t if t.tzinfo else t.replace(tzinfo=dt.UTC)

    today = now().replace(hour=0, minute=0, second=0, microsecond=0)
    e = parse(end, "to") if end else today + dt.timedelta(days=1)
    s = parse(start, "from") if start else e - dt.timedelta(days=31)
    return s, e


def report_period(
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> tuple[dt.datetime, dt.datetime]:
    """The ``?from=&to=`` of the report and export routes (see ``period``)."""
    return period(start, end)


Period = Annotated[tuple[dt.datetime, dt.datetime], Depends(report_period)]
