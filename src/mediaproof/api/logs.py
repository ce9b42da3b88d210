"""Structured request logs: one JSON line per request, with no personal data.

Logged: method, the route's path template (``/assets/{asset_id}``, never query strings),
status, duration, a request id. Not logged: client addresses, user names, file names,
tokens, cookies, upload contents.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from mediaproof.api.asgi import HttpMiddleware

log = logging.getLogger("mediaproof.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            out["exc"] = record.exc_info[0].__name__
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, separators=(",", ":"))


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for our loggers and uvicorn's (its access log stays off)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("mediaproof", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


class AccessLogMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        rid = secrets.token_hex(8)
        status = [500]

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "fields": {
                        "rid": rid,
                        "method": scope.get("method"),
                        "route": getattr(route, "path", None) or "(unmatched)",
                        "status": status[0],
                        "ms": round((time.perf_counter() - start) * 1000, 1),
                    }
                },
            )
