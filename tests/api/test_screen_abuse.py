"""Issue 19, abuse handling end to end: a tool screens its prompt, "generates" an image of
an enrolled person and screens the output. Held without consent; allowed and signed as
AI-generated with a valid consent record, which verify names (record and log index);
held again after revocation, and verify says the record is revoked. The third block or
hold bans the user: the tool's webhook receiver (on loopback, allowed by the operator's
allow-networks setting) gets a signed ``screen.user_banned``. The user appeals through
the tool; the appeal is a case, a human reviewer reverses it, and the ban is lifted (the
tool hears of it). Steps that the log records carry valid inclusion proofs; the
transparency report counts per tool, without user references or prompts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.cases import webhooks
from mediaproof.services import likeness
from tests.api.conftest import bearer, make_app
from tests.api.test_screen_output import NAME, _grant, _screen, _verified_leaves
from tests.integration.test_cases_flow import Receiver
from tests.likeness_support import faces_dir

SECRET = "tool-webhook-secret-0123456789"
USER = "u-e2e.7"
BLOCKED = "Barack Obama arrested by police at a polling station, photorealistic"
# AI-ish words a "consent record none" line must not use for a real photo
AI_WORDS = ("ai", "ai-generated", "generated", "synthetic", "deepfake", "fake", "manipulated")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("abuse") / "instance"
    app = make_app(
        home,
        rate_screen_burst=1000,
        webhook_allow_networks=["127.0.0.0/8"],  # the tool's receiver listens on loopback
        webhook_interval_s=3600,  # the test sends due webhooks itself
        public_likeness=True,  # verify runs the likeness matcher for anyone
    )
    inst = app.state.ctx.inst
    train = sorted((faces_dir(corpora) / "knn_examples" / "train" / "obama").iterdir())
    enrolment, _ = likeness.enrol(inst, NAME, faces=train, consent_note="test enrolment")
    src = faces_dir(corpora) / "knn_examples" / "test" / "obama1.jpg"
    gen = tmp_path_factory.mktemp("gen") / "generated.png"
    with Image.open(src) as im:
        im.convert("RGB").resize((1024, 576)).save(gen)
    return {"app": app, "eid": enrolment.id, "generated": gen, "photo": src, "inst": inst}


@pytest.fixture(scope="module")
def c(world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(world["app"]) as client:
        yield client


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def _tool(world: dict[str, Any]) -> dict[str, str]:
    return bearer(world["inst"], "toolmaker", ["screen:prompt"])


def _admin(world: dict[str, Any]) -> dict[str, str]:
    return bearer(world["inst"], "admin", ["likeness:manage", "screen:manage"])


def _deliver(world: dict[str, Any], receiver: Receiver) -> list[dict[str, Any]]:
    """Send what is due; the bodies the receiver got, each checked for its signature."""
    st = world["app"].state.cases.deliver_due(dt.datetime.now(dt.UTC))
    assert st.errors == [], st.errors
    now = dt.datetime.now(dt.UTC)
    for headers, body in receiver.requests:
        assert webhooks.verify(SECRET, headers, body, now)
        assert not webhooks.verify("another-secret-0123456789", headers, body, now)
    return receiver.bodies()


def _verify(c: TestClient, content: bytes) -> dict[str, Any]:
    r = c.post("/api/v1/verify", files={"file": ("x", content, "application/octet-stream")})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_prompt_output_consent_ban_webhook_appeal_restores(
    world: dict[str, Any], c: TestClient, receiver: Receiver
) -> None:
    tool, admin, gen = _tool(world), _admin(world), world["generated"]
    inst = world["inst"]
    r = c.put("/api/v1/screen/webhook", headers=tool, json={"url": receiver.url, "secret": SECRET})
    assert r.status_code == 200, r.text
    assert c.get("/api/v1/screen/webhook", headers=tool).json() == {
        "url": receiver.url, "active": True}

    # 1. the prompt names nobody: allowed
    p = c.post("/api/v1/screen/prompt", headers=tool,
               json={"prompt": "a smiling man in a dark suit waving to a crowd", "user_ref": USER})
    assert p.json()["decision"] == "allow" and p.json()["log"] is None  # no leaf, no row

    # 2. the output shows an enrolled person without a consent record: held (1st)
    held = _screen(c, tool, gen, user_ref=USER, use="advertising", sign="true")
    assert held["decision"] == "hold" and held["reasons"][0]["consent"] == "none"
    assert held["user_banned"] is False
    # the hold is a log leaf at once (output screening lands what it staged)
    assert held["log"]["type"] == "screen.decided" and isinstance(held["log"]["index"], int)

    # 3. with a valid record: allowed, signed, and verify names the record and its leaf
    granted = _grant(c, world)
    assert granted["status"] == 201, granted
    cid, grant_index = granted["consent"]["id"], granted["log"]["index"]
    ok = _screen(c, tool, gen, user_ref=USER, use="advertising", sign="true")
    assert ok["decision"] == "allow", ok
    assert ok["log"] is None and ok["event_id"] is None  # allowed: its leaf is the asset's
    signed = c.get(ok["output"]["download_url"], headers=tool).content
    rep = _verify(c, signed)
    assert rep["assessment"]["label"] == "ai_generated_declared"
    assert rep["provenance"]["consent_assertion"]["consent_records"] == [
        {"id": cid, "log_index": grant_index}]
    ev = rep["evidence"]["consent"]
    assert ev["status"] == "found"
    [person] = ev["data"]["people"]
    assert person == {"person": NAME, "enrolment_id": world["eid"], "consent": "valid",
                      "consent_id": cid, "log_index": grant_index}
    assert ev["summary"] == (
        f"Looks like {NAME}: consent record valid ({cid}, log entry {grant_index}).")

    # a file that names the same record but was not signed here for that tool (here: the
    # operator's own signing, publisher "local") does not confirm it
    from mediaproof.services.publishing import SignRequest, sign_and_register

    spoof = gen.parent / "spoof.png"
    sign_and_register(inst, SignRequest(
        src=world["photo"], dest=spoof, title="not the tool's", source_type="digitalCapture",
        assertions={"org.mediaproof.consent": {"consent_records": [{"id": cid, "log_index": 0}]}},
        watermark=False))
    ev = _verify(c, spoof.read_bytes())["evidence"]["consent"]
    assert ev["data"]["people"][0]["consent"] == "unconfirmed", ev
    assert ev["data"]["named_records"][0]["status"] == "unconfirmed"
    assert "not confirmed" in ev["summary"] and "consent record valid" not in ev["summary"]

    # 4. revoked: held again (2nd), and the same signed file now reads "revoked"
    rv = c.post(f"/api/v1/screen/consents/{cid}/revoke", headers=admin)
    assert rv.status_code == 200
    again = _screen(c, tool, gen, user_ref=USER, use="advertising", sign="true")
    assert again["decision"] == "hold" and again["reasons"][0]["consent"] == "revoked"
    assert again["user_banned"] is False
    assert again["log"]["index"] > rv.json()["log"]["index"] > held["log"]["index"]
    ev = _verify(c, signed)["evidence"]["consent"]
    assert ev["data"]["people"][0]["consent"] == "revoked"
    assert f"consent record revoked ({cid}" in ev["summary"]
    assert _deliver(world, receiver) == []  # no ban yet: nothing sent

    # 5. the third block bans the user; the tool's receiver hears of it, signed
    b = c.post("/api/v1/screen/prompt", headers=tool, json={"prompt": BLOCKED, "user_ref": USER})
    blocked = b.json()
    assert blocked["decision"] == "block" and blocked["user_banned"] is True, blocked
    # prompt screening stages its leaf and answers without waiting for the log
    assert blocked["log"] == {"type": "screen.decided", "index": None}
    [sent] = _deliver(world, receiver)
    assert sent["type"] == "screen.user_banned" and sent["tool"] == "toolmaker"
    assert sent["user_ref"] == USER and sent["events"] == 3
    assert "obama" not in json.dumps(sent).lower() and "polling" not in json.dumps(sent)
    [ban] = c.get("/api/v1/screen/bans?active=true", headers=admin).json()["bans"]
    assert ban["user_ref"] == USER and ban["notified"] is True
    # banned: even a harmless prompt is blocked now
    p = c.post("/api/v1/screen/prompt", headers=tool,
               json={"prompt": "a lighthouse at dawn", "user_ref": USER}).json()
    assert p["decision"] == "block" and p["reasons"][0]["rule"] == "banned"

    # 6. the user appeals the block through the tool
    body = {"event_id": blocked["event_id"], "user_ref": USER,
            "grounds": "I asked for a history lesson illustration, not a fake."}
    # another user's reference, or an unknown event, finds nothing
    assert c.post("/api/v1/screen/appeals", headers=tool,
                  json={**body, "user_ref": "someone-else"}).status_code == 404
    assert c.post("/api/v1/screen/appeals", headers=tool,
                  json={**body, "event_id": 999999}).status_code == 404
    filed = c.post("/api/v1/screen/appeals", headers=tool, json=body)
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["status"] == "filed" and appeal["user_ref"] == USER
    assert c.post("/api/v1/screen/appeals", headers=tool, json=body).status_code == 409

    # it waits in the reviewers' appeal queue as a case with a statement of reasons
    reviewer = bearer(inst, "reviewer", ["cases:review"])
    case = c.get(f"/api/v1/cases/{appeal['case_number']}", headers=reviewer)
    assert case.status_code == 200, case.text
    detail = case.json()
    assert detail["case"]["state"] == "appealed"
    assert BLOCKED not in json.dumps(detail)  # the prompt is nowhere in the case
    # and in the reviewers' pages, like any appeal
    from tests.api.conftest import login

    web = TestClient(world["app"])  # a second browser; the lifespan runs in ``c``
    login(web, "reviewer")
    queue = web.get("/review")
    assert queue.status_code == 200 and appeal["case_number"] in queue.text
    page = web.get(f"/review/cases/{appeal['case_number']}")
    assert page.status_code == 200, page.text
    assert "Statement of reasons" in page.text and BLOCKED not in page.text
    decide = {"outcome": "reversed", "explanation": "An illustration request; the block was wrong."}
    # the tool cannot decide its own user's appeal
    assert c.post(f"/api/v1/appeals/{appeal['appeal_id']}/decision", headers=tool,
                  json=decide).status_code == 403
    d = c.post(f"/api/v1/appeals/{appeal['appeal_id']}/decision", headers=reviewer, json=decide)
    assert d.status_code == 200, d.text

    # 7. the appeal restores: the ban is lifted, the user may generate, the tool is told
    assert c.get("/api/v1/screen/bans?active=true", headers=admin).json()["bans"] == []
    p = c.post("/api/v1/screen/prompt", headers=tool,
               json={"prompt": "a lighthouse at dawn", "user_ref": USER}).json()
    assert p["decision"] == "allow" and p["user_banned"] is False
    bodies = _deliver(world, receiver)
    kinds = [x["type"] for x in bodies]
    assert kinds == ["screen.user_banned", "screen.ban_lifted", "screen.appeal_decided"]
    decided = bodies[2]
    assert decided["appeal_id"] == appeal["appeal_id"] and decided["outcome"] == "reversed"
    assert decided["ban_lifted"] is True and decided["event_id"] == blocked["event_id"]
    # the reversed block no longer counts: one more block does not ban again at once
    b2 = c.post("/api/v1/screen/prompt", headers=tool,
                json={"prompt": BLOCKED, "user_ref": USER}).json()
    assert b2["decision"] == "block" and b2["user_banned"] is False

    # 8. the log: consent steps, the signed output, and the appeal's case steps, each
    # with a valid inclusion proof; no user reference, prompt or person in those leaves
    leaves = _verified_leaves(inst.home)
    types = [d["type"] for _, d, _ in leaves]
    assert "consent.granted" in types and "consent.revoked" in types
    asset = f"asset-{ok['output']['asset_id']}"
    assert any(d["type"] == "asset.registered" and d["asset_id"] == asset for _, d, _ in leaves)
    mine = [raw.decode() for _, _, raw in leaves if appeal["appeal_id"] in raw.decode()]
    assert len(mine) == 2  # filed, decided
    for _, _, raw in leaves:
        text = raw.decode()
        # rule ids name scenarios ("scenario.polling"); the prompt's words never appear
        assert USER not in text and "polling station" not in text and "lighthouse" not in text
        assert "obama" not in text.lower() and "arrested" not in text

    # every screening step of this user is a screen.decided leaf with a valid proof
    # (checked above), keyed hashes only; the events listing says where each landed
    from mediaproof.services import screening as svc

    uh = svc.user_hmac(inst, "toolmaker", USER)
    by_index = {i: d for i, d, _ in leaves}
    screen = [(i, d) for i, d, _ in leaves if d["type"] == "screen.decided"]
    assert all(d["user_hmac"] == uh for _, d in screen)
    assert [d["decision"] for _, d in screen] == [
        "hold", "hold", "block", "ban", "block", "ban_lifted", "block"]
    assert by_index[held["log"]["index"]]["event_id"] == f"screen-event-{held['event_id']}"
    assert by_index[again["log"]["index"]]["event_id"] == f"screen-event-{again['event_id']}"
    for i in (held["log"]["index"], again["log"]["index"]):
        leaf = by_index[i]
        assert leaf["input"] == "output" and leaf["rules"] == ["output.likeness"]
        assert leaf["policy"] == f"policy:{held['policy_version']}"
    listed = c.get("/api/v1/screen/events?tool=toolmaker", headers=admin).json()["events"]
    assert len(listed) == 5  # two holds, three blocks
    for e in listed:
        i = e["log"]["index"]
        assert isinstance(i, int), e
        leaf = by_index[i]
        assert leaf["event_id"] == f"screen-event-{e['id']}"
        assert leaf["decision"] == e["decision"] and leaf["input_hmac"] == e["prompt_hmac"]
    [blk] = [e for e in listed if e["id"] == blocked["event_id"]]
    assert by_index[blk["log"]["index"]]["rules"] == sorted(
        {r["rule"] for r in blocked["reasons"]})
    assert by_index[blk["log"]["index"]]["input_hmac"] == svc.prompt_hmac(inst, BLOCKED)
    [ban_leaf] = [d for _, d in screen if d["decision"] == "ban"]
    [lift_leaf] = [d for _, d in screen if d["decision"] == "ban_lifted"]
    assert ban_leaf["ban_id"] == lift_leaf["ban_id"] == f"screen-ban-{ban['id']}"
    assert "input_hmac" not in ban_leaf and "rules" not in ban_leaf

    # 9. the record keeps a keyed hash, not the prompt (the operator did not opt in)
    events = c.get("/api/v1/screen/events", headers=admin).json()["events"]
    assert events and all(e["prompt_text"] is None for e in events)
    assert all("matched" not in r for e in events for r in e["reasons"])
    assert BLOCKED not in json.dumps(events)

    # 10. the transparency report counts per tool, without user references or prompts
    csv = c.get("/api/v1/transparency-report").text
    rows = {tuple(line.split(",")[2:5]): line.split(",")[6] for line in csv.splitlines()[1:]}
    got = {m: int(rows[("screening", m, "toolmaker")]) for m in
           ("blocks", "reviews", "holds", "bans", "appeals", "reversals")}
    assert got == {"blocks": 3, "reviews": 0, "holds": 2, "bans": 1, "appeals": 1,
                   "reversals": 1}, got
    assert USER not in csv and "lighthouse" not in csv and "Obama" not in csv
    # the appeal of a block is not a complaint about hosted content (DSA sections)
    assert int(rows[("complaints", "received", "all")]) == 0
    assert int(rows[("decisions", "taken", "all")]) == 0


def test_a_real_photo_of_an_enrolled_person_reads_as_no_consent_record_only(
    world: dict[str, Any], c: TestClient
) -> None:
    """An unsigned photo of the person: "consent record none", in words about consent
    records only, and no AI label anywhere."""
    rep = _verify(c, world["photo"].read_bytes())
    ev = rep["evidence"]["consent"]
    assert ev["data"]["people"][0]["consent"] == "none"
    assert ev["summary"].startswith(f"Looks like {NAME}: consent record none")
    words = set(ev["summary"].lower().replace("(", " ").replace(")", " ").replace(",", " ")
                .replace(";", " ").replace(".", " ").split())
    assert not words & set(AI_WORDS), ev["summary"]
    assert rep["assessment"]["label"] != "ai_generated_declared"
    assert "consent" not in rep["assessment"]["headline"].lower()


def test_a_file_without_a_person_or_record_has_no_consent_line(
    world: dict[str, Any], c: TestClient, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (64, 64), (120, 30, 200)).save(plain)
    ev = _verify(c, plain.read_bytes())["evidence"]["consent"]
    assert ev["status"] == "not_applicable" and ev["data"]["people"] == []


def test_a_tool_webhook_on_loopback_needs_the_operators_allow_networks(tmp_path: Path) -> None:
    app = make_app(tmp_path / "strict", rate_screen_burst=1000)
    with TestClient(app) as c:
        tool = bearer(app.state.ctx.inst, "toolmaker", ["screen:prompt"])
        r = c.put("/api/v1/screen/webhook", headers=tool,
                  json={"url": "http://127.0.0.1:9/hook", "secret": SECRET})
        assert r.status_code == 400 and "ALLOW_NETWORKS" in r.json()["error"]["message"]
        r = c.put("/api/v1/screen/webhook", headers=tool,
                  json={"url": "https://tool.example/hook", "secret": "short"})
        assert r.status_code in (400, 422)
        assert c.get("/api/v1/screen/webhook", headers=tool).status_code == 404
        # a reviewer, not a tool, may not register a tool's webhook
        rev = bearer(app.state.ctx.inst, "reviewer", ["cases:review"])
        assert c.put("/api/v1/screen/webhook", headers=rev,
                     json={"url": "https://tool.example/hook", "secret": SECRET}).status_code == 403


def test_the_ban_rule_takes_the_operators_threshold_and_window(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Two blocks within the window ban where the operator says two; a tool without a
    webhook is banned all the same (nothing is queued for it)."""
    from mediaproof.accounts.models import Role
    from mediaproof.api import create_app
    from mediaproof.config import ScreeningSettings
    from mediaproof.services import accounts
    from mediaproof.services import screening as svc
    from tests.api.conftest import PASSWORD, make_settings

    settings = make_settings(tmp_path / "i", rate_screen_burst=1000)
    settings.screening = ScreeningSettings(ban_after=2, ban_window_s=600, embeddings=False)
    app = create_app(settings)
    inst = app.state.ctx.inst
    for name, role in (("toolmaker", Role.TOOLMAKER), ("admin", Role.ADMIN)):
        accounts.create_user(inst, name, role, PASSWORD)
    svc.add_official(inst, "Elena Marchetti")
    prompt = {"prompt": "Elena Marchetti arrested and led away in handcuffs", "user_ref": "u1"}
    with TestClient(app) as c:
        tool = bearer(inst, "toolmaker", ["screen:prompt"])
        first = c.post("/api/v1/screen/prompt", headers=tool, json=prompt).json()
        assert first["decision"] == "block" and first["user_banned"] is False
        second = c.post("/api/v1/screen/prompt", headers=tool, json=prompt).json()
        assert second["user_banned"] is True
        [ban] = c.get("/api/v1/screen/bans", headers=_admin({"inst": inst})).json()["bans"]
        assert ban["events"] == 2 and ban["window_s"] == 600 and ban["notified"] is False
        # another user of the same tool is not affected
        other = c.post("/api/v1/screen/prompt", headers=tool,
                       json={"prompt": "a lighthouse at dawn", "user_ref": "u2"}).json()
        assert other["decision"] == "allow"
    assert app.state.cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 0
