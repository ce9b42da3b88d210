"""Issue 19, end to end: a tool screens its prompt, "generates" an image of an enrolled
person, and screens the output. Held without consent; allowed and signed as AI-generated
with a valid consent record (which verify then reads as declared AI); held again after
the record is revoked. Each consent step is a log leaf with a valid inclusion proof and
no personal data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.services import likeness
from mediaproof.transparency import merkle
from mediaproof.transparency.log import TransparencyLog
from tests.api.conftest import bearer, make_app
from tests.likeness_support import faces_dir

NAME = "Barack Obama"
EVIDENCE = hashlib.sha256(b"the signed consent form, as a PDF").hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> dict[str, Any]:
    """One instance with one enrolled person (enrolling runs dlib: once per module)."""
    home = tmp_path_factory.mktemp("out") / "instance"
    app = make_app(home, rate_screen_burst=1000)
    inst = app.state.ctx.inst
    train = sorted((faces_dir(corpora) / "knn_examples" / "train" / "obama").iterdir())
    enrolment, _ = likeness.enrol(inst, NAME, faces=train, consent_note="test enrolment")
    # the tool's "generated" picture: another photo of him, re-rendered as generators do
    gen = tmp_path_factory.mktemp("gen") / "generated.png"
    src = faces_dir(corpora) / "knn_examples" / "test" / "obama1.jpg"
    with Image.open(src) as im:
        im.convert("RGB").resize((1024, 576)).save(gen)
    return {"app": app, "eid": enrolment.id, "generated": gen, "inst": inst}


@pytest.fixture(scope="module")
def c(world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(world["app"]) as client:
        yield client


def _tool(world: dict[str, Any]) -> dict[str, str]:
    return bearer(world["inst"], "toolmaker", ["screen:prompt"])


def _admin(world: dict[str, Any]) -> dict[str, str]:
    return bearer(world["inst"], "admin", ["likeness:manage", "screen:manage"])


def _screen(
    c: TestClient, h: dict[str, str], path: Path, **fields: str
) -> dict[str, Any]:
    r = c.post(
        "/api/v1/screen/output",
        headers=h,
        data=fields,
        files={"file": ("whatever.bin", path.read_bytes(), "application/octet-stream")},
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _grant(c: TestClient, world: dict[str, Any], **over: Any) -> dict[str, Any]:
    body = {
        "enrolment_id": world["eid"],
        "grantee": "toolmaker",
        "modalities": ["face"],
        "permitted_uses": ["advertising"],
        "prohibited_uses": ["political"],
        "territory": ["worldwide"],
        "valid_until": "2099-12-31",
        "evidence_sha256": EVIDENCE,
        "signed_how": "electronic",
        **over,
    }
    r = c.post("/api/v1/screen/consents", headers=_admin(world), json=body)
    return {"status": r.status_code, **r.json()}


def _verified_leaves(home: Path) -> list[tuple[int, dict[str, Any], bytes]]:
    """Every leaf of the instance's log whose inclusion proof checks against the latest
    signed checkpoint."""
    out = []
    with TransparencyLog.open(home, readonly=True) as log:
        cp = log.latest_checkpoint()
        assert cp is not None
        for i in range(log.size):
            raw = log.entry(i)
            proof = log.prove_inclusion(i, cp.checkpoint.size)
            merkle.verify_inclusion(
                merkle.leaf_hash(raw), i, proof.size, proof.hashes, cp.checkpoint.root
            )
            out.append((i, json.loads(raw), raw))
    return out


def test_held_without_consent_allowed_and_signed_with_it_held_after_revocation(
    world: dict[str, Any], c: TestClient
) -> None:
    tool, admin = _tool(world), _admin(world)
    gen: Path = world["generated"]

    # 1. the prompt names nobody, so prompt screening lets it through ...
    p = c.post("/api/v1/screen/prompt", headers=tool,
               json={"prompt": "a smiling man in a dark suit waving to a crowd", "user_ref": "u-9"})
    assert p.status_code == 200 and p.json()["decision"] == "allow"

    # 2. ... but the output shows an enrolled person, and there is no consent record
    held = _screen(c, tool, gen, user_ref="u-9", use="advertising", sign="true")
    assert held["decision"] == "hold"
    assert held["output"] is None  # nothing signed
    [reason] = held["reasons"]
    assert reason["person"] == NAME and reason["modality"] == "face"
    assert reason["score"] >= reason["threshold"]
    assert reason["consent"] == "none" and reason["consent_id"] is None
    assert held["checked"]["faces_found"] >= 1
    events = c.get("/api/v1/screen/events", headers=admin).json()
    ev = next(e for e in events["events"] if e["id"] == held["event_id"])
    assert ev["decision"] == "hold" and ev["tool"] == "toolmaker" and ev["user_ref"] == "u-9"
    assert ev["prompt_text"] is None and len(ev["prompt_hmac"]) == 64
    assert ev["reasons"][0]["person_id"] == f"enrolled:{world['eid']}"
    counts = {(x["tool"], x["user_ref"]): x for x in events["counts"]}
    assert counts[("toolmaker", "u-9")]["hold"] == 1

    # 3. the person grants this tool consent for advertising
    granted = _grant(c, world)
    assert granted["status"] == 201, granted
    consent = granted["consent"]
    assert consent["status"] == "valid" and consent["grantee"] == "toolmaker"
    assert consent["valid_until"].startswith("2099-12-31T23:59:59")
    assert isinstance(granted["log"]["index"], int)

    # a use it does not permit is still held, and says why
    other = _screen(c, tool, gen, use="political")
    assert other["decision"] == "hold"
    assert other["reasons"][0]["consent"] == "not_covered"
    assert other["reasons"][0]["consent_detail"] == "use_prohibited"
    # another tool maker holds no record: held
    from mediaproof.accounts.models import Role
    from mediaproof.services import accounts
    from tests.api.conftest import PASSWORD

    accounts.create_user(world["inst"], "othertool", Role.TOOLMAKER, PASSWORD)
    theirs = _screen(c, bearer(world["inst"], "othertool", ["screen:prompt"]), gen,
                     use="advertising")
    assert theirs["decision"] == "hold" and theirs["reasons"][0]["consent"] == "none"

    # 4. allowed, signed as AI-generated by this tool, watermarked, registered
    ok = _screen(c, tool, gen, user_ref="u-9", use="advertising", sign="true")
    assert ok["decision"] == "allow", ok
    assert ok["reasons"][0]["consent"] == "valid"
    assert ok["reasons"][0]["consent_id"] == consent["id"]
    out = ok["output"]
    assert out["watermarked"] is True and out["consent_records"] == [consent["id"]]
    f = c.get(out["download_url"], headers=tool)
    assert f.status_code == 200 and hashlib.sha256(f.content).hexdigest() == out["sha256"]
    # not another tool's to download
    assert c.get(out["download_url"],
                 headers=bearer(world["inst"], "othertool", ["screen:prompt"])).status_code == 404

    rep = c.post("/api/v1/verify",
                 files={"file": ("x", f.content, "application/octet-stream")}).json()
    assert rep["provenance"]["state"] == "trusted"
    assert rep["provenance"]["digital_source_type"] == "trainedAlgorithmicMedia"
    assert rep["assessment"]["label"] == "ai_generated_declared"
    assert "org.mediaproof.consent" in rep["provenance"]["assertions"]
    assert rep["registry"]["asset_id"] == out["asset_id"]
    created = [a for a in rep["provenance"]["actions"] if a["action"] == "c2pa.created"]
    assert [a["software_agent"] for a in created] == ["toolmaker"]  # the tool made it
    assert created[0]["digital_source_type"] == "trainedAlgorithmicMedia"
    # the instance signed it, and verify says so: the declaration is the signer's
    assert rep["assessment"]["headline"] == (
        "AI-generated, declared by Test Election Office content signing")

    # 5. revoked: held again
    r = c.post(f"/api/v1/screen/consents/{consent['id']}/revoke", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["consent"]["status"] == "revoked"
    assert c.post(f"/api/v1/screen/consents/{consent['id']}/revoke",
                  headers=admin).status_code == 409
    again = _screen(c, tool, gen, use="advertising", sign="true")
    assert again["decision"] == "hold" and again["output"] is None
    assert again["reasons"][0]["consent"] == "revoked"
    assert again["reasons"][0]["consent_id"] == consent["id"]

    # 6. both consent steps are leaves with valid proofs, and no personal data
    leaves = _verified_leaves(world["inst"].home)
    mine = [(i, d, raw) for i, d, raw in leaves if d["type"].startswith("consent.")]
    assert [d["type"] for _, d, _ in mine] == ["consent.granted", "consent.revoked"]
    assert mine[0][0] == granted["log"]["index"] and mine[1][0] == r.json()["log"]["index"]
    g = mine[0][1]
    assert g["consent_id"] == consent["id"] == mine[1][1]["consent_id"]
    assert g["record_sha256"] == consent["record_sha256"] == mine[1][1]["record_sha256"]
    assert g["subject_id"] == f"likeness:{world['eid']}"
    assert g["evidence_sha256"] == EVIDENCE and g["valid_until"] == "2099-12-31T23:59:59Z"
    assert g["grantee"].startswith("account:")
    for _, _, raw in mine:
        text = raw.decode().lower()
        for personal in ("obama", "barack", "toolmaker", "admin", "advertising", "worldwide"):
            assert personal not in text
    # the signed output's registration is a leaf too
    assert any(d["type"] == "asset.registered" and d["asset_id"] == f"asset-{out['asset_id']}"
               for _, d, _ in leaves)


def test_an_image_without_enrolled_people_is_allowed_and_can_be_signed(
    world: dict[str, Any], c: TestClient, corpora: Path, tmp_path: Path
) -> None:
    other = tmp_path / "someone.png"
    with Image.open(faces_dir(corpora) / "knn_examples" / "train" / "biden" / "biden2.jpg") as im:
        im.convert("RGB").save(other)
    res = _screen(c, _tool(world), other, sign="true")
    assert res["decision"] == "allow" and res["reasons"] == []
    assert res["checked"]["faces_found"] >= 1 and res["checked"]["enrolled_people"] == 1
    assert res["output"]["consent_records"] == []
    assert res["event_id"] is None


def test_consent_grants_refuse_bad_records(world: dict[str, Any], c: TestClient) -> None:
    bad = [
        ({"valid_until": "2001-01-01"}, "past"),
        ({"grantee": "publisher"}, "not a tool maker"),
        ({"grantee": "nobody-here"}, "no account"),
        ({"modalities": ["voice"]}, "no voice samples"),
        ({"territory": ["Germany"]}, "ISO 3166"),
        ({"territory": ["worldwide", "DE"]}, "worldwide"),
        ({"permitted_uses": ["advertising"], "prohibited_uses": ["advertising"]}, "both"),
        ({"evidence_sha256": "z" * 64}, "SHA-256"),
        ({"signed_how": "telepathy"}, "signed_how"),
        ({"enrolment_id": "no-such-person"}, ""),
        ({"valid_until": "2099-13-45"}, "not a date"),
    ]
    for over, words in bad:
        r = c.post("/api/v1/screen/consents", headers=_admin(world),
                   json={"enrolment_id": world["eid"], "grantee": "toolmaker",
                         "modalities": ["face"], "permitted_uses": ["film"],
                         "territory": ["DE"], "valid_until": "2099-01-01",
                         "evidence_sha256": EVIDENCE, "signed_how": "handwritten", **over})
        assert r.status_code in (400, 404), (over, r.text)
        assert words in r.json()["error"]["message"], (over, r.text)
    # a tool may not grant itself consent
    r = c.post("/api/v1/screen/consents", headers=_tool(world), json={})
    assert r.status_code == 403


def test_output_form_fields_are_checked(world: dict[str, Any], c: TestClient) -> None:
    gen: Path = world["generated"]
    for fields, words in [
        ({"user_ref": "someone@example.org"}, "user_ref"),
        ({"use": "Advertising!!"}, "use"),
        ({"territory": "Germany"}, "territory"),
        ({"sign": "perhaps"}, "sign"),
    ]:
        r = c.post("/api/v1/screen/output", headers=_tool(world), data=fields,
                   files={"file": ("x", gen.read_bytes(), "application/octet-stream")})
        assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
    r = c.post("/api/v1/screen/output", headers=_tool(world),
               files={"file": ("x", b"not media at all", "application/octet-stream")})
    assert r.status_code == 415


def test_expired_and_not_yet_valid_records_do_not_count(world: dict[str, Any]) -> None:
    import datetime as dt

    from mediaproof.services import consent as consents

    inst = world["inst"]
    logged = consents.grant(
        inst,
        enrolment_id=world["eid"],
        grantee="toolmaker",
        modalities=["face"],
        permitted_uses=["any"],
        prohibited_uses=["political"],
        territory=["DE", "AT"],
        valid_from=dt.datetime(2090, 1, 1, tzinfo=dt.UTC),
        valid_until=dt.datetime(2091, 1, 1, tzinfo=dt.UTC),
        evidence_sha256=EVIDENCE,
        signed_how="qualified_electronic",
        granted_by="agent",
        recorded_by="test",
    )
    assert logged.log_index is not None
    tool_id = logged.consent.grantee_id

    def at(year: int, use: str = "film", territory: str | None = "DE") -> consents.ConsentCheck:
        return consents.check(
            inst, tool_id, world["eid"], "face", use, territory,
            at=dt.datetime(year, 6, 1, tzinfo=dt.UTC),
        )

    assert at(2090).status == "valid" and at(2090).consent == logged.consent
    assert at(2089).status == "not_yet_valid"
    assert at(2092).status == "expired"
    assert (at(2090, territory="FR").status, at(2090, territory="FR").why) == (
        "not_covered", "territory_not_covered")
    assert at(2090, territory=None).why == "territory_not_stated"
    assert at(2090, use="political").why == "use_prohibited"
    voice = consents.check(inst, tool_id, world["eid"], "voice", "film", "DE",
                           at=dt.datetime(2090, 6, 1, tzinfo=dt.UTC))
    assert voice.status == "not_covered" and voice.why == "modality_not_covered"
    consents.revoke(inst, logged.consent.id, revoked_by="test")
    assert at(2090).status == "revoked"


def test_held_outputs_count_towards_the_ban_rule(world: dict[str, Any], c: TestClient) -> None:
    tool, gen = _tool(world), world["generated"]
    results = [_screen(c, tool, gen, user_ref="u-ban", use="film") for _ in range(3)]
    assert [r["decision"] for r in results] == ["hold"] * 3
    assert [r["user_banned"] for r in results] == [False, False, True]
    p = c.post("/api/v1/screen/prompt", headers=tool,
               json={"prompt": "a lighthouse at dawn", "user_ref": "u-ban"}).json()
    assert p["decision"] == "block" and p["reasons"][0]["rule"] == "banned"


def test_a_generated_video_is_screened_as_a_job(
    world: dict[str, Any], c: TestClient, corpora: Path, tmp_path: Path
) -> None:
    import time

    import numpy as np

    from tests.likeness_support import make_video

    with Image.open(faces_dir(corpora) / "knn_examples" / "test" / "obama1.jpg") as im:
        frame = np.asarray(im.convert("RGB").resize((640, 360)))
    video = make_video(tmp_path / "gen.mp4", [frame] * 10, fps=5, audio=None)
    r = c.post("/api/v1/screen/output", headers=_tool(world), data={"use": "film"},
               files={"file": ("x", video.read_bytes(), "application/octet-stream")})
    assert r.status_code == 202, r.text
    url = r.headers["location"]
    for _ in range(300):
        job = c.get(url).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "done", job
    res = job["result"]
    assert res["decision"] == "hold"  # no valid record covers "film" for this tool
    assert res["reasons"][0]["person"] == NAME and res["checked"]["frames_checked"] >= 1


def test_a_cloned_voice_needs_voice_consent(tmp_path: Path, corpora: Path) -> None:
    from tests.likeness_support import clip

    app = make_app(tmp_path / "voice", rate_screen_burst=1000)
    inst = app.state.ctx.inst
    e, _ = likeness.enrol(inst, "Speaker 3005", voices=[clip(corpora, "3005", n) for n in range(4)])
    w = {"inst": inst, "eid": e.id}
    generated = clip(corpora, "3005", 5)  # another recording of the same voice
    with TestClient(app) as c:
        held = _screen(c, _tool(w), generated, use="audiobook")
        assert held["decision"] == "hold", held
        assert [(r["person"], r["modality"], r["consent"]) for r in held["reasons"]] == [
            ("Speaker 3005", "voice", "none")]
        g = _grant(c, w, modalities=["voice"], permitted_uses=["audiobook"],
                   prohibited_uses=[])
        assert g["status"] == 201, g
        ok = _screen(c, _tool(w), generated, use="audiobook")
        assert ok["decision"] == "allow" and ok["reasons"][0]["consent"] == "valid"
        assert ok["checked"]["compared"] == ["voice"] and ok["output"] is None  # not asked
