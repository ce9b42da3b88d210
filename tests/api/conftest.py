"""An app on a real SQLite instance with keys, users of every role, and helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.config import ServiceSettings, Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance

PASSWORD = "a long test password"
ROLES = [r.value for r in Role]
FIX = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"


def make_settings(home: Path, **service: Any) -> Settings:
    svc = {
        "rate_verify_burst": 1000,
        "rate_lookup_burst": 1000,
        "rate_login_burst": 1000,
        "rate_notice_burst": 1000,
        "rate_verify_signed_burst": 1000,
        "rate_notice_signed_burst": 1000,
        # in the test process, each app's analyses run inline; test_compute_pool.py and
        # the browser tests (a real `mediaproof serve`) cover the worker processes
        "analysis_processes": 0,
        **service,
    }
    return Settings(home=home, service=ServiceSettings(**svc))


def make_app(home: Path, **service: Any) -> FastAPI:
    app = create_app(make_settings(home, **service))
    init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
    for role in ROLES:
        accounts.create_user(app.state.ctx.inst, role, Role(role), PASSWORD)
    return app


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return make_app(tmp_path / "instance")


@pytest.fixture
def inst(app: FastAPI) -> Instance:
    i: Instance = app.state.ctx.inst
    return i


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)


def bearer(inst: Instance, username: str, scopes: list[str]) -> dict[str, str]:
    principal = _principal(inst, username)
    secret, _ = accounts.create_token(inst, principal, "test", scopes)
    return {"Authorization": f"Bearer {secret}"}


def _principal(inst: Instance, username: str):  # type: ignore[no-untyped-def]
    secret, _ = accounts.login(inst, username, PASSWORD)
    p = accounts.session_principal(inst, secret)
    assert p is not None
    return p


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return sample_photo(tmp_path / "photo.jpg", 480, 320, seed=11)


def publish(
    client: TestClient, headers: dict[str, str], path: Path, title: str = "Polling hours"
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/assets",
        headers=headers,
        data={"title": title, "author": "Press office", "source_type": "digitalCapture"},
        files={"file": ("whatever.jpg", path.read_bytes(), "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out
