"""Publishing releases, asset records, downloads, and the transparency-log slot."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.services import accounts
from mediaproof.services import transparency as tsvc
from mediaproof.transparency.log import TransparencyLog
from tests.api.conftest import FIX, PASSWORD, bearer, csrf_of, login, make_settings, publish


def test_publish_with_a_token(client: TestClient, inst: Any, photo: Path) -> None:
    h = bearer(inst, "publisher", ["publish"])
    pub = publish(client, h, photo, title="Ballot drop-off hours")
    a = pub["asset"]
    assert a["title"] == "Ballot drop-off hours" and a["author"] == "Press office"
    assert a["signed"] and a["signer"].startswith("CN=Test Election Office")
    assert pub["page_url"] == f"/assets/{a['asset_id']}"
    f = client.get(pub["download_url"], headers=h)
    assert f.status_code == 200 and f.headers["content-type"] == "image/jpeg"
    assert f.content[:3] == b"\xff\xd8\xff"
    view = client.get(f"/api/v1/assets/{a['asset_id']}").json()
    assert view["asset"] == a
    # the first registration created the instance's log; its proof is checked in
    # test_log_proofs.py
    assert view["transparency"]["configured"] is True
    assert view["transparency"]["inclusion_proof"]["entry"]["asset_id"] == f"asset-{a['asset_id']}"


def test_publishing_the_same_file_again_returns_the_first_release(
    client: TestClient, inst: Any, photo: Path
) -> None:
    """A retry (lost response, crash) must not register a second asset or log leaf."""
    h = bearer(inst, "publisher", ["publish"])
    r1 = client.post("/api/v1/assets", headers=h, data={"title": "One"}, files=_file(photo))
    r2 = client.post("/api/v1/assets", headers=h, data={"title": "One"}, files=_file(photo))
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r2.json() == r1.json()
    assert r2.headers["location"] == r1.headers["location"]
    # the signed file handed back is the one registered the first time
    dl = client.get(r2.json()["download_url"], headers=h)
    assert hashlib.sha256(dl.content).hexdigest() == r1.json()["asset"]["sha256"]
    # another publisher's release of the same original is their own asset
    accounts.create_user(inst, "publisher2", Role.PUBLISHER, PASSWORD)
    other = bearer(inst, "publisher2", ["publish"])
    r3 = client.post("/api/v1/assets", headers=other, data={"title": "One"}, files=_file(photo))
    assert r3.status_code == 201
    a1, a3 = r1.json()["asset"], r3.json()["asset"]
    assert a1["asset_id"] != a3["asset_id"] and a1["sha256"] != a3["sha256"]
    assert a1["manifest_label"] != a3["manifest_label"]
    assert [a.id for a in inst.assets()] == [a3["asset_id"], a1["asset_id"]]
    assert tsvc.staged_count(inst) == 0
    with TransparencyLog.open(inst.home, readonly=True) as log:
        ids = [json.loads(log.entry(i))["asset_id"] for i in range(log.size)]
    assert ids == [f"asset-{a1['asset_id']}", f"asset-{a3['asset_id']}"]


def _file(photo: Path) -> dict[str, tuple[str, bytes]]:
    return {"file": ("p.jpg", photo.read_bytes())}


def test_publish_validation(client: TestClient, inst: Any, photo: Path, corpora: Path) -> None:
    h = bearer(inst, "publisher", ["publish"])
    files = {"file": ("x", photo.read_bytes())}
    r = client.post("/api/v1/assets", headers=h, data={"title": " "}, files=files)
    assert r.status_code == 400 and r.json()["error"]["message"] == "a title is required"
    r = client.post("/api/v1/assets", headers=h, data={"title": "x" * 501}, files=files)
    assert r.status_code == 400
    r = client.post(
        "/api/v1/assets", headers=h, data={"title": "t", "source_type": "madeUp"}, files=files
    )
    assert r.status_code == 422 and r.json()["error"]["hint"].startswith("one of")
    cloud = (corpora / FIX / "cloud.jpg").read_bytes()
    r = client.post("/api/v1/assets", headers=h, data={"title": "t"}, files={"file": ("c", cloud)})
    assert r.status_code == 422 and r.json()["error"]["code"] == "remote_manifest"


def test_release_text_that_reorders_on_display_is_refused(
    client: TestClient, inst: Any, photo: Path
) -> None:
    """A title or author with a bidirectional override (or another hidden control) would
    be signed into an official release and read differently on every page than it is
    stored; it is refused before anything is signed. Right-to-left text and the plain
    direction marks are not."""
    h = bearer(inst, "publisher", ["publish"])
    files = _file(photo)
    for data in (
        {"title": "Polls close at 8 \u202epm 02:8\u202c"},  # RIGHT-TO-LEFT OVERRIDE
        {"title": "Results", "author": "Press \u2066office\u2069"},  # an isolate
        {"title": "Line one\nLine two"},
    ):
        r = client.post("/api/v1/assets", headers=h, data=data, files=files)
        assert r.status_code == 422, data
        err = r.json()["error"]
        assert err["code"] == "invalid_request" and "invisible character U+" in err["message"]
    assert inst.assets() == [] and tsvc.staged_count(inst) == 0
    r = client.post(
        "/api/v1/assets",
        headers=h,
        data={
            "title": "\u0646\u062a\u0627\u0626\u062c \u200f2026",
            "author": "\u05d3\u05d5\u05d1\u05e8",
        },
        files=files,
    )
    assert r.status_code == 201
    assert r.json()["asset"]["title"] == "\u0646\u062a\u0627\u0626\u062c \u200f2026"


def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_a_release_that_does_not_decode_is_refused(
    client: TestClient, inst: Any, photo: Path, corpora: Path
) -> None:
    """An official release that cannot be fingerprinted could never be traced back from
    a stripped copy: a cut-off JPEG, a video container holding nothing, a PNG without
    pixels are refused (nothing signed, registered or logged), while a format this build
    cannot decode at all (HEIC) is still registered, with its MD5 only."""
    h = bearer(inst, "publisher", ["publish"])
    jpeg = photo.read_bytes()
    header_only_mp4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(8)
    for name, body in (
        ("cut.jpg", jpeg[: len(jpeg) // 2]),
        ("empty.mp4", header_only_mp4),
        ("none.png", _png(0, 0)),
    ):
        r = client.post(
            "/api/v1/assets", headers=h, data={"title": "t"}, files={"file": (name, body)}
        )
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["code"] == "malformed_media", name
        assert "traced back" in r.json()["error"]["hint"]
    assert inst.assets() == [] and tsvc.staged_count(inst) == 0
    assert not (inst.home / "tlog" / "config.json").exists()  # no log entry was written
    heic = (corpora / FIX / "sample1.heic").read_bytes()
    r = client.post(
        "/api/v1/assets", headers=h, data={"title": "t"}, files={"file": ("s.heic", heic)}
    )
    assert r.status_code == 201, r.text


def test_download_needs_publisher(client: TestClient, inst: Any, photo: Path) -> None:
    pub = publish(client, bearer(inst, "publisher", ["publish"]), photo)
    assert client.get(pub["download_url"]).status_code == 401
    r = client.get(pub["download_url"], headers=bearer(inst, "reviewer", ["account"]))
    assert r.status_code == 403


def test_unknown_asset(client: TestClient) -> None:
    r = client.get("/api/v1/assets/999")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/assets/abc").status_code == 422


def test_publish_through_the_form(client: TestClient, photo: Path) -> None:
    login(client, "publisher")
    csrf = csrf_of(client.get("/publish").text)
    r = client.post(
        "/publish",
        data={"csrf_token": csrf, "title": "Statement", "author": "Clerk"},
        files={"file": ("s.jpg", photo.read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 200 and "Signed and registered as asset 1" in r.text
    # the multipart form needs its token too
    r = client.post(
        "/publish",
        data={"title": "Statement 2"},
        files={"file": ("s.jpg", photo.read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 403
    page = client.get("/assets/1")
    assert page.status_code == 200 and "Statement" in page.text
    assert "in the public, append-only log" in page.text


class FakeLog:
    def inclusion_proof(self, asset_id: int) -> Mapping[str, Any] | None:
        return {"index": 41, "tree_size": 42, "hashes": ["ab" * 32]} if asset_id == 1 else None


def test_asset_page_shows_an_inclusion_proof(tmp_path: Path, photo: Path) -> None:
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.publishing import SignRequest, sign_and_register

    app = create_app(make_settings(tmp_path / "i"), proofs=lambda inst: FakeLog())
    inst = app.state.ctx.inst
    init_keys(inst.keys_dir, "Test Election Office")
    sign_and_register(inst, SignRequest(src=photo, dest=tmp_path / "s.jpg", title="T"))
    with TestClient(app) as c:
        view = c.get("/api/v1/assets/1").json()["transparency"]
        assert view == {
            "configured": True,
            "inclusion_proof": {"index": 41, "tree_size": 42, "hashes": ["ab" * 32]},
        }
        page = c.get("/assets/1").text
        assert 'id="log-index">41<' in page and '"tree_size": 42' in page


def test_publishing_a_file_that_already_has_credentials(
    client: TestClient, inst: Any, corpora: Path, photo: Path
) -> None:
    """A camera's (or our own) signed file is signed again with it as parent ingredient."""
    h = bearer(inst, "publisher", ["publish"])
    ca = (corpora / FIX / "CA.jpg").read_bytes()
    r = client.post(
        "/api/v1/assets",
        headers=h,
        data={"title": "From the camera"},
        files={"file": ("c.jpg", ca)},
    )
    assert r.status_code == 201, r.text
    signed = client.get(r.json()["download_url"], headers=h).content
    rep = client.post("/api/v1/verify", files={"file": ("s", signed)}).json()
    assert rep["provenance"]["state"] == "trusted"
    assert rep["provenance"]["actions"][0]["action"] == "c2pa.opened"
    parents = rep["provenance"]["ingredients"]
    assert [i["relationship"] for i in parents] == ["parentOf"] and parents[0]["has_credentials"]
    again = client.post(
        "/api/v1/assets",
        headers=h,
        data={"title": "Second edition"},
        files={"file": ("s.jpg", signed)},
    )
    assert again.status_code == 201, again.text
