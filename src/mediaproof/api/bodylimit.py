"""A small cap on request bodies everywhere except the upload routes.

JSON and form bodies are read into memory by the framework, so without a cap one request
could exhaust it. Upload routes stream to disk under their own limit (api/uploads.py).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediaproof.errors import LimitExceededError

SMALL_BODY = 64 * 1024
UPLOAD_ROUTES = frozenset(
    {
        ("POST", "/api/v1/verify"),
        ("POST", "/api/v1/assets"),
        ("POST", "/matches/byContent"),
        ("POST", "/verify"),
        ("POST", "/publish"),
        ("POST", "/api/v1/notices"),  # a notice may carry the media (JSON notices are capped
        ("POST", "/report"),  # at 64 KiB by the route itself)
        ("POST", "/api/v1/likeness/enrolments"),
        ("POST", "/api/v1/likeness/check"),
        ("POST", "/api/v1/screen/output"),  # a generated file, streamed like verify's
        ("POST", "/api/v1/uploads/check"),  # a platform's upload, checked against the bank
    }
)


def _too_big() -> LimitExceededError:
    return LimitExceededError(f"the request body is larger than {SMALL_BODY:,} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) in UPLOAD_ROUTES:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > SMALL_BODY:
                await _refuse(send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > SMALL_BODY:
                    # an HTTPException passes through FastAPI's body parsing unchanged
                    raise HTTPException(413, _too_big().message)
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send) -> None:
    e = _too_big()
    body = (
        b'{"error":{"code":"'
        + e.code.encode()
        + b'","message":"'
        + e.message.encode()
        + b'","hint":null}}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": e.http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
