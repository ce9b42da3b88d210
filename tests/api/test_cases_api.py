"""The case workflow over HTTP: every endpoint, its refusals, and the rules that protect
reporters (only their own cases) and the review (different reviewers, one decision)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.cases import webhooks
from mediaproof.cases.models import Relationship
from mediaproof.cases.sor import validate_record
from mediaproof.fingerprint.pdq import fingerprint_image
from mediaproof.media.samples import sample_photo
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.tables_cases import BankRow, NoticeRow
from mediaproof.storage.sql.tables_jobs import JobRow
from tests.api.conftest import PASSWORD, bearer, csrf_of, login, make_app, make_settings
from tests.factories import Reporter, multipart_fields, notice_form
from tests.integration.test_cases_flow import Receiver

SECRET = "whsec-api-test-0123456789"
URL = "https://video.example/watch/42"
NAME, EMAIL = "Ana Candidata", "ana@campaign.example"


def notice(**kw: Any) -> dict[str, Any]:
    return notice_form(
        {
            "explanation": "A synthetic clip of the candidate announcing she quits the race.",
            "content_url": URL,
            "location": "video.example, front page",
        },
        reporter=Reporter(NAME, EMAIL, Relationship.SELF),
        **kw,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def case_app(home: Path, db_url: str | None = None) -> FastAPI:
    # deliveries are driven by the tests here, except in the background-worker test
    # the test receiver listens on loopback: allowed here, refused by default
    settings = make_settings(home, webhook_interval_s=3600, webhook_allow_networks=["127.0.0.0/8"])
    if db_url:
        settings = settings.model_copy(update={"database_url": db_url})
    a = create_app(settings)
    for name, role in [(r.value, r) for r in Role] + [
        ("reviewer2", Role.REVIEWER),
        ("reviewer3", Role.REVIEWER),
        ("reporter2", Role.REPORTER),
    ]:
        accounts.create_user(a.state.ctx.inst, name, role, PASSWORD)
    return a


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return case_app(tmp_path / "instance")


def signed_in(app: FastAPI, username: str) -> TestClient:
    """A second browser: its own cookies (the app's lifespan runs in the main client)."""
    c = TestClient(app)
    c.headers["x-csrf-token"] = login(c, username)
    return c


def file_json(client: TestClient, **kw: Any) -> dict[str, Any]:
    r = client.post("/api/v1/notices", json=notice(**kw))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_anonymous_notice_status_and_withdraw(client: TestClient) -> None:
    rec = file_json(client)
    assert rec["case_number"].startswith("C-") and len(rec["status_token"]) >= 32
    assert rec["status_url"].endswith("/status/" + rec["status_token"])
    assert rec["priority"] == 1 and "24 h" in rec["clock"]  # category SLA, no candidate
    st = client.get(f"/api/v1/status/{rec['status_token']}").json()
    assert st["case_number"] == rec["case_number"] and st["state"] == "open"
    assert st["notice_status"] == "active" and not st["appealable"]
    assert NAME not in json.dumps(st) and EMAIL not in json.dumps(st)
    page = client.get(rec["status_url"].split("testserver")[1])
    assert page.status_code == 200 and rec["case_number"] in page.text
    w = client.post(f"/api/v1/status/{rec['status_token']}/withdraw")
    assert w.status_code == 200 and w.json()["notice_status"] == "withdrawn"
    assert w.json()["state"] == "withdrawn"
    again = client.post(f"/api/v1/status/{rec['status_token']}/withdraw")
    assert again.status_code == 422 and "already withdrawn" in again.text
    assert client.get("/api/v1/status/not-a-token").status_code == 404


def test_notice_refusals_are_clear(client: TestClient) -> None:
    r = client.post("/api/v1/notices", json=notice(good_faith=False, reporter_email="x"))
    assert r.status_code == 422
    msg = r.json()["error"]["message"]
    assert "good-faith statement" in msg and "valid e-mail" in msg
    r = client.post("/api/v1/notices", json=notice(category="rumour"))
    assert r.status_code == 422 and "category must be one of" in r.text
    r = client.post("/api/v1/notices", json=notice(content_url=None, location=None))
    assert r.status_code == 422 and "the content" in r.text
    r = client.post("/api/v1/notices", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.text
    r = client.post("/api/v1/notices", content=b"x", headers={"content-type": "text/plain"})
    assert r.status_code == 400
    huge = json.dumps(notice(explanation="x" * 70_000)).encode()
    r = client.post("/api/v1/notices", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limited to" in r.text


def test_upload_carries_the_analysis_report(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    photo = sample_photo(tmp_path / "big.jpg", 1200, 800, seed=4)
    assert photo.stat().st_size > 64 * 1024  # more than the cap on ordinary bodies
    fields = multipart_fields(notice())
    r = client.post(
        "/api/v1/notices",
        data=fields,
        files={"file": ("clip.jpg", photo.read_bytes(), "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    number = r.json()["case_number"]
    rev = signed_in(app, "reviewer")
    d = rev.get(f"/api/v1/cases/{number}").json()
    assert d["analysis"]["media"]["type"] == "image/jpeg"
    assert d["case"]["media_sha256"] == d["analysis"]["media"]["sha256"]
    assert d["analysis"]["assessment"]["label"] == "unknown"
    assert NAME not in json.dumps(d) and EMAIL not in json.dumps(d)
    page = rev.get(f"/review/cases/{number}")
    assert page.status_code == 200 and 'id="ev-provenance"' in page.text  # _report.html
    # the same bytes again join the case (exact digest)
    again = client.post(
        "/api/v1/notices",
        data={**fields, "content_url": ""},
        files={"file": ("copy.jpg", photo.read_bytes(), "image/jpeg")},
    )
    assert again.json()["case_number"] == number and again.json()["joined_existing_case"]
    # a labelled upload goes into the bank with its PDQ, so a re-encoded copy is a near match
    assert _decide(rev, number, "label").status_code == 201
    with app.state.ctx.inst.db.session() as s:
        bank = s.scalars(select(BankRow)).one()
        assert json.loads(bank.fingerprints)["pdq"] == fingerprint_image(photo).pdq.hex
    copy = tmp_path / "copy.jpg"
    Image.open(photo).save(copy, quality=60)
    near = app.state.cases.check_upload(
        hashlib.sha256(copy.read_bytes()).hexdigest(),
        fingerprints={"pdq": fingerprint_image(copy).pdq.hex},
        now=dt.datetime.now(dt.UTC),
    )
    assert near.action.value == "queue" and near.matched_case == number


def test_long_media_is_analysed_after_the_receipt(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "i", webhook_interval_s=3600, job_audio_min_s=0)
    app = create_app(settings)
    accounts.create_user(app.state.ctx.inst, "reviewer", Role.REVIEWER, PASSWORD)
    clip = tmp_path / "voice.wav"
    with wave.open(str(clip), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        tone = (np.sin(np.arange(32000) * 2 * np.pi * 220 / 16000) * 8000).astype("<i2")
        w.writeframes(tone.tobytes())
    fields = multipart_fields(notice())
    with TestClient(app) as c:
        r = c.post("/api/v1/notices", data=fields, files={"file": ("v.wav", clip.read_bytes())})
        assert r.status_code == 201, r.text
        rev = signed_in(app, "reviewer")
        number = r.json()["case_number"]
        deadline = time.monotonic() + 60
        while (d := rev.get(f"/api/v1/cases/{number}").json())["analysis"] is None:
            assert time.monotonic() < deadline, "the background analysis never arrived"
            time.sleep(0.2)
        assert d["analysis"]["media"]["type"] == "audio/wav"
        with app.state.ctx.inst.db.session() as s:  # it ran as a job (jobs are rows)
            kinds = list(s.scalars(select(JobRow.kind)))
        assert kinds == ["case-analysis"]
        assert d["analysis"]["media"]["sha256"] == d["case"]["media_sha256"]
    assert not list((tmp_path / "i" / "tmp").glob("upload-*"))  # the job removed the file


def test_report_form_needs_its_csrf_token(client: TestClient, photo: Path) -> None:
    form = client.get("/report")
    assert form.status_code == 200 and 'name="good_faith"' in form.text
    token = csrf_of(form.text)
    fields = multipart_fields(notice())
    bad = client.post("/report", data=fields, files={"file": ("", b"", "application/octet-stream")})
    assert bad.status_code == 403 and "security token" in bad.text
    ok = client.post(
        "/report",
        data={**fields, "csrf_token": token},
        files={"file": ("", b"", "application/octet-stream")},  # a form with no file chosen
    )
    assert ok.status_code == 201, ok.text
    assert 'id="case-number"' in ok.text and "/status/" in ok.text
    missing = client.post(
        "/report",
        data={**fields, "csrf_token": token, "signature": ""},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert missing.status_code == 422 and "your signature" in missing.text
    assert notice()["explanation"] in missing.text  # the form comes back filled in
    assert f'value="{EMAIL}"' in missing.text


def test_a_reporter_appeals_on_the_status_page(app: FastAPI, client: TestClient) -> None:
    rec = file_json(client)
    page = f"/status/{rec['status_token']}"
    assert 'id="appeal-form"' not in client.get(page).text  # nothing to appeal yet
    rev = signed_in(app, "reviewer")
    _decide(rev, rec["case_number"], "no_action", explanation="Real footage, not synthetic.")
    form = client.get(page).text
    assert 'id="appeal-form"' in form and "Statements of reasons" in form
    r = client.post(
        page + "/appeal",
        data={"grounds": "The voice is cloned; here is why.", "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == page
    after = client.get(page).text
    assert "awaiting a reviewer" in after and 'id="appeal-form"' not in after
    st = client.get(f"/api/v1/status/{rec['status_token']}").json()
    assert st["appeals"][0]["party"] == "reporter" and not st["appealable"]
    again = client.post(
        page + "/appeal", data={"grounds": "Once more, please.", "csrf_token": csrf_of(form)}
    )
    assert again.status_code == 409 and 'id="status-error"' in again.text
    # a different reviewer upholds; the reporter sees the outcome, not the reviewer's name
    appeal_id = rev.get(f"/api/v1/cases/{rec['case_number']}").json()["appeals"][0]["public_id"]
    rev2 = signed_in(app, "reviewer2")
    body = {"outcome": "upheld", "explanation": "The footage is authentic; no action."}
    assert rev2.post(f"/api/v1/appeals/{appeal_id}/decision", json=body).status_code == 200
    st = client.get(f"/api/v1/status/{rec['status_token']}").json()
    assert st["appeals"][0]["outcome"] == "upheld" and "reviewer" not in st["appeals"][0]
    assert "reviewer2" not in client.get(page).text


def test_anonymous_notices_are_rate_limited(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", rate_notice_burst=2, webhook_interval_s=3600)
    with TestClient(app) as c:
        codes = [c.post("/api/v1/notices", json=notice()).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_verified_candidate_reports_with_priority(app: FastAPI, client: TestClient) -> None:
    admin = bearer(app.state.ctx.inst, "admin", ["candidates:approve"])
    before = signed_in(app, "reporter")
    plain = before.post("/api/v1/notices", json=notice(content_url=URL + "?a")).json()
    assert plain["priority"] == 1
    r = client.post("/api/v1/candidates", headers=admin, json={"username": "reporter"})
    assert r.status_code == 201 and r.json()["approved_by"] == "admin"
    assert [c["username"] for c in client.get("/api/v1/candidates", headers=admin).json()] == [
        "reporter"
    ]
    prio = before.post("/api/v1/notices", json=notice(content_url=URL + "?b")).json()
    assert prio["priority"] == 0 and "verified candidate within 12 h" in prio["clock"]
    # the form cannot claim it: the field is ignored, the account decides
    other = signed_in(app, "reporter2")
    claim = other.post(
        "/api/v1/notices", json=notice(content_url=URL + "?c", verified_candidate=True)
    ).json()
    assert claim["priority"] == 1
    assert client.delete("/api/v1/candidates/reporter", headers=admin).status_code == 200
    after = before.post("/api/v1/notices", json=notice(content_url=URL + "?d")).json()
    assert after["priority"] == 1
    # only admins approve
    rev = bearer(app.state.ctx.inst, "reviewer", ["cases:review"])
    assert client.post("/api/v1/candidates", headers=rev, json={"username": "x"}).status_code == 403


def test_a_reporter_sees_only_their_own_cases(app: FastAPI, client: TestClient) -> None:
    mine = signed_in(app, "reporter")
    theirs = signed_in(app, "reporter2")
    a = mine.post("/api/v1/notices", json=notice(content_url=URL + "?mine")).json()
    b = theirs.post("/api/v1/notices", json=notice(content_url=URL + "?theirs")).json()
    anon = file_json(client, content_url=URL + "?anon")
    listed = mine.get("/api/v1/my/notices").json()
    assert [n["case_number"] for n in listed] == [a["case_number"]]
    assert [n["case_number"] for n in theirs.get("/api/v1/my/notices").json()] == [b["case_number"]]
    page = mine.get("/my/reports").text
    assert a["case_number"] in page and b["case_number"] not in page
    assert anon["case_number"] not in page
    # the review side is closed to reporters, and a token shows only its own notice
    assert mine.get(f"/api/v1/cases/{b['case_number']}").status_code == 403
    assert mine.get(f"/review/cases/{b['case_number']}").status_code == 403
    assert mine.get("/api/v1/cases").status_code == 403
    st = mine.get(f"/api/v1/status/{a['status_token']}").json()
    assert st["case_number"] == a["case_number"] and st["notice_id"] == a["notice_id"]


def _decide(c: TestClient, number: str, outcome: str, **kw: Any) -> Any:
    body = {
        "outcome": outcome,
        "rule_id": "DM-1",
        "explanation": "Synthetic voice and face; the event never happened.",
        **kw,
    }
    return c.post(f"/api/v1/cases/{number}/decisions", json=body)


def test_two_reviewers_at_once_get_one_decision_and_one_conflict(
    tmp_path: Path, db_url: str
) -> None:
    app = case_app(tmp_path / "race", db_url)
    with TestClient(app) as client:
        _race(app, client)


def _race(app: FastAPI, client: TestClient) -> None:
    number = file_json(client)["case_number"]
    one, two = signed_in(app, "reviewer"), signed_in(app, "reviewer2")
    version = one.get(f"/api/v1/cases/{number}").json()["case"]["version"]
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def go(name: str, c: TestClient) -> None:
        barrier.wait()
        results[name] = _decide(c, number, "label", version=version)

    threads = [threading.Thread(target=go, args=x) for x in (("one", one), ("two", two))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [201, 409], [r.text for r in results.values()]
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.json()["error"]["code"] == "conflict" and "reload" in loser.text
    d = one.get(f"/api/v1/cases/{number}").json()
    assert len(d["decisions"]) == 1 and d["case"]["state"] == "decided"
    # a stale version is refused even when nobody is racing
    assert _decide(one, number, "label", version=version).status_code == 409


def test_removal_needs_a_second_reviewer_and_the_form_says_why(
    app: FastAPI, client: TestClient
) -> None:
    number = file_json(client)["case_number"]
    rev, rev2 = signed_in(app, "reviewer"), signed_in(app, "reviewer2")
    assert _decide(rev, number, "remove", rule_id="DM-3").status_code == 403  # wrong rule
    p = _decide(rev, number, "remove")
    assert p.status_code == 201 and p.json()["case"]["state"] == "awaiting_second_review"
    self_confirm = rev.post(f"/api/v1/cases/{number}/confirm")
    assert self_confirm.status_code == 403 and "different reviewer" in self_confirm.text
    # in the browser the refusal shows on the case page
    page = rev.post(
        f"/review/cases/{number}/confirm",
        data={"csrf_token": rev.headers["x-csrf-token"]},
    )
    assert page.status_code == 403 and 'id="case-error"' in page.text
    assert "different reviewer" in page.text
    rejected = rev2.post(f"/api/v1/cases/{number}/reject")
    assert rejected.status_code == 200 and rejected.json()["state"] == "open"
    assert _decide(rev, number, "remove").status_code == 201
    ok = rev2.post(f"/api/v1/cases/{number}/confirm")
    assert ok.status_code == 200 and ok.json()["decision"]["status"] == "final"
    assert ok.json()["uploader_token"]  # no endpoint: the reviewer hands it on


def test_session_mutations_need_csrf(app: FastAPI, client: TestClient) -> None:
    number = file_json(client)["case_number"]
    rev = signed_in(app, "reviewer")
    token = rev.headers.pop("x-csrf-token")
    assert _decide(rev, number, "label").status_code == 403
    r = rev.post(
        f"/review/cases/{number}/decide",
        data={"outcome": "label", "rule_id": "DM-1", "explanation": "x" * 20, "version": "1"},
    )
    assert r.status_code == 403 and "csrf" in r.text.lower()
    r = rev.post(
        f"/review/cases/{number}/decide",
        data={
            "outcome": "label",
            "rule_id": "DM-1",
            "explanation": "Synthetic; label it.",
            "version": "1",
            "csrf_token": token,
        },
    )
    # no platform endpoint: the page shows the uploader's appeal token once, not a redirect
    assert r.status_code == 200 and 'id="uploader-token"' in r.text
    assert "Decision recorded." in r.text


def test_appeals_go_to_a_different_reviewer(
    app: FastAPI, client: TestClient, receiver: Receiver
) -> None:
    admin = bearer(app.state.ctx.inst, "admin", ["webhooks:manage"])
    r = client.post(
        "/api/v1/webhooks/endpoints",
        headers=admin,
        json={"platform": "video.example", "url": receiver.url, "secret": SECRET},
    )
    assert r.status_code == 201
    listed = client.get("/api/v1/webhooks/endpoints", headers=admin).json()
    assert listed == [{"platform": "video.example", "url": receiver.url, "active": True}]
    rec = file_json(client)
    number = rec["case_number"]
    rev, rev2, rev3 = (signed_in(app, n) for n in ("reviewer", "reviewer2", "reviewer3"))
    _decide(rev, number, "remove")
    final = rev2.post(f"/api/v1/cases/{number}/confirm").json()
    assert final["uploader_token"] is None  # it travels in the webhook
    cases = app.state.cases
    assert cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 1
    headers, body = receiver.requests[0]
    assert webhooks.verify(SECRET, headers, body, dt.datetime.now(dt.UTC))
    uploader_token = json.loads(body)["uploader_appeal_token"]
    # no public address configured: the link is built on the request that decided
    assert json.loads(body)["uploader_appeal_url"] == (
        f"http://testserver/appeal?token={uploader_token}"
    )

    # the reporter sees the decision and may appeal too; the uploader appeals here
    st = client.get(f"/api/v1/status/{rec['status_token']}").json()
    assert st["state"] == "decided" and st["appealable"] and st["statements"]
    told = client.get(f"/appeal?token={uploader_token}").text
    assert 'id="uploader-case"' in told and number in told and 'id="not-appealable"' not in told
    assert 'id="uploader-case"' not in client.get("/appeal?token=nope").text
    a = client.post(
        "/api/v1/appeals",
        json={"token": uploader_token, "grounds": "It is satire; the title says so."},
    )
    assert a.status_code == 201 and a.json()["party"] == "uploader"
    appeal_id = a.json()["appeal_id"]
    queue = rev.get("/api/v1/cases").json()
    assert [c["number"] for c in queue["appealed"]] == [number]
    body_ = {"outcome": "reversed", "explanation": "Satire, clearly labelled as such."}
    for own in (rev, rev2):  # the proposer and the confirmer both took part
        refused = own.post(f"/api/v1/appeals/{appeal_id}/decision", json=body_)
        assert refused.status_code == 403 and "own decisions" in refused.text
    page = rev.post(
        f"/review/cases/{number}/appeals/{appeal_id}/decide",
        data={**body_, "csrf_token": rev.headers["x-csrf-token"]},
    )
    assert page.status_code == 403 and "own decisions" in page.text
    ok = rev3.post(f"/api/v1/appeals/{appeal_id}/decision", json=body_)
    assert ok.status_code == 200, ok.text
    assert ok.json()["restore_action_id"] and ok.json()["case"]["state"] == "resolved"
    again = rev3.post(f"/api/v1/appeals/{appeal_id}/decision", json=body_)
    assert again.status_code == 409
    assert cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 1
    assert json.loads(receiver.requests[1][1])["action"] == "restore"
    bad = client.post("/api/v1/appeals", json={"token": "nope", "grounds": "x" * 20})
    assert bad.status_code == 404


def test_dead_letters_are_listed_and_retried(
    app: FastAPI, client: TestClient, receiver: Receiver
) -> None:
    admin = bearer(app.state.ctx.inst, "admin", ["webhooks:manage"])
    port = receiver.port
    receiver.stop()  # the platform is down
    client.post(
        "/api/v1/webhooks/endpoints",
        headers=admin,
        json={"platform": "*", "url": f"http://127.0.0.1:{port}/hook", "secret": SECRET},
    )
    number = file_json(client)["case_number"]
    _decide(signed_in(app, "reviewer"), number, "label")
    cases = app.state.cases
    t = dt.datetime.now(dt.UTC)
    for _ in range(cases.retry.max_attempts):
        cases.deliver_due(t)
        t += cases.retry.cap
    dead = client.get("/api/v1/webhooks/dead-letters", headers=admin).json()
    assert len(dead) == 1 and dead[0]["event"] == "action.label"
    assert "Error" in dead[0]["last_error"]  # connection refused, in words
    page = signed_in(app, "admin").get("/admin/webhooks")
    assert dead[0]["delivery_id"] in page.text
    receiver.start()  # back on the same port
    retry = client.post(
        f"/api/v1/webhooks/dead-letters/{dead[0]['delivery_id']}/retry", headers=admin
    )
    assert retry.status_code == 200
    assert cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 1
    assert client.get("/api/v1/webhooks/dead-letters", headers=admin).json() == []
    assert len(receiver.requests) == 1
    missing = client.post("/api/v1/webhooks/dead-letters/nope/retry", headers=admin)
    assert missing.status_code == 404
    bad = client.post(
        "/api/v1/webhooks/endpoints",
        headers=admin,
        json={"platform": "x", "url": "ftp://x", "secret": SECRET},
    )
    assert bad.status_code == 400


def test_the_running_service_delivers_webhooks_by_itself(
    tmp_path: Path, receiver: Receiver
) -> None:
    app = make_app(tmp_path / "bg", webhook_interval_s=0.2, webhook_allow_networks=["127.0.0.0/8"])
    with TestClient(app) as c:
        app.state.cases.register_endpoint("video.example", receiver.url, SECRET)
        number = file_json(c)["case_number"]
        _decide(signed_in(app, "reviewer"), number, "label")
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(receiver.requests) == 1
        assert webhooks.verify(SECRET, *receiver.requests[0], dt.datetime.now(dt.UTC))
    # the lifespan stopped the worker on shutdown
    assert app.state.cases is not None
    assert not any(t.name == "webhooks" and t.is_alive() for t in threading.enumerate())


def test_exports_statements_and_transparency_report(
    app: FastAPI, client: TestClient, inst: Instance
) -> None:
    numbers = [file_json(client, content_url=f"{URL}?{i}")["case_number"] for i in range(3)]
    file_json(client, content_url=URL + "?v", category="false_voting_information")
    rev = signed_in(app, "reviewer")
    _decide(rev, numbers[0], "label", explanation=f"Reported by {NAME}; synthetic, labelled.")
    _decide(rev, numbers[1], "no_action")
    # reviewer-only, no personal data, valid v2 records
    assert client.get("/api/v1/statements").status_code == 401
    rep = bearer(inst, "reporter", ["account"])
    assert client.get("/api/v1/statements", headers=rep).status_code == 403
    batches = rev.get("/api/v1/statements").json()
    records = [s for b in batches for s in b["statements"]]
    assert len(records) == 1 and validate_record(records[0]) == []
    text = json.dumps(batches)
    assert NAME not in text and EMAIL not in text
    assert rev.get("/api/v1/statements").json() == batches  # reading marks nothing
    exported = rev.post("/api/v1/statements/export").json()
    assert sum(len(b["statements"]) for b in exported) == 1
    assert rev.post("/api/v1/statements/export").json() == []
    # the report, public, equals counts taken from the database independently
    with inst.db.session() as s:
        received = s.scalar(select(func.count()).select_from(NoticeRow))
        voting = s.scalar(
            select(func.count())
            .select_from(NoticeRow)
            .where(NoticeRow.category == "false_voting_information")
        )
    r = client.get("/api/v1/transparency-report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {"section", "metric", "dimension", "value"} <= set(rows[0])

    def value(section: str, metric: str, key: str) -> str:
        return next(
            x["value"]
            for x in rows
            if (x["section"], x["metric"], x["dimension"]) == (section, metric, key)
        )

    assert int(value("notices", "received", "all")) == received == 4
    assert int(value("notices", "received_by_category", "false_voting_information")) == voting
    assert NAME not in r.text and EMAIL not in r.text
    page = client.get("/transparency")
    assert page.status_code == 200 and "<svg" in page.text
    assert '<link rel="stylesheet" href="/static/report.css">' in page.text
    assert "<style>" not in page.text  # the CSP refuses inline styles
    assert client.get("/static/report.css").status_code == 200
    assert client.get("/api/v1/transparency-report?from=yesterday").status_code == 400


def test_policy_is_published_with_its_version(client: TestClient) -> None:
    p = client.get("/api/v1/policy").json()
    assert p["version"] and {r["id"] for r in p["rules"]} >= {"DM-1", "DM-2", "DM-3"}
    page = client.get("/policy")
    assert page.status_code == 200 and p["version"] in page.text and "DM-3" in page.text
    assert client.get(f"/policy/{p['version']}").status_code == 200
    old = client.get("/policy/1999-01-01")
    assert old.status_code == 404 and p["version"] in old.text


def test_admin_pages_register_endpoints_retry_and_approve(
    app: FastAPI, client: TestClient, receiver: Receiver
) -> None:
    admin = signed_in(app, "admin")
    csrf = admin.headers["x-csrf-token"]
    short = admin.post(
        "/admin/webhooks/endpoints",
        data={"platform": "*", "url": receiver.url, "secret": "short", "csrf_token": csrf},
    )
    assert short.status_code == 400 and "at least 16 characters" in short.text
    ok = admin.post(
        "/admin/webhooks/endpoints",
        data={"platform": "*", "url": receiver.url, "secret": SECRET, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = admin.get("/admin/webhooks").text
    assert receiver.url in page and SECRET not in page
    # a dead letter, retried from the page
    receiver.stop()
    _decide(signed_in(app, "reviewer"), file_json(client)["case_number"], "label")
    cases = app.state.cases
    t = dt.datetime.now(dt.UTC)
    for _ in range(cases.retry.max_attempts):
        cases.deliver_due(t)
        t += cases.retry.cap
    delivery = cases.dead_letters()[0]["delivery_id"]
    assert delivery in admin.get("/admin/webhooks").text
    receiver.start()
    r = admin.post(
        f"/admin/webhooks/dead-letters/{delivery}/retry",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and cases.dead_letters() == []
    assert cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 1
    # candidates
    unknown = admin.post("/admin/candidates", data={"username": "ghost", "csrf_token": csrf})
    assert unknown.status_code == 404 and "no active account" in unknown.text
    admin.post("/admin/candidates", data={"username": "reporter", "csrf_token": csrf})
    assert "reporter" in admin.get("/admin/candidates").text
    reporter = signed_in(app, "reporter")
    assert 'id="candidate-note"' in reporter.get("/report").text
    admin.post("/admin/candidates/reporter/revoke", data={"csrf_token": csrf})
    assert 'id="candidate-note"' not in reporter.get("/report").text
