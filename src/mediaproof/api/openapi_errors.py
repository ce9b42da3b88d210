"""The errors every operation can answer because of its access rule, in its OpenAPI entry.

A route lists the errors its own code raises (``responses=errors(...)``); the refusals
made before it runs come from its rule in :mod:`mediaproof.api.access` and are added
here, so the document cannot forget them: 401 and 403 for a route that needs an account,
429 for a rate-limited one, and 403 (``csrf_failed``, a session cookie without the CSRF
token) for every unsafe method; and every 401 its ``WWW-Authenticate`` challenge. A
whole-API schemathesis run found routes answering 401, 403 and 409 that their entries did
not list (docs/api.md, Robustness).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from mediaproof.api.access import ACCESS, Rule

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}
# every 401 says which scheme to use (RFC 9110 section 11.6.1, RFC 6750 section 3)
CHALLENGE = {
    "WWW-Authenticate": {
        "description": 'Bearer realm="mediaproof", with error="invalid_token" when the '
        "request's bearer token is not valid",
        "required": True,
        "schema": {"type": "string", "pattern": "^Bearer realm="},
    }
}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def access_errors(rule: Rule, method: str) -> set[int]:
    """The statuses ``rule`` answers by itself for a ``method`` request."""
    codes: set[int] = set()
    if rule.who != "public":
        codes |= {401, 403}
    if rule.rate is not None:
        codes.add(429)
    if method in UNSAFE:
        codes.add(403)
    return codes


def document_access_errors(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so each operation lists its rule's errors too."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        for route in iter_route_contexts(app.routes):
            original = route.original_route
            if not isinstance(original, APIRoute) or not original.include_in_schema:
                continue
            rule = ACCESS.get(route.name or "")
            if rule is None:
                continue
            for method in route.methods or ():
                op = doc["paths"].get(route.path_format, {}).get(method.lower())
                if op is None:
                    continue
                responses = op.setdefault("responses", {})
                for code in sorted(access_errors(rule, method)):
                    responses.setdefault(
                        str(code),
                        {
                            "description": HTTPStatus(code).phrase,
                            "content": {"application/json": {"schema": ERROR_SCHEMA}},
                        },
                    )
        for item in doc["paths"].values():
            for op in item.values():
                unauthenticated = op.get("responses", {}).get("401")
                if isinstance(unauthenticated, dict):
                    unauthenticated["headers"] = CHALLENGE
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
