"""Work budgets and rate limits per caller (issue 15, finding 5): anonymous callers get a
smaller pixel and duration budget with an error that names the limit, and signed-in
callers of every role draw from their own per-account buckets on verify and notices."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.api.ratelimit import BucketSpec
from mediaproof.config import Limits, Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from tests.api.conftest import FIX, PASSWORD, ROLES, bearer, make_settings
from tests.api.test_cases_api import notice


def _app(home: Path, limits: Limits, **service: object) -> FastAPI:
    base = make_settings(home, **service)
    app = create_app(Settings(home=home, service=base.service, limits=limits))
    init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
    for role in ROLES:
        accounts.create_user(app.state.ctx.inst, role, Role(role), PASSWORD)
    return app


def _verify(c: TestClient, path: Path, headers: dict[str, str] | None = None) -> Response:
    return c.post("/api/v1/verify", files={"file": (path.name, path.read_bytes())}, headers=headers)


@pytest.fixture
def big_canvas(tmp_path: Path) -> Path:
    p = tmp_path / "canvas.png"
    Image.new("1", (3000, 2000)).save(p, "PNG", optimize=True)  # 6 MP in a few KB
    return p


def test_anonymous_pixel_budget_names_its_setting(tmp_path: Path, big_canvas: Path) -> None:
    app = _app(tmp_path / "i", Limits(anon_max_pixels=5_000_000))
    with TestClient(app) as c:
        r = c.post("/api/v1/verify", files={"file": ("a.png", big_canvas.read_bytes())})
        assert r.status_code == 413, r.text
        err = r.json()["error"]
        assert err["code"] == "limit_exceeded"
        assert "3000x2000" in err["message"] and "5,000,000" in err["message"]
        assert "MEDIAPROOF_LIMIT_ANON_MAX_PIXELS" in err["message"]
        assert "signed-in" in err["hint"]
        # the same file from a signed-in caller (any role, any scope) is within budget
        h = bearer(app.state.ctx.inst, "reporter", ["account"])
        r = c.post("/api/v1/verify", files={"file": ("a.png", big_canvas.read_bytes())}, headers=h)
        assert r.status_code == 200, r.text


def test_anonymous_budget_never_exceeds_the_general_limit(tmp_path: Path, big_canvas: Path) -> None:
    app = _app(tmp_path / "i", Limits(max_pixels=4_000_000, anon_max_pixels=50_000_000))
    with TestClient(app) as c:
        r = c.post("/api/v1/verify", files={"file": ("a.png", big_canvas.read_bytes())})
        assert r.status_code == 413
        assert "MEDIAPROOF_LIMIT_MAX_PIXELS" in r.json()["error"]["message"]


def test_anonymous_duration_budget(tmp_path: Path, corpora: Path) -> None:
    wav = corpora / FIX / "sample1.wav"
    app = _app(tmp_path / "i", Limits(anon_max_duration_s=1.0))
    with TestClient(app) as c:
        r = c.post("/api/v1/verify", files={"file": ("a.wav", wav.read_bytes())})
        assert r.status_code == 413, r.text
        assert "MEDIAPROOF_LIMIT_ANON_MAX_DURATION_S" in r.json()["error"]["message"]
        h = bearer(app.state.ctx.inst, "publisher", ["publish"])
        r = c.post("/api/v1/verify", files={"file": ("a.wav", wav.read_bytes())}, headers=h)
        assert r.status_code in (200, 202), r.text


@pytest.mark.parametrize("role", ROLES)
def test_every_role_is_rate_limited_on_verify_per_account(
    tmp_path: Path, big_canvas: Path, role: str
) -> None:
    app = _app(tmp_path / "i", Limits())
    app.state.ctx.limiter.specs["verify_signed"] = BucketSpec(per_minute=1, burst=2)
    inst = app.state.ctx.inst
    with TestClient(app) as c:
        h = bearer(inst, role, ["account"])
        h2 = bearer(inst, role, ["account"])  # a second token of the same account
        codes = [
            c.post(
                "/api/v1/verify",
                files={"file": ("a.png", big_canvas.read_bytes())},
                headers=hdr,
            ).status_code
            for hdr in (h, h2, h)
        ]
        assert codes == [200, 200, 429]
        r = c.post("/api/v1/verify", files={"file": ("a.png", big_canvas.read_bytes())}, headers=h)
        assert r.json()["error"]["code"] == "rate_limited"
        assert "your account" in r.json()["error"]["message"]
        # another account, and anonymous callers, have their own buckets
        other = "admin" if role != "admin" else "publisher"
        h3 = bearer(inst, other, ["account"])
        ok = c.post(
            "/api/v1/verify", files={"file": ("a.png", big_canvas.read_bytes())}, headers=h3
        )
        assert ok.status_code == 200
        anon = c.post("/api/v1/verify", files={"file": ("a.png", big_canvas.read_bytes())})
        assert anon.status_code == 200


def test_signed_in_notices_are_rate_limited(tmp_path: Path) -> None:
    app = _app(tmp_path / "i", Limits(), webhook_interval_s=3600)
    app.state.ctx.limiter.specs["notice_signed"] = BucketSpec(per_minute=1, burst=2)
    h = bearer(app.state.ctx.inst, "reporter", ["account"])
    with TestClient(app) as c:
        codes = [
            c.post(
                "/api/v1/notices", json=notice(content_url=f"https://v.example/{i}"), headers=h
            ).status_code
            for i in range(3)
        ]
    assert codes == [201, 201, 429]


def test_signed_in_defaults_are_generous() -> None:
    svc = Settings().service
    assert svc.rate_verify_signed_per_min >= 10 * svc.rate_verify_per_min
    assert svc.rate_notice_signed_per_min >= 10 * svc.rate_notice_per_min
