"""The likeness HTTP API on a real instance: enrol with per-sample refusals, list, show,
check, alerts and reports, delete; what the transparency log and the logs hold."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.likeness.monitor import Monitor
from mediaproof.media.samples import sample_photo
from mediaproof.services.likeness import likeness_service
from mediaproof.transparency import merkle
from mediaproof.transparency.log import TransparencyLog
from tests.api.conftest import bearer, login
from tests.likeness_support import clip, faces_dir, write_wav

NAME = "Barack Obama"
CONSENT = "signed consent form 2026-11-01, witnessed"
TRAIN = "knn_examples/train/obama"


def _files(pairs: list[tuple[str, Path]]) -> list[tuple[str, tuple[str, bytes, str]]]:
    # the client's file names must never matter: send misleading ones
    return [(f, ("evil/../name.txt", p.read_bytes(), "application/octet-stream")) for f, p in pairs]


def _enrol(c: TestClient, h: dict[str, str], pairs: list[tuple[str, Path]], **data: str) -> Any:
    return c.post(
        "/api/v1/likeness/enrolments",
        headers=h,
        data={"name": NAME, "consent": CONSENT, **data},
        files=_files(pairs),
    )


@pytest.fixture
def admin(app: FastAPI) -> dict[str, str]:
    return bearer(app.state.ctx.inst, "admin", ["likeness:manage"])


def test_enrol_check_alert_delete(
    app: FastAPI,
    client: TestClient,
    admin: dict[str, str],
    corpora: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    inst = app.state.ctx.inst
    faces = sorted((faces_dir(corpora) / TRAIN).iterdir())
    r = _enrol(
        client,
        admin,
        [("face", faces[0]), ("face", faces[1]), ("voice", clip(corpora, "1688", 0))],
    )
    assert r.status_code == 201, r.text
    e = r.json()["enrolment"]
    eid = e["id"]
    assert r.headers["location"] == f"/api/v1/likeness/enrolments/{eid}"
    assert (e["name"], e["faces"], e["voices"]) == (NAME, 2, 1)
    assert e["consent_note"] == CONSENT and e["consent_recorded_by"] == "admin"
    assert set(e["thresholds"]) == {"face", "voice"}
    assert "vector" not in r.text

    listed = client.get("/api/v1/likeness/enrolments", headers=admin).json()["enrolments"]
    assert [x["id"] for x in listed] == [eid]
    shown = client.get(f"/api/v1/likeness/enrolments/{eid}", headers=admin).json()["enrolment"]
    assert [s["modality"] for s in shown["samples"]] == ["face", "face", "voice"]
    assert shown["samples"][0]["quality"]["face_px"] >= 80
    assert "vector" not in json.dumps(shown)

    query = faces_dir(corpora) / "knn_examples/test/obama1.jpg"
    r = client.post(
        "/api/v1/likeness/check", headers=admin, files={"file": ("x", query.read_bytes())}
    )
    assert r.status_code == 200, r.text
    (m,) = r.json()["matches"]
    assert m["enrolment_id"] == eid and m["statement"] == f"shows someone who looks like {NAME}"
    assert m["score"] >= m["threshold"]
    assert r.json()["summary"].startswith("Shows someone who looks like Barack Obama")
    other = faces_dir(corpora) / "knn_examples/test/alex_lacamoire1.jpg"
    r = client.post(
        "/api/v1/likeness/check", headers=admin, files={"file": ("x", other.read_bytes())}
    )
    assert r.json()["matches"] == []

    # an alert raised by the monitor shows up in the in-app list, with its report
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "clip.jpg").write_bytes(query.read_bytes())
    with likeness_service(inst) as svc:
        Monitor(svc, inst.settings, drop, [], settle_s=0).run_once()
    (alert,) = client.get("/api/v1/likeness/alerts", headers=admin).json()["alerts"]
    assert alert["enrolment_id"] == eid and NAME in alert["statements"][0]
    assert client.get(f"/api/v1/likeness/alerts?enrolment_id={eid}", headers=admin).json()[
        "alerts"
    ] == [alert]
    rep = client.get(f"/api/v1/likeness/reports/{alert['report_id']}", headers=admin)
    assert rep.status_code == 200 and rep.json()["report"]["id"] == alert["report_id"]

    # the same alert and analysis as pages for a signed-in admin
    with TestClient(app) as web:
        login(web, "admin")
        page = web.get("/likeness")
        assert page.status_code == 200 and 'href="/likeness"' in page.text  # in the menu
        assert NAME in page.text and alert["statements"][0] in page.text
        assert f'href="/likeness/reports/{alert["report_id"]}"' in page.text
        rp = web.get(f"/likeness/reports/{alert['report_id']}")
        assert rp.status_code == 200 and "shows someone who looks like Barack Obama" in rp.text
        assert "not a verdict" in page.text and "a reason to look closer" in rp.text

    r = client.delete(f"/api/v1/likeness/enrolments/{eid}", headers=admin)
    assert r.status_code == 200, r.text
    digest = r.json()["digest"]
    assert r.json()["deleted"] == eid and len(digest) == 64
    assert client.get(f"/api/v1/likeness/enrolments/{eid}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/likeness/enrolments/{eid}", headers=admin).status_code == 404
    assert client.get("/api/v1/likeness/alerts", headers=admin).json()["alerts"] == []
    assert (
        client.get(f"/api/v1/likeness/reports/{alert['report_id']}", headers=admin).status_code
        == 404
    )
    with TestClient(app) as web:
        login(web, "admin")
        assert web.get(f"/likeness/reports/{alert['report_id']}").status_code == 404
        assert NAME not in web.get("/likeness").text  # gone from the page with its data

    # the log holds an opaque id and digests only, and verifies
    with TransparencyLog.open(inst.home, readonly=True) as log:
        cp = log.latest_checkpoint()
        assert cp is not None
        mine = []
        for i in range(log.size):
            raw = log.entry(i)
            proof = log.prove_inclusion(i, cp.checkpoint.size)
            merkle.verify_inclusion(
                merkle.leaf_hash(raw), i, proof.size, proof.hashes, cp.checkpoint.root
            )
            d = json.loads(raw)
            if d["type"].startswith("subject."):
                mine.append(d)
                text = raw.decode().lower()
                for personal in ("obama", "barack", "consent", "admin", "witnessed"):
                    assert personal not in text
    assert [(d["type"], d.get("modality")) for d in mine] == [
        ("subject.enrolled", "face"),
        ("subject.enrolled", "voice"),
        ("subject.withdrawn", None),
    ]
    assert {d["subject_id"] for d in mine} == {f"likeness:{eid}"}
    assert {d["enrolment_sha256"] for d in mine} == {digest}
    assert set(mine[0]) == {
        "v",
        "type",
        "time",
        "subject_id",
        "modality",
        "template_sha256",
        "enrolment_sha256",
    }

    # nothing the service logged names the person or their consent
    logged = "\n".join(
        r.getMessage() + json.dumps(getattr(r, "fields", {})) for r in caplog.records
    )
    assert NAME not in logged and CONSENT not in logged


def test_unusable_samples_are_refused_each_with_its_reason(
    client: TestClient, admin: dict[str, str], corpora: Path, tmp_path: Path
) -> None:
    f = faces_dir(corpora)
    speech = write_wav(tmp_path / "short.wav", _first_seconds(clip(corpora, "1688", 0), 1.2))
    r = _enrol(
        client,
        admin,
        [
            ("face", f / "knn_examples/train/obama/obama.jpg"),  # usable
            ("face", f / "two_people.jpg"),
            ("face", f / "obama-240p.jpg"),
            ("face", sample_photo(tmp_path / "landscape.jpg", 640, 480)),
            ("voice", write_wav(tmp_path / "silence.wav", np.zeros(16_000 * 5))),
            ("voice", speech),
            ("voice", tmp_path / "landscape.jpg"),
        ],
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"]["code"] == "enrolment_rejected"
    reasons = {x["sample"]: x["reason"] for x in body["rejections"]}
    assert reasons == {
        "face-2": "several_faces",
        "face-3": "face_too_small",
        "face-4": "no_face",
        "voice-1": "silence",
        "voice-2": "too_little_speech",
        "voice-3": "unreadable",
    }
    assert str(tmp_path) not in r.text and "upload-" not in r.text  # no server paths
    assert all(x["message"].startswith(x["sample"]) for x in body["rejections"])
    # nothing was stored
    assert client.get("/api/v1/likeness/enrolments", headers=admin).json()["enrolments"] == []


def test_bad_requests_get_clear_errors(
    client: TestClient, admin: dict[str, str], corpora: Path
) -> None:
    face = faces_dir(corpora) / "biden.jpg"
    r = _enrol(client, admin, [("face", face)], consent="")
    assert r.status_code == 400 and "consent" in r.json()["error"]["message"]
    r = _enrol(client, admin, [("face", face)], name=" ")
    assert r.status_code == 400 and "name" in r.json()["error"]["message"]
    r = client.post(  # multipart, but without samples
        "/api/v1/likeness/enrolments",
        headers=admin,
        data={"name": NAME, "consent": CONSENT},
        files={"note": ("n.txt", b"not a sample", "text/plain")},
    )
    assert r.status_code == 422 and r.json()["error"]["reason"] == "no_samples"
    r = _enrol(client, admin, [("face", face)] * 13)
    assert r.status_code == 400 and "at most 12 files" in r.json()["error"]["message"]
    r = client.post(
        "/api/v1/likeness/enrolments", headers=admin, json={"name": NAME, "consent": CONSENT}
    )
    assert r.status_code == 400 and "multipart" in r.json()["error"]["message"]


def test_session_callers_need_the_csrf_token(client: TestClient, corpora: Path) -> None:
    token = login(client, "admin")
    face = faces_dir(corpora) / "biden.jpg"
    r = _enrol(client, {}, [("face", face)])
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = _enrol(client, {}, [("face", face)], csrf_token=token)
    assert r.status_code == 201, r.text


def test_other_roles_and_tokens_without_the_scope_are_refused(
    app: FastAPI, client: TestClient
) -> None:
    inst = app.state.ctx.inst
    for who, scopes in (("admin", ["account"]), ("reviewer", ["account"])):
        h = bearer(inst, who, scopes)
        assert client.get("/api/v1/likeness/enrolments", headers=h).status_code == 403
    assert client.get("/api/v1/likeness/enrolments").status_code == 401


def _first_seconds(path: Path, seconds: float) -> np.ndarray:
    from mediaproof.likeness.voices import SR, decode_audio

    return decode_audio(path)[: int(SR * seconds)]


def test_the_upload_limit_covers_all_samples_together(tmp_path: Path, corpora: Path) -> None:
    from tests.api.conftest import make_app

    app = make_app(tmp_path / "instance", max_upload_bytes=400_000)
    inst = app.state.ctx.inst
    h = bearer(inst, "admin", ["likeness:manage"])
    train = sorted((faces_dir(corpora) / TRAIN).iterdir())
    assert all(p.stat().st_size < 400_000 for p in train)
    assert sum(p.stat().st_size for p in train) > 400_000
    with TestClient(app) as c:
        r = _enrol(c, h, [("face", p) for p in train])
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "limit_exceeded"
        assert c.get("/api/v1/likeness/enrolments", headers=h).json()["enrolments"] == []
    # every request's temp folder is gone, refused or not
    assert not any((inst.home / "tmp").iterdir())


def test_video_is_checked_as_a_job_and_unknown_types_are_refused(
    client: TestClient, admin: dict[str, str], corpora: Path, tmp_path: Path
) -> None:
    from PIL import Image

    from tests.likeness_support import make_video

    f = faces_dir(corpora)
    r = _enrol(client, admin, [("face", p) for p in sorted((f / TRAIN).iterdir())])
    assert r.status_code == 201, r.text
    with Image.open(f / "knn_examples/test/obama1.jpg") as im:
        frame = np.asarray(im.convert("RGB").resize((480, 480)))
    video = make_video(tmp_path / "v.mp4", [frame] * 4, fps=2, audio=None)
    r = client.post(
        "/api/v1/likeness/check", headers=admin, files={"file": ("x", video.read_bytes())}
    )
    assert r.status_code == 202, r.text
    url = r.headers["location"]
    for _ in range(300):
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    assert job["kind"] == "likeness.check"
    (m,) = job["result"]["matches"]
    assert m["name"] == NAME and m["where"]["time_s"] in (0.0, 1.0)  # a sampled frame
    r = client.post(
        "/api/v1/likeness/check", headers=admin, files={"file": ("x", b"just some text")}
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media"


def test_a_crashed_enrolment_upload_folder_is_cleared_at_start(tmp_path: Path) -> None:
    from tests.api.conftest import make_app

    stale = tmp_path / "instance" / "tmp" / "upload-abc123"
    stale.mkdir(parents=True)
    (stale / "face-1").write_bytes(b"left behind")
    make_app(tmp_path / "instance")
    assert not stale.exists()


def test_public_verify_names_enrolled_people_only_when_the_operator_allows(
    app: FastAPI, client: TestClient, admin: dict[str, str], corpora: Path
) -> None:
    faces = sorted((faces_dir(corpora) / TRAIN).iterdir())
    assert _enrol(client, admin, [("face", faces[0]), ("face", faces[1])]).status_code == 201
    query = (faces_dir(corpora) / "knn_examples/test/obama1.jpg").read_bytes()

    def anonymous_verify() -> Any:
        r = client.post("/api/v1/verify", files={"file": ("q.jpg", query, "image/jpeg")})
        assert r.status_code == 200, r.text
        return r.json()

    # default: an anonymous caller learns nothing about who is enrolled
    report = anonymous_verify()
    assert "likeness" not in report["evidence"] and NAME not in json.dumps(report)
    # the admin's own check still finds the person
    r = client.post("/api/v1/likeness/check", headers=admin, files={"file": ("x", query)})
    assert [m["statement"] for m in r.json()["matches"]] == [f"shows someone who looks like {NAME}"]

    app.state.ctx.inst.settings.service.public_likeness = True  # the operator opts in
    report = anonymous_verify()
    assert NAME in report["evidence"]["likeness"]["summary"]
