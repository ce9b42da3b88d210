"""Every 401 says how to authenticate (RFC 9110 section 11.6.1: a 401 must carry
``WWW-Authenticate``; RFC 6750 section 3 for bearer tokens), with ``error="invalid_token"``
when a token was sent and is not valid; the scheme name is matched case-insensitively
(RFC 9110 section 11.1). Browser pages that send a signed-out visitor to the login form
answer 303, not 401, and stay so. Found by the whole-API robustness run (docs/api.md,
Robustness)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.cli.matcher_http import create_matcher_app
from mediaproof.services.matchers import ShardReplica
from tests.api.conftest import bearer, csrf_of, make_app
from tests.api.test_metrics import TOKEN, metrics_app

CHALLENGE = 'Bearer realm="mediaproof"'
INVALID = 'Bearer realm="mediaproof", error="invalid_token"'


def _unauthenticated(r: object, challenge: str) -> None:
    assert r.status_code == 401, r.text  # type: ignore[attr-defined]
    assert r.headers.get("www-authenticate") == challenge, r.headers  # type: ignore[attr-defined]


def test_every_401_carries_its_challenge(app: FastAPI, client: TestClient) -> None:
    h = bearer(app.state.ctx.inst, "admin", ["account"])
    csrf = csrf_of(client.get("/login").text)
    # no credentials at all: the plain challenge
    _unauthenticated(client.get("/api/v1/me"), CHALLENGE)
    _unauthenticated(client.get("/api/v1/cases"), CHALLENGE)
    # another scheme is no bearer token either
    _unauthenticated(
        client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), CHALLENGE
    )
    # a token that is wrong, revoked or expired: invalid_token
    _unauthenticated(
        client.get("/api/v1/me", headers={"Authorization": "Bearer mp_forged"}), INVALID
    )
    # wrong credentials on the login form are a 401 page, which names the scheme too
    r = client.post(
        "/login",
        data={"username": "admin", "password": "not it at all", "csrf_token": csrf},
    )
    _unauthenticated(r, CHALLENGE)
    # a 200 and a 403 have none
    ok = client.get("/api/v1/me", headers=h)
    assert ok.status_code == 200 and "www-authenticate" not in ok.headers
    forbidden = client.get("/api/v1/cases", headers=h)
    assert forbidden.status_code == 403 and "www-authenticate" not in forbidden.headers


def test_a_signed_out_page_still_redirects_to_the_login(client: TestClient) -> None:
    r = client.get("/account/tokens", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert "www-authenticate" not in r.headers


def test_the_scheme_is_case_insensitive(app: FastAPI, client: TestClient) -> None:
    secret = bearer(app.state.ctx.inst, "admin", ["account"])["Authorization"].split()[1]
    for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
        r = client.get("/api/v1/me", headers={"Authorization": f"{scheme} {secret}"})
        assert r.status_code == 200 and r.json()["via"] == "token", (scheme, r.text)


def test_the_metrics_token_gets_the_same_challenge(tmp_path: Path) -> None:
    app = metrics_app(tmp_path / "instance")
    with TestClient(app) as c:
        _unauthenticated(c.get("/metrics"), CHALLENGE)
        _unauthenticated(c.get("/metrics", headers={"Authorization": "Bearer wrong"}), INVALID)
        r = c.get("/metrics", headers={"Authorization": f"BEARER {TOKEN}"})
        assert r.status_code == 200, r.text


def test_the_matcher_answers_a_challenge_too(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    inst = app.state.ctx.inst
    replica = ShardReplica(inst.db, inst.blob_store, 0, 2, tmp_path / "cache")
    matcher = TestClient(create_matcher_app(replica, "matcher-token-0123456789", "m" * 20))
    body = {"signal": "pdq", "hash": "0" * 64, "max_distance": 31}
    realm = 'Bearer realm="mediaproof-matcher"'
    _unauthenticated(matcher.post("/lookup", json=body), realm)
    _unauthenticated(
        matcher.post("/lookup", json=body, headers={"Authorization": "Bearer nope"}),
        realm + ', error="invalid_token"',
    )
    _unauthenticated(matcher.get("/metrics"), realm)
    # the right token in any case of the scheme gets past the check (503: nothing loaded)
    r = matcher.post(
        "/lookup", json=body, headers={"Authorization": "bearer matcher-token-0123456789"}
    )
    assert r.status_code == 503, r.text
    scrape = matcher.get("/metrics", headers={"Authorization": "BEARER " + "m" * 20})
    assert scrape.status_code == 200, scrape.text


def test_the_document_lists_the_challenge(app: FastAPI) -> None:
    doc = app.openapi()
    listed = [
        op["responses"]["401"]
        for item in doc["paths"].values()
        for op in item.values()
        if "401" in op.get("responses", {})
    ]
    assert len(listed) > 50
    assert all("WWW-Authenticate" in r.get("headers", {}) for r in listed)
