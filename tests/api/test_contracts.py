"""Typed, allow-listed API contracts (issue 16): every JSON route names its answer with a
pydantic model (so a field added to a service's dataclass is not published by default),
and the OpenAPI document is compared with the checked-in copy so any change to what the
API accepts or answers is seen in review."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from mediaproof.api.openapi import openapi_document, render

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "docs" / "openapi.json"
REGENERATE = "python -m mediaproof.api.openapi > docs/openapi.json"
# field names that must never be in an answer: reporters' contact details and signatures,
# secrets other than the one a caller is shown once, biometric templates
NEVER = {
    "email",
    "reporter_email",
    "reporter_name",
    "signature",
    "secret",
    "password",
    "password_hash",
    "token_hash",
    "vector",
    "vectors",
    "embedding",
}


def _machine_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every route of the JSON API and the standard interfaces (not the HTML pages)."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or ctx.path is None:
            continue
        if ctx.path.startswith("/api/") or route.endpoint.__module__.startswith(
            "mediaproof.api.routers."
        ):
            out.append((f"{sorted(route.methods)[0]} {ctx.path}", route))
    return out


def test_the_walk_finds_the_api(app: FastAPI) -> None:
    names = {n for n, _ in _machine_routes(app)}
    assert "GET /api/v1/cases/{number}" in names and "GET /healthz" in names
    assert len(names) > 60, names


def _is_model(t: Any) -> bool:
    """A pydantic model, or a list of one (never a bare dict, which names nothing)."""
    if get_origin(t) is list:
        (t,) = get_args(t)
    return isinstance(t, type) and issubclass(t, BaseModel)


def test_every_api_route_names_its_answer(app: FastAPI) -> None:
    """A JSON answer has a response model; a file, CSV or image answer declares its
    response class and the media type it sends."""
    missing = []
    for name, route in _machine_routes(app):
        rc = route.response_class
        cls = rc.value if isinstance(rc, DefaultPlaceholder) else rc
        if issubclass(cls, JSONResponse):
            if not _is_model(route.response_model):
                missing.append(f"{name}: no response model ({route.response_model!r})")
        else:
            content = route.responses.get(200, {}).get("content", {})
            if not content:
                missing.append(f"{name}: {cls.__name__} without its media type documented")
    assert not missing, "\n".join(missing)


def _schemas_of(doc: dict[str, Any], node: Any, seen: set[str]) -> list[dict[str, Any]]:
    """The schemas ``node`` refers to, followed through $ref, once each."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                target = doc["components"]["schemas"][name]
                out.append(target)
                out.extend(_schemas_of(doc, target, seen))
        for v in node.values():
            out.extend(_schemas_of(doc, v, seen))
    elif isinstance(node, list):
        for v in node:
            out.extend(_schemas_of(doc, v, seen))
    return out


def test_no_answer_names_personal_data_or_secrets(app: FastAPI) -> None:
    doc = app.openapi()
    found = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, resp in op.get("responses", {}).items():
                for schema in _schemas_of(doc, resp, set()):
                    for prop in schema.get("properties", {}):
                        if prop in NEVER:
                            found.append(f"{method.upper()} {path} {status}: {prop}")
    assert not found, found


def test_openapi_matches_the_checked_in_copy() -> None:
    """The document is docs/openapi.json; after a deliberate API change, regenerate it
    (or run this test with MEDIAPROOF_UPDATE_OPENAPI=1) and commit the difference."""
    current = render(openapi_document())
    if os.environ.get("MEDIAPROOF_UPDATE_OPENAPI") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.is_file(), f"docs/openapi.json is missing; create it with: {REGENERATE}"
    stored = SNAPSHOT.read_text(encoding="utf-8")
    if stored != current:
        old, new = json.loads(stored), json.loads(current)
        changed = sorted(
            p
            for p in set(old.get("paths", {})) | set(new.get("paths", {}))
            if old.get("paths", {}).get(p) != new.get("paths", {}).get(p)
        )
        schemas = sorted(
            s
            for s in set(old["components"]["schemas"]) | set(new["components"]["schemas"])
            if old["components"]["schemas"].get(s) != new["components"]["schemas"].get(s)
        )
        raise AssertionError(
            "the API's OpenAPI document differs from docs/openapi.json "
            f"(paths: {changed or 'none'}; schemas: {schemas or 'none'}).\n"
            "If the change is intended, update the copy and commit it:\n"
            f"    {REGENERATE}\n"
            "or: MEDIAPROOF_UPDATE_OPENAPI=1 pytest tests/api/test_contracts.py"
        )
