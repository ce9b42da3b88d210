"""The public pages: verify form, rendering of any analyzer, errors, no external assets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from tests.api.conftest import csrf_of


def test_verify_page_is_self_contained(client: TestClient) -> None:
    html = client.get("/").text
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    # nothing from another origin: no CDN, no web fonts
    assert not re.search(r'(src|href)="(https?:)?//', html)
    css = client.get("/static/style.css").text
    assert "@import" not in css and "url(" not in css
    assert client.get("/static/verify.js").status_code == 200


def test_verify_form_renders_the_answer_first(client: TestClient, photo: Path) -> None:
    csrf = csrf_of(client.get("/").text)
    r = client.post(
        "/verify?fragment=1",
        data={"csrf_token": csrf},
        files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 200
    html = r.text
    verdict = html.index("No provenance found: unknown")
    assert verdict < html.index("Content Credentials") < html.index("Generator metadata")
    assert "What this can and cannot tell" in html
    assert 'data-slot="match"' in html and 'data-slot="watermark"' in html


def test_verify_form_needs_its_token(client: TestClient, photo: Path) -> None:
    client.get("/")
    r = client.post("/verify", files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")})
    assert r.status_code == 403


class Likeness:
    name = "likeness"

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        return Evidence(
            self.name,
            EvidenceStatus.FOUND,
            "A face resembling an enrolled candidate appears.",
            {},
            "Resemblance is not identity.",
        )


def test_a_new_analyzer_shows_up_without_template_changes(
    client: TestClient, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaproof.services import verification

    original = verification.analyzers_for
    monkeypatch.setattr(
        verification,
        "analyzers_for",
        lambda inst, anchors=(), **kw: [*original(inst, **kw), Likeness()],
    )
    csrf = csrf_of(client.get("/").text)
    html = client.post(
        "/verify?fragment=1",
        data={"csrf_token": csrf},
        files={"file": ("p.jpg", photo.read_bytes())},
    ).text
    assert 'data-analyzer="likeness"' in html
    assert "A face resembling an enrolled candidate appears." in html
    assert "Resemblance is not identity." in html


def test_error_pages_for_people_json_for_machines(client: TestClient) -> None:
    page = client.get("/assets/12345")
    assert page.status_code == 404 and "<html" in page.text and "not_found" in page.text
    api = client.get("/api/v1/assets/12345")
    assert api.json()["error"]["code"] == "not_found"


def test_login_redirect_keeps_only_local_targets(client: TestClient) -> None:
    r = client.get("/publish", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/publish"
    html = client.get("/login", params={"next": "//evil.example/x"}).text
    assert 'name="next" value="/"' in html


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/verify", "/matches/byBinding", "/manifests/{manifest_id}", "/healthz"):
        assert p in paths
    assert "/login" not in paths  # pages are not API
    # no Swagger UI: it would load scripts from a CDN
    assert client.get("/docs").status_code == 404


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/v1/jobs/x").headers["x-frame-options"] == "DENY"


def test_errors_from_the_form_come_back_as_a_fragment(client: TestClient, corpora: Path) -> None:
    csrf = csrf_of(client.get("/").text)
    txt = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/unsupported_type.txt"
    r = client.post(
        "/verify?fragment=1",
        data={"csrf_token": csrf},
        files={"file": ("t.txt", txt.read_bytes())},
        headers={"accept": "*/*"},  # what fetch() sends
    )
    assert r.status_code == 415
    assert 'role="alert"' in r.text and "not recognised" in r.text and "<html" not in r.text


def test_token_page_makes_and_revokes_tokens(client: TestClient) -> None:
    from tests.api.conftest import login

    csrf = login(client, "publisher")
    page = client.get("/account/tokens").text
    assert 'value="publish"' in page and 'value="users:manage"' not in page
    r = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "CMS", "scope": ["publish"]}
    )
    assert r.status_code == 201
    secret = re.search(r'id="new-token">(mp_[^<]+)<', r.text)
    assert secret
    with TestClient(client.app) as machine:
        auth = {"Authorization": f"Bearer {secret.group(1)}"}
        assert machine.get("/api/v1/me", headers=auth).status_code == 200
        token_id = client.get("/api/v1/tokens").json()[0]["id"]
        r = client.post(
            f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 303
        assert machine.get("/api/v1/me", headers=auth).status_code == 401
    r = client.post("/account/tokens", data={"csrf_token": csrf, "name": "none"})
    assert r.status_code == 400 and "at least one scope" in r.text


def test_a_failed_job_reads_as_an_error_on_the_page(client: TestClient, corpora: Path) -> None:
    import time

    bad = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/nested_moov_1000.mp4"
    csrf = csrf_of(client.get("/").text)
    r = client.post(
        "/verify?fragment=1", data={"csrf_token": csrf}, files={"file": ("v.mp4", bad.read_bytes())}
    )
    job = re.search(r'data-job-id="([^"]+)"', r.text)
    if job is None:  # refused at once: the error is the fragment itself
        assert r.status_code == 422 and 'role="alert"' in r.text
        return
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        html = client.get(f"/jobs/{job.group(1)}?fragment=1").text
        if "data-job-id" not in html:
            break
        time.sleep(0.2)
    assert 'role="alert"' in html and "malformed_media" in html
    full = client.get(f"/jobs/{job.group(1)}").text
    assert "<html" in full and 'http-equiv="refresh"' not in full  # finished: no reload
