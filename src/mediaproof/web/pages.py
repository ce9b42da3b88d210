"""The public pages: verify, asset records, and publishing for signed-in publishers.

Every form carries a CSRF token (checked in api.deps.enforce_access); pages render the
same services the JSON API calls. Nothing here loads anything from another origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import ROLE_PERMISSIONS, TOKEN_SCOPES, Permission
from mediaproof.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AppContext,
    Ctx,
    UploadDep,
    Who,
    csrf_token_for,
    get_ctx,
    principal_of,
)
from mediaproof.api.params import IdPath
from mediaproof.api.routers.assets import publish_release
from mediaproof.errors import AuthenticationError, MediaproofError, UsageError
from mediaproof.provenance.c2pa_io import DIGITAL_SOURCE_TYPES
from mediaproof.services import accounts
from mediaproof.services.jobs import Job
from mediaproof.services.public_verify import verify_or_queue
from mediaproof.services.releases import asset_view

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)

TONES = {
    "signed_but_altered": "bad",
    "invalid_credentials": "bad",
    "ai_generated_declared": "warn",
    "contains_ai_content_declared": "warn",
    "remote_credentials_not_fetched": "neutral",
    "signed_and_intact": "good",
    "registered_original": "good",
    "signed_by_unverified_signer": "info",
    "copy_of_registered_original": "info",
    "unknown": "neutral",
}
# Evidence with a section of its own on the page; everything else renders generically.
SLOTTED = ("provenance", "registry", "generator", "match", "watermark")


def _secure(request: Request, ctx: AppContext) -> bool:
    forced = ctx.inst.settings.service.cookie_secure
    return forced if forced is not None else request.url.scheme == "https"


def _set_cookie(
    resp: Response, request: Request, ctx: AppContext, name: str, value: str, max_age: int
) -> None:
    resp.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request, ctx),
        path="/",
    )


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    ctx = get_ctx(request)
    who = principal_of(request)
    token, new_cookie = csrf_token_for(request, ctx)
    resp = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": who.user,
            "can_publish": who.can(Permission.PUBLISH),
            "can_review": who.can(Permission.REVIEW_CASES),
            "can_admin_cases": who.can(Permission.MANAGE_WEBHOOKS),
            "can_manage_likeness": who.can(Permission.MANAGE_LIKENESS),
            "csrf_token": token,
            "tones": TONES,
            "slotted": SLOTTED,
            **context,
        },
        status_code=status,
    )
    if new_cookie:
        _set_cookie(resp, request, ctx, CSRF_COOKIE, new_cookie, 7 * 24 * 3600)
    return resp


def render_error(
    request: Request, status: int, code: str, message: str, hint: str | None
) -> HTMLResponse:
    fragment = request.query_params.get("fragment") == "1"
    template = "_error.html" if fragment else "error.html"
    return render(request, template, status, code=code, message=message, hint=hint)


def _safe_next(target: str | None) -> str:
    # only paths on this site: no scheme, no "//host", no backslashes
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# --- verify --------------------------------------------------------------------------


@router.get("/", name="web.index", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    return render(request, "verify.html")


@router.post("/verify", name="web.verify", response_class=HTMLResponse)
async def verify_form(request: Request, ctx: Ctx, upload: UploadDep) -> HTMLResponse:
    out = await run_in_threadpool(
        verify_or_queue, ctx.inst, ctx.jobs, upload.path, upload.keep, ctx.images
    )
    context: dict[str, Any] = {"job": out.as_dict()} if isinstance(out, Job) else {"report": out}
    return _result(request, **context)


@router.get("/jobs/{job_id}", name="web.job", response_class=HTMLResponse)
async def job_page(job_id: str, request: Request, ctx: Ctx) -> HTMLResponse:
    job = ctx.jobs.get(job_id).as_dict()
    context: dict[str, Any] = {"job": job}
    if job["status"] == "done":
        context = {"report": job["result"]}
    elif job["status"] == "failed":
        err = job["error"] or {}
        context = {"error": err}
    return _result(request, refresh=job["status"] in ("queued", "running"), **context)


def _result(request: Request, refresh: bool = False, **context: Any) -> HTMLResponse:
    """The result alone for the page's script (``?fragment=1``), else the whole page."""
    if request.query_params.get("fragment") == "1":
        return render(request, "_result.html", **context)
    return render(request, "verify.html", refresh=refresh, **context)


# --- sign in and out -------------------------------------------------------------------


@router.get("/login", name="web.login_form", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next))


@router.post("/login", name="web.login", response_model=None)
async def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        secret, user = await run_in_threadpool(accounts.login, ctx.inst, username, password)
    except MediaproofError as e:
        page = render(request, "login.html", e.http_status, error=e.message, next=_safe_next(next))
        if isinstance(e, AuthenticationError):  # a 401 names a scheme (RFC 9110 11.6.1)
            page.headers["WWW-Authenticate"] = e.www_authenticate()
        return page
    target = "/account/password" if user.must_change_password else _safe_next(next)
    resp = RedirectResponse(target, status_code=303)
    _set_cookie(
        resp, request, ctx, SESSION_COOKIE, secret, ctx.inst.settings.service.session_max_age_s
    )
    return resp


@router.post("/logout", name="web.logout")
async def logout(ctx: Ctx, who: Who) -> RedirectResponse:
    await run_in_threadpool(accounts.logout, ctx.inst, who)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/account/password", name="web.password_form", response_class=HTMLResponse)
async def password_form(request: Request) -> HTMLResponse:
    return render(request, "password.html")


@router.post("/account/password", name="web.password", response_model=None)
async def password(
    request: Request,
    ctx: Ctx,
    who: Who,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    repeat: Annotated[str, Form(max_length=1024)],
    revoke_tokens: Annotated[bool, Form()] = False,
) -> Response:
    try:
        if new != repeat:
            raise UsageError("the two new passwords differ")
        secret = await run_in_threadpool(
            lambda: accounts.change_password(
                ctx.inst, who, current, new, revoke_tokens=revoke_tokens
            )
        )
    except MediaproofError as e:
        return render(request, "password.html", e.http_status, error=e.message)
    resp = RedirectResponse("/", status_code=303)
    _set_cookie(
        resp, request, ctx, SESSION_COOKIE, secret, ctx.inst.settings.service.session_max_age_s
    )
    return resp


# --- publishing ------------------------------------------------------------------------


@router.get("/publish", name="web.publish_form", response_class=HTMLResponse)
async def publish_form(request: Request) -> HTMLResponse:
    return render(request, "publish.html", source_types=DIGITAL_SOURCE_TYPES)


@router.post("/publish", name="web.publish", response_class=HTMLResponse)
async def publish(request: Request, ctx: Ctx, upload: UploadDep) -> HTMLResponse:
    try:
        pub = await publish_release(ctx, upload, principal_of(request))
        asset = pub.asset
    except MediaproofError as e:
        return render(
            request,
            "publish.html",
            e.http_status,
            source_types=DIGITAL_SOURCE_TYPES,
            error=e.message,
            hint=e.hint,
        )
    return render(request, "published.html", asset=asset.public_dict())


# --- API tokens for machines ----------------------------------------------------------


def _tokens_page(
    request: Request, ctx: AppContext, status: int = 200, **extra: Any
) -> HTMLResponse:
    who = principal_of(request)
    assert who.user is not None
    toks = accounts.list_tokens(ctx.inst, who)
    scopes = sorted(s.value for s in TOKEN_SCOPES & ROLE_PERMISSIONS[who.user.role])
    return render(
        request,
        "tokens.html",
        status,
        tokens=[t.public_dict() for t in toks],
        scopes=scopes,
        **extra,
    )


@router.get("/account/tokens", name="web.tokens", response_class=HTMLResponse)
async def tokens_page(request: Request, ctx: Ctx) -> HTMLResponse:
    return await run_in_threadpool(_tokens_page, request, ctx)


@router.post("/account/tokens", name="web.token_create", response_class=HTMLResponse)
async def token_create(
    request: Request,
    ctx: Ctx,
    who: Who,
    name: Annotated[str, Form(max_length=100)],
    scope: Annotated[list[str] | None, Form(max_length=50)] = None,
    expires_in_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> HTMLResponse:
    try:
        secret, rec = await run_in_threadpool(
            accounts.create_token, ctx.inst, who, name, scope or [], expires_in_days
        )
    except MediaproofError as e:
        status, message = e.http_status, e.message
        return await run_in_threadpool(lambda: _tokens_page(request, ctx, status, error=message))
    return await run_in_threadpool(
        lambda: _tokens_page(request, ctx, 201, new_secret=secret, new_name=rec.name)
    )


@router.post(
    "/account/tokens/revoke-all", name="web.tokens_revoke_all", response_class=HTMLResponse
)
async def tokens_revoke_all(request: Request, ctx: Ctx, who: Who) -> HTMLResponse:
    n = await run_in_threadpool(accounts.revoke_all_tokens, ctx.inst, who)
    return await run_in_threadpool(lambda: _tokens_page(request, ctx, revoked_all=n))


@router.post(
    "/account/tokens/{token_id}/revoke", name="web.token_revoke", response_class=HTMLResponse
)
async def token_revoke(token_id: IdPath, ctx: Ctx, who: Who) -> RedirectResponse:
    await run_in_threadpool(accounts.revoke_token, ctx.inst, who, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


# --- the public record of an asset -----------------------------------------------------


@router.get("/assets/{asset_id}", name="web.asset", response_class=HTMLResponse)
async def asset_page(asset_id: IdPath, request: Request, ctx: Ctx, who: Who) -> HTMLResponse:
    view = await run_in_threadpool(asset_view, ctx.inst, asset_id, ctx.proofs)
    return render(
        request,
        "asset.html",
        view=view,
        can_download=who.can(Permission.PUBLISH) and view["asset"]["signed"],
        quote=quote,
    )
