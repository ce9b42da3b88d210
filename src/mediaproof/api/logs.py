"""Structured request logs and request metrics: one line per request, with no personal data.

Logged: method, the route's path template (``/assets/{asset_id}``, never query strings),
status, duration, the request id (``rid``, also on every other line the request causes,
and in the ``X-Request-ID`` answer header). Not logged: client addresses, user names, file
names, tokens, cookies, upload contents. The same template, method and status label the
request latency histogram (mediaproof.observability.metrics).
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from mediaproof.api.asgi import HttpMiddleware
from mediaproof.observability.context import accept_request_id, request_id_scope
from mediaproof.observability.logs import configure_logging
from mediaproof.observability.metrics import observe_request

log = logging.getLogger("mediaproof.access")

__all__ = ["AccessLogMiddleware", "configure_logging"]


class AccessLogMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        rid = accept_request_id(Headers(scope=scope).get("x-request-id"))
        status = [500]

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        with request_id_scope(rid):
            try:
                await self.app(scope, receive, send_wrapped)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None) or "(unmatched)"
                seconds = time.perf_counter() - start
                observe_request(template, str(scope.get("method")), status[0], seconds)
                log.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope.get("method"),
                            "route": template,
                            "status": status[0],
                            "ms": round(seconds * 1000, 1),
                        }
                    },
                )
