"""Dependencies: the app's shared context, who is asking, and the access rule check."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import ANONYMOUS, Principal
from mediaproof.analysis.compute import Caller, set_caller
from mediaproof.api.access import ACCESS, Rule
from mediaproof.api.bodylimit import UPLOAD_ROUTES
from mediaproof.api.ratelimit import Limiter, take
from mediaproof.api.uploads import Upload, UploadLimits, receive_upload
from mediaproof.errors import (
    AuthenticationError,
    CsrfError,
    InvalidTokenError,
    MediaproofError,
    PermissionDeniedError,
)
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import JobRunner
from mediaproof.services.releases import InclusionProofSource
from mediaproof.services.result_images import ResultImages
from mediaproof.services.softbinding import SoftBindingResolver

SESSION_COOKIE = "mp_session"
CSRF_COOKIE = "mp_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_FIELDS = 16
MAX_FORM_FILES = 4  # a stray file part in a small form is parsed (and refused) not crashed

log = logging.getLogger("mediaproof.api")


class PasswordChangeRequired(PermissionDeniedError, code="password_change_required"): ...


class CsrfNotVerified(MediaproofError, code="internal_error"):
    """A route skipped the deferred token check: a bug, answered 500 and logged."""


@dataclass
class AppContext:
    inst: Instance
    jobs: JobRunner
    limiter: Limiter
    resolver: SoftBindingResolver
    proofs: InclusionProofSource | None
    signer: URLSafeSerializer  # signs the anonymous CSRF cookie
    images: ResultImages  # heatmaps that go with verify results

    @property
    def tmp_dir(self) -> Path:
        return self.inst.home / "tmp"

    @property
    def upload_limits(self) -> UploadLimits:
        svc = self.inst.settings.service
        return UploadLimits(
            max_bytes=min(svc.max_upload_bytes, self.inst.settings.limits.max_bytes),
            idle_timeout_s=svc.upload_idle_timeout_s,
            total_timeout_s=svc.upload_total_timeout_s,
        )


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def client_key(request: Request) -> str:
    # uvicorn rewrites the client from X-Forwarded-For only when told it is behind a proxy
    return request.client.host if request.client else "unknown"


def principal_of(request: Request) -> Principal:
    p: Principal = getattr(request.state, "principal", ANONYMOUS)
    return p


Who = Annotated[Principal, Depends(principal_of)]


async def _resolve_principal(request: Request, ctx: AppContext) -> Principal:
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, secret = auth.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError("use 'Authorization: Bearer <token>'")
        p = await run_in_threadpool(accounts.token_principal, ctx.inst, secret.strip())
        if p is None:
            raise InvalidTokenError("the API token is not valid (revoked or expired?)")
        return p
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        p = await run_in_threadpool(accounts.session_principal, ctx.inst, cookie)
        if p is not None:
            return p
    return ANONYMOUS


def rule_for(request: Request) -> Rule:
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    rule = ACCESS.get(name) if name else None
    if rule is None:  # deny by default: a route nobody wrote a rule for is not reachable
        raise PermissionDeniedError("this endpoint has no access rule")
    return rule


def anon_csrf_token(request: Request, ctx: AppContext) -> str | None:
    raw = request.cookies.get(CSRF_COOKIE)
    if not raw:
        return None
    try:
        token = ctx.signer.loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def csrf_token_for(request: Request, ctx: AppContext) -> tuple[str, str | None]:
    """(token for the page's forms, cookie value to set when a new one was made)."""
    p = principal_of(request)
    if p.csrf_token:
        return p.csrf_token, None
    token = anon_csrf_token(request, ctx)
    if token:
        return token, None
    token = secrets.token_urlsafe(32)
    return token, ctx.signer.dumps(token)


# buckets signed-in callers of any role draw from too, per account (generous defaults)
SIGNED_BUCKETS = {"verify": "verify_signed", "notice": "notice_signed", "uploads": "uploads"}


async def take_rate(request: Request, ctx: AppContext, rule: Rule, p: Principal) -> None:
    """Apply the route's rate limit, and name the caller whose budget and share of the
    analysis workers this request uses (see analysis/compute.py)."""
    key = f"address:{client_key(request)}" if p.user is None else f"account:{p.user.id}"
    set_caller(Caller(key, p.anonymous))
    if not rule.rate:
        return
    if p.anonymous or rule.rate_everyone:  # login: per address, signed in or not
        await take(ctx.limiter, rule.rate, client_key(request))
    elif rule.rate in SIGNED_BUCKETS:
        await take(ctx.limiter, SIGNED_BUCKETS[rule.rate], key, whose="your account")


async def enforce_access(request: Request, ctx: Ctx) -> AsyncIterator[None]:
    """Runs around every route: resolve the caller, apply the route's rule, verify the
    CSRF token, and afterwards make sure a deferred token check really ran."""
    rule = rule_for(request)
    # a route with its own token (GET /metrics) reads Authorization itself: no account
    p = ANONYMOUS if rule.own_token else await _resolve_principal(request, ctx)
    request.state.principal = p
    if p.user is not None and p.user.must_change_password and not rule.pending_password_ok:
        raise PasswordChangeRequired(
            "change your one-time password first", hint="open /account/password"
        )
    if rule.who == "user" and p.anonymous:
        raise AuthenticationError("log in first")
    if rule.who == "permission":
        assert rule.permission is not None
        if p.anonymous:
            raise AuthenticationError("log in or send an API token")
        if not p.can(rule.permission):
            raise PermissionDeniedError(f"this needs the {rule.permission.value!r} permission")
    await take_rate(request, ctx, rule, p)
    request.state.csrf_expected = None
    request.state.csrf_handled = False
    if request.method in UNSAFE and (p.via == "session" or rule.form):
        await _verify_csrf(request, ctx, p)
    yield
    if request.state.csrf_expected is not None and not request.state.csrf_handled:
        # a streaming upload route acted without reading its body through the
        # verifying readers (api/uploads.py): a bug, never a reason to let it through
        log.error("csrf check deferred but never run", extra={"fields": {"path": request.url.path}})
        raise CsrfNotVerified("the request's security token was not checked")


def is_upload_route(request: Request) -> bool:
    """Routes that stream large multipart bodies to disk (and only those) check the
    form's token while parsing; every other body is small enough to parse here."""
    return (request.method, request.scope.get("path", "")) in UPLOAD_ROUTES


async def _verify_csrf(request: Request, ctx: AppContext, p: Principal) -> None:
    """The one place that decides how an unsafe request proves it came from our pages:
    the X-CSRF-Token header, or the ``csrf_token`` field of a urlencoded or multipart
    form. Any other body (JSON, text/plain, none) needs the header."""
    expected = p.csrf_token if p.via == "session" else anon_csrf_token(request, ctx)
    if not expected:
        raise CsrfError("the form's security token is missing; reload the page")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "").lower()
        if ctype.startswith("multipart/form-data") and is_upload_route(request):
            request.state.csrf_expected = expected  # the streaming reader checks it
            return
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            # non-upload bodies are capped at 64 KiB (api/bodylimit.py): bounded to parse
            form = await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    check_csrf(sent, expected)


def check_csrf(sent: str | None, expected: str) -> None:
    if sent is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError("the form's security token is missing or stale; reload the page")


async def uploaded(request: Request, ctx: Ctx) -> AsyncIterator[Upload]:
    """The request body as an :class:`Upload`, deleted after the response."""
    up = await receive_upload(request, ctx.tmp_dir, ctx.upload_limits)
    try:
        yield up
    finally:
        up.discard()


UploadDep = Annotated[Upload, Depends(uploaded)]
