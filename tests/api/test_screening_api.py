"""POST /api/v1/screen/prompt for tool makers, and the admin side: officials, seeds, the
record of blocks and reviews (keyed hash of the prompt, its text only on opt-in)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.config import ScreeningSettings
from mediaproof.services import screening as svc
from mediaproof.services.accounts import instance_secret
from tests.api.conftest import bearer, make_app, make_settings

PROMPT = "Photo of E.l.e.n.a Marchetti being arrested and led away in handcuffs"


@pytest.fixture
def screen_app(tmp_path: Path) -> FastAPI:
    app = make_app(tmp_path / "instance", rate_screen_burst=1000)
    svc.add_official(app.state.ctx.inst, "Elena Marchetti", ["Marchetti"], "mayoral candidate")
    return app


@pytest.fixture
def c(screen_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(screen_app) as client:
        yield client


def _tool(app: FastAPI) -> dict[str, str]:
    return bearer(app.state.ctx.inst, "toolmaker", ["screen:prompt"])


def _admin(app: FastAPI) -> dict[str, str]:
    return bearer(app.state.ctx.inst, "admin", ["screen:manage"])


def test_a_tool_screens_a_prompt_and_gets_the_decision_and_reasons(
    screen_app: FastAPI, c: TestClient
) -> None:
    r = c.post("/api/v1/screen/prompt", headers=_tool(screen_app),
               json={"prompt": PROMPT, "user_ref": "u-7f3a"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "block"
    assert body["policy_version"]
    assert body["embeddings"] is True
    rules = {x["rule"]: x for x in body["reasons"]}
    assert rules["person.name"]["person"] == "Elena Marchetti"
    assert rules["person.name"]["matched"] == "elena marchetti"
    assert "scenario.arrest" in rules
    assert isinstance(body["event_id"], int)

    ok = c.post("/api/v1/screen/prompt", headers=_tool(screen_app),
                json={"prompt": "a watercolour of a lighthouse at dawn"})
    assert ok.json()["decision"] == "allow" and ok.json()["event_id"] is None


def test_blocks_are_recorded_per_tool_and_user_with_an_hmac_not_the_text(
    screen_app: FastAPI, c: TestClient
) -> None:
    tool = _tool(screen_app)
    for _ in range(2):
        c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": PROMPT, "user_ref": "u-1"})
    c.post("/api/v1/screen/prompt", headers=tool,
           json={"prompt": "Elena Marchetti smiling at a rally", "user_ref": "u-2"})
    c.post("/api/v1/screen/prompt", headers=tool,
           json={"prompt": "a lighthouse", "user_ref": "u-3"})
    r = c.get("/api/v1/screen/events", headers=_admin(screen_app))
    assert r.status_code == 200
    events, counts = r.json()["events"], r.json()["counts"]
    assert len(events) == 3  # the allowed prompt leaves no row
    inst = screen_app.state.ctx.inst
    key = hmac.new(instance_secret(inst), b"mediaproof/screen/prompt/v1", hashlib.sha256).digest()
    want = hmac.new(key, PROMPT.encode(), hashlib.sha256).hexdigest()
    blocked = [e for e in events if e["decision"] == "block"]
    assert {e["prompt_hmac"] for e in blocked} == {want}
    assert all(e["prompt_text"] is None for e in events)
    assert all("matched" not in reason for e in events for reason in e["reasons"])
    assert "Marchetti" not in r.text.replace("Elena Marchetti", "")  # only the person's name
    assert {(x["tool"], x["user_ref"], x["block"], x["review"]) for x in counts} == {
        ("toolmaker", "u-1", 2, 0),
        ("toolmaker", "u-2", 0, 1),
    }
    db_text = (inst.home / "mediaproof.db").read_bytes()
    assert b"being arrested and led away" not in db_text


def test_the_operator_may_opt_in_to_keep_prompt_text(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "i")
    settings.screening = ScreeningSettings(keep_prompt_text=True, embeddings=False)
    app = create_app(settings)
    from mediaproof.accounts.models import Role
    from mediaproof.services import accounts
    from tests.api.conftest import PASSWORD

    accounts.create_user(app.state.ctx.inst, "toolmaker", Role.TOOLMAKER, PASSWORD)
    accounts.create_user(app.state.ctx.inst, "admin", Role.ADMIN, PASSWORD)
    svc.add_official(app.state.ctx.inst, "Elena Marchetti")
    with TestClient(app) as c:
        r = c.post("/api/v1/screen/prompt", headers=_tool(app), json={"prompt": PROMPT})
        assert r.json()["decision"] == "block"
        assert r.json()["embeddings"] is False  # the rules alone, and the answer says so
        ev = c.get("/api/v1/screen/events", headers=_admin(app)).json()["events"][0]
        assert ev["prompt_text"] == PROMPT
        assert any("matched" in x for x in ev["reasons"])
        # the operator opts out again: text kept meanwhile is no longer shown to admins
        app.state.ctx.inst.settings.screening = ScreeningSettings(
            keep_prompt_text=False, embeddings=False
        )
        ev = c.get("/api/v1/screen/events", headers=_admin(app)).json()["events"][0]
        assert ev["prompt_text"] is None and len(ev["prompt_hmac"]) == 64
        assert not any("matched" in x for x in ev["reasons"])
        assert "E.l.e.n.a" not in str(ev) and "handcuffs" not in str(ev)


def test_a_tool_reads_its_own_record_with_log_indexes_and_never_others(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "i")
    settings.screening = ScreeningSettings(keep_prompt_text=True, embeddings=False)
    app = create_app(settings)
    from mediaproof.accounts.models import Role
    from mediaproof.services import accounts
    from tests.api.conftest import PASSWORD

    inst = app.state.ctx.inst
    accounts.create_user(inst, "toolmaker", Role.TOOLMAKER, PASSWORD)
    accounts.create_user(inst, "othertool", Role.TOOLMAKER, PASSWORD)
    accounts.create_user(inst, "reviewer", Role.REVIEWER, PASSWORD)
    svc.add_official(inst, "Elena Marchetti")
    mine, other = _tool(app), bearer(inst, "othertool", ["screen:prompt"])
    with TestClient(app) as c:
        b = c.post(
            "/api/v1/screen/prompt", headers=mine, json={"prompt": PROMPT, "user_ref": "u-1"}
        )
        assert b.json()["decision"] == "block"
        c.post("/api/v1/screen/prompt", headers=other, json={"prompt": PROMPT, "user_ref": "u-9"})
        c.post("/api/v1/screen/prompt", headers=mine, json={"prompt": "a lighthouse"})
        r = c.get("/api/v1/screen/events/mine", headers=mine)
        assert r.status_code == 200, r.text
        [ev] = r.json()  # its one block; not the other tool's, not the allowed prompt
        assert ev["id"] == b.json()["event_id"] and ev["tool"] == "toolmaker"
        assert ev["user_ref"] == "u-1" and ev["decision"] == "block"
        # the leaf has landed: the answer gives its index in the log
        assert ev["log"]["type"] == "screen.decided" and isinstance(ev["log"]["index"], int)
        # never the text, even while the operator keeps it for admins
        assert ev["prompt_text"] is None and "handcuffs" not in r.text
        assert not any("matched" in x for x in ev["reasons"])
        assert c.get("/api/v1/screen/events/mine?user_ref=u-2", headers=mine).json() == []
        [theirs] = c.get("/api/v1/screen/events/mine", headers=other).json()
        assert theirs["user_ref"] == "u-9" and theirs["log"]["index"] != ev["log"]["index"]
        assert c.get("/api/v1/screen/events/mine").status_code == 401
        rev = bearer(inst, "reviewer", ["cases:review"])
        assert c.get("/api/v1/screen/events/mine", headers=rev).status_code == 403
        assert c.get("/api/v1/screen/events/mine?limit=0", headers=mine).status_code == 422


def test_an_operator_seed_takes_effect_on_the_next_prompt(
    screen_app: FastAPI, c: TestClient
) -> None:
    prompt = "a swarm of drones spraying paint on the doors of the town election office"
    tool = _tool(screen_app)
    assert c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": prompt}).json()[
        "decision"
    ] == "allow"
    r = c.post("/api/v1/screen/seeds", headers=_admin(screen_app),
               json={"scenario": "vandalism", "text": "drones spraying paint on a town hall"})
    assert r.status_code == 201, r.text
    assert r.json()["id"].startswith("operator:")
    after = c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": prompt}).json()
    assert after["decision"] in ("review", "block")
    assert any(x["rule"] == "seed.vandalism" for x in after["reasons"])
    listed = c.get("/api/v1/screen/seeds", headers=_admin(screen_app)).json()
    assert [s["scenario"] for s in listed] == ["vandalism"]


def test_an_official_added_over_the_api_is_protected_at_once(
    screen_app: FastAPI, c: TestClient
) -> None:
    tool = _tool(screen_app)
    prompt = "Tomas Lindqvist collapsing on stage into an ambulance"
    assert c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": prompt}).json()[
        "decision"
    ] != "block"
    r = c.post("/api/v1/screen/officials", headers=_admin(screen_app),
               json={"name": "Tomas Lindqvist", "aliases": ["Lindqvist"], "role": "party leader"})
    assert r.status_code == 201
    d = c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": prompt}).json()
    assert d["decision"] == "block"
    listed = c.get("/api/v1/screen/officials", headers=_admin(screen_app)).json()
    names = [o["name"] for o in listed]
    assert names == ["Elena Marchetti", "Tomas Lindqvist"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"prompt": ""}, 422),
        ({"prompt": "x" * 8001}, 422),
        ({"prompt": "   "}, 400),
        ({"prompt": "a cat", "user_ref": "alice@example.org"}, 400),
        ({"prompt": 5}, 422),
    ],
)
def test_bad_input_gets_a_clear_error(
    screen_app: FastAPI, c: TestClient, body: dict[str, object], status: int
) -> None:
    r = c.post("/api/v1/screen/prompt", headers=_tool(screen_app), json=body)
    assert r.status_code == status, r.text
    assert "error" in r.json() or "detail" in r.json()


def test_tokens_without_the_scope_and_other_roles_are_refused(
    screen_app: FastAPI, c: TestClient
) -> None:
    inst = screen_app.state.ctx.inst
    assert c.post("/api/v1/screen/prompt", json={"prompt": "a cat"}).status_code == 401
    no_scope = bearer(inst, "toolmaker", ["account"])
    assert c.post("/api/v1/screen/prompt", headers=no_scope,
                  json={"prompt": "a cat"}).status_code == 403
    publisher = bearer(inst, "publisher", ["publish"])
    assert c.post("/api/v1/screen/prompt", headers=publisher,
                  json={"prompt": "a cat"}).status_code == 403
    # a tool maker cannot read or change the lists
    tool = _tool(screen_app)
    assert c.get("/api/v1/screen/events", headers=tool).status_code == 403
    assert c.post("/api/v1/screen/seeds", headers=tool,
                  json={"scenario": "x1", "text": "y"}).status_code == 403


def test_screening_is_rate_limited_even_with_a_token(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", rate_screen_burst=2, rate_screen_per_min=1)
    with TestClient(app) as c:
        tool = _tool(app)
        codes = [
            c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": "a cat"}).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]
