"""The HTTP face of one matcher replica (`mediaproof matcher serve`): not the public API
(which is why it is here and not under `api/`: a matcher process imports only this, the
matcher service and the index, and starts in a fraction of the time `serve` takes).

- ``GET /healthz``: the process is up.
- ``GET /readyz``: 200 while the replica is caught up with the change sequence, 503
  (with what it is doing) before its first catch-up and whenever its polls fail.
- ``POST /lookup`` ``{"signal": "pdq"|"vpdq", "hash": <64 hex>, "max_distance": 0..31}``:
  this shard's matches, with ``Authorization: Bearer <MEDIAPROOF_MATCHER_TOKEN>``; 401
  without it, 503 while not ready, 422 for a malformed request.
"""

from __future__ import annotations

import hmac
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from mediaproof.errors import AuthenticationError, MediaproofError
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD
from mediaproof.services.matchers import ShardReplica, candidates_as_dicts


class LookupIn(BaseModel):
    signal: Literal["pdq", "vpdq"] = "pdq"
    hash: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="a 256-bit hash, hex")
    max_distance: int = Field(default=MATCH_THRESHOLD, ge=0, le=MATCH_THRESHOLD)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_matcher_app(replica: ShardReplica, token: str) -> FastAPI:
    app = FastAPI(
        title="mediaproof matcher", docs_url=None, redoc_url=None, openapi_url=None
    )
    secret = token.encode()

    @app.exception_handler(MediaproofError)
    async def _mediaproof_error(request: Request, e: MediaproofError) -> JSONResponse:
        return _error(e.http_status, e.code, e.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", "the lookup must be {signal, hash, max_distance}")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        body = replica.status()
        return JSONResponse(body, status_code=200 if replica.ready else 503)

    @app.post("/lookup")
    async def lookup(body: LookupIn, request: Request) -> dict[str, Any]:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), secret):
            raise AuthenticationError("the matcher needs the matcher bearer token")
        value = bytes.fromhex(body.hash)
        seq, found = await run_in_threadpool(
            replica.find_near, body.signal, value, body.max_distance
        )
        return {"shard": replica.shard, "seq": seq, "matches": candidates_as_dicts(found)}

    return app
