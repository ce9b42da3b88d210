"""One error shape for every failure: ``{"error": {"code", "message", "hint"}}``.

mediaproof errors carry their own ``http_status`` and ``code``; framework errors (unknown
route, bad parameters) and bugs are mapped onto the same shape. Pages get the same
information as an HTML page instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mediaproof.api.deps import PasswordChangeRequired
from mediaproof.errors import AuthenticationError, MediaproofError, RateLimitedError

log = logging.getLogger("mediaproof.api")

# Machine interfaces always answer JSON; everything else is a page for people.
MACHINE_PREFIXES = (
    "/api/",
    "/matches/",
    "/manifests/",
    "/services/",
    "/log/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
)


def error_body(code: str, message: str, hint: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "hint": hint}}


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith(MACHINE_PREFIXES)


PageRenderer = Callable[[Request, int, str, str, str | None], Response]


def install_error_handlers(app: FastAPI, render_page: PageRenderer) -> None:
    """``render_page`` draws errors for people (the web package passes its own)."""

    def _respond(
        request: Request, status: int, code: str, message: str, hint: str | None
    ) -> Response:
        if _wants_page(request):
            return render_page(request, status, code, message, hint)
        return JSONResponse(error_body(code, message, hint), status_code=status)

    async def on_mediaproof_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MediaproofError)
        if _wants_page(request):
            if isinstance(exc, PasswordChangeRequired):
                return RedirectResponse("/account/password", status_code=303)
            if isinstance(exc, AuthenticationError) and request.method == "GET":
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        resp = _respond(request, exc.http_status, exc.code, exc.message, exc.hint)
        if isinstance(exc, AuthenticationError):  # every 401 names the scheme to use
            resp.headers["WWW-Authenticate"] = exc.www_authenticate()
        if isinstance(exc, RateLimitedError):
            resp.headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
        if exc.http_status >= 500:
            log.error("request failed", extra={"fields": {"code": exc.code}})
        return resp

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "not_found", 405: "method_not_allowed", 413: "limit_exceeded"}
        code = codes.get(exc.status_code, "http_error")
        message = "no such page or endpoint" if exc.status_code == 404 else str(exc.detail)
        resp = _respond(request, exc.status_code, code, message, None)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
            for e in exc.errors()[:5]
        )
        return _respond(request, 422, "invalid_request", "the request is not valid", problems)

    async def on_bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"fields": {"error": type(exc).__name__}})
        return _respond(
            request, 500, "internal", "something went wrong on our side", "it has been logged"
        )

    app.add_exception_handler(MediaproofError, on_mediaproof_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_bug)
