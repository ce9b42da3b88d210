"""The HTTP face of one matcher replica (`mediaproof matcher serve`): not the public API
(which is why it is here and not under `api/`: a matcher process imports only this, the
matcher service and the index, and starts in a fraction of the time `serve` takes).

- ``GET /healthz``: the process is up.
- ``GET /readyz``: 200 while the replica is caught up with the change sequence, 503
  (with what it is doing) before its first catch-up and whenever its polls fail.
- ``POST /lookup`` ``{"signal": "pdq"|"vpdq", "hash": <64 hex>, "max_distance": 0..31,
  "limit": 1..128}``: this shard's matches of its nearest ``limit`` assets (default and
  most: ``LOOKUP_LIMIT``), with ``total`` (its assets within the radius) and
  ``truncated`` (whether some were left out), with ``Authorization: Bearer
  <MEDIAPROOF_MATCHER_TOKEN>``; 401 without it, 503 while not ready, 422 for a malformed request.
- ``GET /metrics``: Prometheus metrics (observability.matcher_metrics), as the API's:
  404 unless ``MEDIAPROOF_METRICS_TOKEN`` is set, then only with it as bearer token.
"""

from __future__ import annotations

import hmac
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediaproof.errors import (
    AuthenticationError,
    BusyError,
    InvalidTokenError,
    MediaproofError,
    NotFoundError,
)
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD
from mediaproof.matching.lookup import LOOKUP_LIMIT
from mediaproof.observability.matcher_metrics import MatcherMetrics
from mediaproof.observability.metrics import CONTENT_TYPE
from mediaproof.services.matchers import ShardReplica, candidates_as_dicts


class LookupIn(BaseModel):
    signal: Literal["pdq", "vpdq"] = "pdq"
    hash: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="a 256-bit hash, hex")
    max_distance: int = Field(default=MATCH_THRESHOLD, ge=0, le=MATCH_THRESHOLD)
    limit: int = Field(default=LOOKUP_LIMIT, ge=1, le=LOOKUP_LIMIT)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _check_bearer(request: Request, secret: bytes, needed: str) -> None:
    """Refuse (401) a request without ``Authorization: Bearer <secret>``; a token that is
    there but wrong is RFC 6750's ``invalid_token``. The scheme is case-insensitive."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthenticationError(needed)
    if not hmac.compare_digest(given.strip().encode(), secret):
        raise InvalidTokenError(f"{needed}; that bearer token is not it")


def create_matcher_app(
    replica: ShardReplica, token: str, metrics_token: str | None = None
) -> FastAPI:
    app = FastAPI(
        title="mediaproof matcher", docs_url=None, redoc_url=None, openapi_url=None
    )
    secret = token.encode()
    metrics = MatcherMetrics()
    app.state.metrics = metrics

    @app.exception_handler(MediaproofError)
    async def _mediaproof_error(request: Request, e: MediaproofError) -> JSONResponse:
        resp = _error(e.http_status, e.code, e.message)
        if isinstance(e, AuthenticationError):
            resp.headers["WWW-Authenticate"] = e.www_authenticate("mediaproof-matcher")
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        return _error(
            422, "invalid_request", "the lookup must be {signal, hash, max_distance, limit}"
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        body = replica.status()
        return JSONResponse(body, status_code=200 if replica.ready else 503)

    @app.post("/lookup")
    async def lookup(body: LookupIn, request: Request) -> dict[str, Any]:
        _check_bearer(request, secret, "the matcher needs the matcher bearer token")
        value = bytes.fromhex(body.hash)
        try:
            with metrics.timed(body.signal):
                seq, found = await run_in_threadpool(
                    replica.find_near, body.signal, value, body.max_distance, body.limit
                )
        except BusyError:
            metrics.count(body.signal, "busy")
            raise
        except Exception:
            metrics.count(body.signal, "error")
            raise
        return {
            "shard": replica.shard, "seq": seq, "matches": candidates_as_dicts(found),
            "total": found.total, "truncated": found.truncated,
        }  # fmt: skip

    @app.get("/metrics")
    async def metrics_route(request: Request) -> Response:
        if metrics_token is None:
            raise NotFoundError("metrics are not enabled on this matcher")
        _check_bearer(request, metrics_token.encode(), "metrics need the metrics bearer token")
        body = await run_in_threadpool(lambda: metrics.render(replica.gauges()))
        return Response(body, media_type=CONTENT_TYPE, headers={"cache-control": "no-store"})

    return app
