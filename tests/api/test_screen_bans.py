"""The operator's ban rule: the third block of one tool's user_ref bans it; a banned
user's prompts are blocked (reason "banned") and outputs held until an admin lifts the
ban; reviews, other users and other tools are not affected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.config import ScreeningSettings
from mediaproof.media.samples import sample_photo
from mediaproof.services import accounts
from mediaproof.services import screening as svc
from mediaproof.storage.sql.tables_screening import ScreenEventRow
from tests.api.conftest import PASSWORD, bearer, make_settings

BAD = "Photo of Elena Marchetti being arrested and led away in handcuffs"
REVIEWED = "Elena Marchetti smiling at a rally"
FINE = "a watercolour of a lighthouse at dawn"


def _app(home: Path, **screening: Any) -> FastAPI:
    settings = make_settings(home, rate_screen_burst=1000)
    settings.screening = ScreeningSettings(embeddings=False, **screening)
    app = create_app(settings)
    inst = app.state.ctx.inst
    for name, role in (("tool", Role.TOOLMAKER), ("tool2", Role.TOOLMAKER),
                       ("admin", Role.ADMIN)):
        accounts.create_user(inst, name, role, PASSWORD)
    svc.add_official(inst, "Elena Marchetti", ["Marchetti"], "mayoral candidate")
    return app


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return _app(tmp_path / "i")


@pytest.fixture
def c(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _prompt(c: TestClient, h: dict[str, str], prompt: str, user_ref: str) -> dict[str, Any]:
    r = c.post("/api/v1/screen/prompt", headers=h, json={"prompt": prompt, "user_ref": user_ref})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_the_third_block_bans_and_a_lift_restores(app: FastAPI, c: TestClient) -> None:
    inst = app.state.ctx.inst
    tool = bearer(inst, "tool", ["screen:prompt"])
    tool2 = bearer(inst, "tool2", ["screen:prompt"])
    admin = bearer(inst, "admin", ["screen:manage"])

    first = _prompt(c, tool, BAD, "u-1")
    second = _prompt(c, tool, BAD, "u-1")
    assert (first["decision"], first["user_banned"]) == ("block", False)
    assert second["user_banned"] is False
    assert _prompt(c, tool, FINE, "u-1")["decision"] == "allow"  # not banned yet
    third = _prompt(c, tool, BAD, "u-1")
    assert third["decision"] == "block" and third["user_banned"] is True

    banned = _prompt(c, tool, FINE, "u-1")
    assert banned["decision"] == "block" and banned["user_banned"] is True
    assert [r["rule"] for r in banned["reasons"]] == ["banned"]
    # another user of the tool, and the same user_ref at another tool, are not banned
    assert _prompt(c, tool, FINE, "u-2")["decision"] == "allow"
    assert _prompt(c, tool2, FINE, "u-1")["decision"] == "allow"
    # an output of a banned user is held without looking at it
    photo = sample_photo(Path(inst.home) / "gen.jpg", 320, 240, seed=3)
    r = c.post("/api/v1/screen/output", headers=tool, data={"user_ref": "u-1", "sign": "true"},
               files={"file": ("x", photo.read_bytes(), "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "hold" and r.json()["reasons"][0]["rule"] == "banned"
    assert r.json()["output"] is None

    bans = c.get("/api/v1/screen/bans?active=true", headers=admin).json()["bans"]
    assert [(b["tool"], b["user_ref"], b["events"]) for b in bans] == [("tool", "u-1", 3)]
    assert bans[0]["notified"] is False  # no webhook to the tool yet (docs/screening.md)

    # lifted (e.g. after the user contested it): allowed again, and the count restarts
    r = c.post("/api/v1/screen/bans/lift", headers=admin, json={"tool": "tool", "user_ref": "u-1"})
    assert r.status_code == 200 and r.json()["lifted_by"] == "admin"
    assert _prompt(c, tool, FINE, "u-1")["decision"] == "allow"
    assert _prompt(c, tool, BAD, "u-1")["user_banned"] is False
    assert c.post("/api/v1/screen/bans/lift", headers=admin,
                  json={"tool": "tool", "user_ref": "u-1"}).status_code == 404
    assert c.get("/api/v1/screen/bans?active=true", headers=admin).json()["bans"] == []


def test_reviews_do_not_count_and_old_blocks_fall_out_of_the_window(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path / "w", ban_after=3, ban_window_s=3600)
    inst = app.state.ctx.inst
    with TestClient(app) as c:
        tool = bearer(inst, "tool", ["screen:prompt"])
        for _ in range(5):
            assert _prompt(c, tool, REVIEWED, "u-3")["decision"] == "review"
        assert _prompt(c, tool, FINE, "u-3")["decision"] == "allow"
        _prompt(c, tool, BAD, "u-4")
        _prompt(c, tool, BAD, "u-4")
        with inst.db.session() as s:  # both blocks happened two hours ago
            s.execute(update(ScreenEventRow).where(ScreenEventRow.user_ref == "u-4")
                      .values(at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))
        assert _prompt(c, tool, BAD, "u-4")["user_banned"] is False
        # no user_ref: nothing to ban
        for _ in range(4):
            r = c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": BAD})
            assert r.json()["user_banned"] is False


def test_the_rule_can_be_turned_off(tmp_path: Path) -> None:
    app = _app(tmp_path / "off", ban_after=0)
    with TestClient(app) as c:
        tool = bearer(app.state.ctx.inst, "tool", ["screen:prompt"])
        for _ in range(4):
            assert _prompt(c, tool, BAD, "u-5")["user_banned"] is False
        assert _prompt(c, tool, FINE, "u-5")["decision"] == "allow"
