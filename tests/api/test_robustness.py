"""What a whole-API hostile-input run found (bench/api_robustness.py; docs/api.md,
Robustness): a 5xx is a bug, never an answer, and every answer is one the document lists.

- A NUL character (U+0000) in any text reached the database: PostgreSQL's driver refuses
  it, so a notice, a webhook, an official's name, a publish form or even a path segment
  (``/manifests/a%00b``) answered 500 there, while SQLite stored it. Both now refuse it
  with 422 ``invalid_request`` and store nothing.
- A failed statement's error carried its bound values (names, e-mail addresses, sealed
  secrets) into the logged traceback.
- Operations answered 401/403 (access rules), 409 (a taken user name) and signed files as
  image/jpeg while their entries listed none of these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from mediaproof.accounts.models import TOKEN_SCOPES, Role
from mediaproof.api import create_app
from mediaproof.api.access import ACCESS
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.storage.sql.engine import Database
from tests.api.conftest import PASSWORD, bearer, make_settings

NAME, EMAIL = "Ana Candidata", "ana.nul@campaign.example"


def _app(home: Path, db_url: str) -> FastAPI:
    settings = make_settings(home).model_copy(update={"database_url": db_url})
    app = create_app(settings)
    init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
    for role in Role:
        accounts.create_user(app.state.ctx.inst, role.value, role, PASSWORD)
    return app


def _notice(**kw: Any) -> dict[str, Any]:
    return {
        "category": "impersonation",
        "explanation": "A synthetic clip of the candidate announcing she quits the race.",
        "reporter_name": NAME,
        "reporter_email": EMAIL,
        "relationship": "self",
        "good_faith": True,
        "signature": NAME,
        "content_url": "https://video.example/watch/42",
        "location": "front page",
        **kw,
    }


def _refused(r: Any) -> None:
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request" and "NUL" in r.json()["error"]["message"]


def test_nul_in_text_is_refused_alike_on_both_databases(tmp_path: Path, db_url: str) -> None:
    app = _app(tmp_path / "instance", db_url)
    admin = bearer(app.state.ctx.inst, "admin", sorted(p.value for p in TOKEN_SCOPES))
    with TestClient(app) as c:
        _refused(c.post("/api/v1/notices", json=_notice(explanation="a fake\x00 of her")))
        _refused(c.post("/api/v1/screen/officials", headers=admin, json={"name": "A\x00B"}))
        _refused(
            c.post(
                "/api/v1/webhooks/endpoints",
                headers=admin,
                json={"platform": "p\x00", "url": "https://hooks.example/x", "secret": "s" * 24},
            )
        )
        _refused(c.get("/manifests/a%00b"))
        _refused(c.delete("/api/v1/candidates/a%00b", headers=admin))
        _refused(c.get("/api/v1/screen/events?user_ref=a%00", headers=admin))
        # nothing of any of them was stored
        assert c.get("/api/v1/screen/officials", headers=admin).json() == []
        assert c.get("/api/v1/webhooks/endpoints", headers=admin).json() == []
        assert c.get("/api/v1/cases", headers=admin).json()["cases"] == []
        # and the same requests without the NUL are fine
        assert c.post("/api/v1/notices", json=_notice()).status_code == 201


def test_an_id_past_a_column_range_is_a_4xx(tmp_path: Path, db_url: str) -> None:
    """Asset ids are 32-bit columns; the API takes any id up to 2^63-1 (api/params.py):
    PostgreSQL refused the lookup with an overflow, a 500 on four asset routes."""
    app = _app(tmp_path / "instance", db_url)
    h = bearer(app.state.ctx.inst, "publisher", ["publish"])
    huge = 2**63 - 2
    with TestClient(app) as c:
        for method, path in (
            ("GET", f"/api/v1/assets/{huge}"),
            ("GET", f"/api/v1/assets/{huge}/file"),
            ("GET", f"/api/v1/assets/{huge}/preview"),
            ("POST", f"/api/v1/assets/{huge}/withdraw"),
        ):
            r = c.request(method, path, headers=h)
            assert r.status_code in (404, 422), (path, r.text)
            assert r.json()["error"]["code"] in ("not_found", "invalid_request")


def test_a_nul_in_a_form_field_is_refused_before_anything_is_signed(
    app: FastAPI, client: TestClient, photo: Path
) -> None:
    h = bearer(app.state.ctx.inst, "publisher", ["publish"])
    r = client.post(
        "/api/v1/assets",
        headers=h,
        data={"title": "Polling\x00 hours", "author": "Press office"},
        files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")},
    )
    _refused(r)
    assert "title" in r.json()["error"]["message"]
    assert client.get("/api/v1/assets/1").status_code == 404  # no asset, no log entry


def test_a_failed_statement_never_carries_its_values(tmp_path: Path, db_url: str) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(Exception) as e, db.session() as s:
            s.execute(text("SELECT * FROM no_such_table WHERE email = :e"), {"e": EMAIL})
        assert EMAIL not in str(e.value) and EMAIL not in repr(e.value.__cause__)
    finally:
        db.dispose()


def _refusals(route_name: str, method: str) -> set[int]:
    """What the access check answers before a route runs (api/deps.enforce_access)."""
    rule = ACCESS[route_name]
    codes = {401, 403} if rule.who != "public" else set()
    if rule.rate:
        codes.add(429)
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        codes.add(403)  # csrf_failed: a session cookie without the CSRF token
    return codes


def test_every_operation_lists_what_its_access_rule_answers(app: FastAPI) -> None:
    doc = app.openapi()
    missing = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if not isinstance(original, APIRoute) or not original.include_in_schema:
            continue
        for method in route.methods or ():
            listed = set(doc["paths"][route.path_format][method.lower()]["responses"])
            for code in _refusals(route.name or "", method):
                if str(code) not in listed:
                    missing.append(f"{method} {route.path_format}: {code}")
    assert not missing, missing
    # the two found by the run in particular
    withdraw = doc["paths"]["/api/v1/assets/{asset_id}/withdraw"]["post"]["responses"]
    assert {"401", "403"} <= set(withdraw)


def test_a_taken_user_name_is_a_listed_409(app: FastAPI, client: TestClient) -> None:
    admin = bearer(app.state.ctx.inst, "admin", ["users:manage"])
    body = {"username": "reviewer", "role": "peer", "password": PASSWORD}
    r = client.post("/api/v1/users", headers=admin, json=body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert "409" in app.openapi()["paths"]["/api/v1/users"]["post"]["responses"]


def test_a_signed_file_is_served_as_a_listed_media_type(
    app: FastAPI, client: TestClient, photo: Path
) -> None:
    from tests.api.conftest import publish

    h = bearer(app.state.ctx.inst, "publisher", ["publish"])
    asset = publish(client, h, photo)["asset"]
    r = client.get(f"/api/v1/assets/{asset['asset_id']}/file", headers=h)
    assert r.status_code == 200
    served = r.headers["content-type"].split(";")[0]
    listed = app.openapi()["paths"]["/api/v1/assets/{asset_id}/file"]["get"]["responses"]
    kinds = set(listed["200"]["content"])
    assert served in kinds or f"{served.split('/')[0]}/*" in kinds, (served, kinds)


def test_a_broken_audio_release_is_refused_without_the_servers_paths(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    """Publishing a cut-off WAV answered 422 naming the upload's temp file with its full
    path under the instance (and FFmpeg repeating it)."""
    import subprocess

    wav = tmp_path / "a.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1",
         str(wav)],
        check=True,
    )  # fmt: skip
    h = bearer(app.state.ctx.inst, "publisher", ["publish"])
    r = client.post(
        "/api/v1/assets",
        headers=h,
        data={"title": "Statement", "author": "Press office"},
        files={"file": ("a.wav", wav.read_bytes()[:60], "audio/wav")},
    )
    assert r.status_code == 422, r.text
    home = str(app.state.ctx.inst.home)
    assert "/" not in r.json()["error"]["message"] and home not in r.text, r.text


def test_the_bodies_read_by_hand_are_in_the_document(app: FastAPI) -> None:
    """POST /api/v1/notices and the hash-list import parse their bodies themselves, so
    their entries declared none and the robustness run never sent them one."""
    paths = app.openapi()["paths"]
    notice = paths["/api/v1/notices"]["post"]["requestBody"]["content"]
    assert set(notice) == {"application/json", "multipart/form-data"}
    assert "content_url" in notice["application/json"]["schema"]["required"]
    form = notice["multipart/form-data"]["schema"]["properties"]
    assert form["file"]["format"] == "binary" and "reporter_email" in form
    imported = paths["/api/v1/hash-lists/{list_name}/import"]["post"]["requestBody"]
    assert set(imported["content"]) == {"text/plain", "text/csv"}


def test_the_hand_read_bodies_survive_a_fuzzer(tmp_path: Path, db_url: str) -> None:
    """A short schemathesis run of just those two operations, now with bodies."""
    import schemathesis

    app = _app(tmp_path / "instance", db_url)
    admin = bearer(app.state.ctx.inst, "admin", sorted(p.value for p in TOKEN_SCOPES))
    for headers in (admin, {}):
        schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
            path_regex="^/api/v1/(notices|hash-lists/[^/]+/import)$", method="POST"
        )
        schema.config.generation.update(max_examples=10, deterministic=True, database="none")
        schema.config.checks.update(
            included_check_names=[
                "not_a_server_error",
                "response_schema_conformance",
                "status_code_conformance",
                "content_type_conformance",
            ]
        )
        schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
        schema.config.update(headers=headers, request_timeout=120)
        bodies: dict[str, int] = {}
        failures = []
        for ev in schemathesis.engine.from_schema(schema).execute():
            if type(ev).__name__ in ("NonFatalError", "FatalError"):
                failures.append(str(getattr(ev, "info", ev))[:400])
            if type(ev).__name__ != "ScenarioFinished":
                continue
            rec = ev.recorder
            for node in rec.cases.values():
                if node.value.body is not None and node.value.media_type:
                    kind = node.value.media_type
                    bodies[kind] = bodies.get(kind, 0) + 1
            for checks in rec.checks.values():
                failures += [f"{rec.label} {c.name}" for c in checks if c.status.name == "FAILURE"]
        assert not failures, failures
        assert {"application/json", "multipart/form-data", "text/plain"} <= set(bodies), bodies


def test_a_notice_with_a_file_of_no_known_type_is_a_listed_415(
    app: FastAPI, client: TestClient
) -> None:
    """Found once the notice's body was in the document: a multipart notice whose file is
    not media answers 415, which its entry did not list (nor 408 and 413 of an upload)."""
    r = client.post(
        "/api/v1/notices",
        data={k: str(v) for k, v in _notice().items()},
        files={"file": ("file", b"mO\x8do0\x9evAN\x8e\x0e", "application/octet-stream")},
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media", r.text
    listed = app.openapi()["paths"]["/api/v1/notices"]["post"]["responses"]
    assert {"408", "413", "415"} <= set(listed)
