"""POST /api/v1/verify and the jobs endpoint, with real files and hostile ones."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import FIX, bearer, make_app, publish


def verify(client: TestClient, data: bytes, **kw: Any) -> Any:
    return client.post("/api/v1/verify", files={"file": ("upload", data)}, **kw)


def test_unsigned_photo_is_unknown(client: TestClient, photo: Path) -> None:
    r = verify(client, photo.read_bytes())
    assert r.status_code == 200
    rep = r.json()
    assert rep["schema"].endswith("/verify-report/v2")
    assert rep["media"]["type"] == "image/jpeg"
    assert rep["provenance"]["state"] == "absent"
    assert rep["assessment"]["label"] == "unknown"
    assert set(rep["evidence"]) >= {"provenance", "registry", "generator"}


def test_signed_release_verifies_as_trusted_and_registered(
    client: TestClient, inst: Any, photo: Path
) -> None:
    pub = publish(client, bearer(inst, "publisher", ["publish"]), photo)
    signed = client.get(pub["download_url"], headers=bearer(inst, "publisher", ["publish"]))
    rep = verify(client, signed.content).json()
    assert rep["provenance"]["state"] == "trusted"
    assert rep["registry"]["asset_id"] == pub["asset"]["asset_id"]
    assert rep["assessment"]["label"] == "signed_and_intact"


@pytest.mark.parametrize(
    ("name", "state", "label"),
    [
        ("CA.jpg", "valid", "signed_by_unverified_signer"),
        ("XCA.jpg", "invalid", "signed_but_altered"),
        ("no_manifest.jpg", "absent", "unknown"),
    ],
)
def test_corpus_files(client: TestClient, corpora: Path, name: str, state: str, label: str) -> None:
    rep = verify(client, (corpora / FIX / name).read_bytes()).json()
    assert rep["provenance"]["state"] == state
    assert rep["assessment"]["label"] == label


def test_raw_body_and_mislabelled_type(client: TestClient, corpora: Path) -> None:
    png = (corpora / FIX / "sample1.png").read_bytes()
    r = client.post("/api/v1/verify", content=png, headers={"content-type": "video/mp4"})
    assert r.status_code == 200
    assert r.json()["media"]["type"] == "image/png"  # sniffed, not taken from the label


def test_client_filename_never_becomes_a_path(
    client: TestClient, inst: Any, photo: Path, tmp_path: Path
) -> None:
    evil = "../../../../tmp/mediaproof-owned.jpg"
    r = client.post("/api/v1/verify", files={"file": (evil, photo.read_bytes(), "image/jpeg")})
    assert r.status_code == 200
    assert not Path("/tmp/mediaproof-owned.jpg").exists()
    assert list((inst.home / "tmp").iterdir()) == []  # the temp upload is gone


def test_unknown_type_is_415(client: TestClient, corpora: Path) -> None:
    r = verify(client, (corpora / FIX / "unsupported_type.txt").read_bytes())
    assert r.status_code == 415
    err = r.json()["error"]
    assert err["code"] == "unsupported_media" and err["hint"]


def test_empty_upload_is_400(client: TestClient) -> None:
    r = client.post("/api/v1/verify", files={"file": ("x", b"")})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "ingest"


def test_no_file_field_is_400(client: TestClient) -> None:
    r = client.post("/api/v1/verify", data={"other": "x"}, files={"nofile": ("x", b"abc")})
    assert r.status_code == 400


def test_truncated_jpeg_is_422(client: TestClient, photo: Path) -> None:
    data = photo.read_bytes()
    r = verify(client, data[: len(data) // 3])
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "malformed_media"


def test_truncated_signed_file_still_reports_alteration(
    client: TestClient, inst: Any, photo: Path
) -> None:
    pub = publish(client, bearer(inst, "publisher", ["publish"]), photo)
    signed = client.get(pub["download_url"], headers=bearer(inst, "publisher", ["publish"]))
    r = verify(client, signed.content[:-2000])
    # the credentials survive, so the honest answer is "altered", not a refusal
    assert r.status_code == 200
    assert r.json()["provenance"]["state"] == "invalid"


def test_cut_off_multipart_body_is_400(client: TestClient, photo: Path) -> None:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + photo.read_bytes()[:5000]
    )
    r = client.post(
        "/api/v1/verify",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert r.status_code == 400
    assert "incomplete" in r.json()["error"]["message"]


def test_malformed_multipart_without_boundary(client: TestClient) -> None:
    r = client.post(
        "/api/v1/verify", content=b"garbage", headers={"content-type": "multipart/form-data"}
    )
    assert r.status_code == 400


def test_remote_manifest_is_named_not_fetched(client: TestClient, corpora: Path) -> None:
    """The answer says where the file says its credentials are, and that they were not
    fetched (nothing here can reach the network: a fetch would fail the test)."""
    for name in ("cloud.jpg", "libpng-test_with_url.png"):
        r = verify(client, (corpora / FIX / name).read_bytes())
        assert r.status_code == 200, name
        rep = r.json()
        url = rep["provenance"]["remote_url"]
        assert url and url.startswith("http"), name
        assert rep["assessment"]["label"] == "remote_credentials_not_fetched", name
        assert rep["assessment"]["headline"] == (
            f"This file says its Content Credentials are stored at {url}; they were not fetched"
        )


def test_content_length_over_limit_is_refused_before_reading(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", max_upload_bytes=10_000)
    with TestClient(app) as c:
        # a body that would fail if it were read: the header alone must decide
        r = c.post(
            "/api/v1/verify",
            content=b"x" * 10,
            headers={"content-length": "50000000", "content-type": "image/jpeg"},
        )
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "limit_exceeded"


def test_streamed_body_over_limit_is_413(tmp_path: Path, photo: Path) -> None:
    app = make_app(tmp_path / "i", max_upload_bytes=10_000)
    with TestClient(app) as c:

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(20):
                yield b"\xff" * 4096  # chunked: no Content-Length to check up front

        r = c.post("/api/v1/verify", content=chunks(), headers={"content-type": "image/jpeg"})
        assert r.status_code == 413
        r = c.post("/api/v1/verify", files={"file": ("a", photo.read_bytes() * 2)})
        assert r.status_code == 413
        assert list((app.state.ctx.inst.home / "tmp").iterdir()) == []


def test_bad_content_length_header(client: TestClient) -> None:
    r = client.post(
        "/api/v1/verify", content=b"abc", headers={"content-length": "-5", "content-type": "x/y"}
    )
    assert r.status_code == 400


def _wait_job(client: TestClient, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    seen_progress = []
    while time.monotonic() < deadline:
        j: dict[str, Any] = client.get(url).json()
        seen_progress.append(j["progress"])
        if j["status"] in ("done", "failed"):
            assert seen_progress == sorted(seen_progress)  # progress never goes back
            return j
        time.sleep(0.2)
    raise AssertionError("job did not finish")


def test_video_runs_as_a_job_with_progress(client: TestClient, corpora: Path) -> None:
    video = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    r = verify(client, video.read_bytes())
    assert r.status_code == 202
    body = r.json()
    assert body["status"] in ("queued", "running", "done")
    assert r.headers["location"] == body["status_url"]
    j = _wait_job(client, body["status_url"])
    assert j["status"] == "done", j
    assert j["progress"] == 1.0
    assert j["result"]["media"]["kind"] == "video"
    assert j["result"]["assessment"]["label"] == "unknown"


def test_signed_video_job_reads_credentials(client: TestClient, corpora: Path) -> None:
    r = verify(client, (corpora / FIX / "video1.mp4").read_bytes())
    assert r.status_code == 202
    j = _wait_job(client, r.json()["status_url"])
    assert j["status"] == "done"
    assert j["result"]["provenance"]["state"] in ("valid", "invalid")


def test_hostile_container_job_fails_cleanly(client: TestClient, corpora: Path) -> None:
    r = verify(client, (corpora / FIX / "nested_moov_1000.mp4").read_bytes())
    if r.status_code == 202:
        j = _wait_job(client, r.json()["status_url"])
        assert j["status"] == "failed"
        assert j["error"]["code"] == "malformed_media"
    else:
        assert r.status_code == 422


def test_long_audio_is_a_job_short_audio_is_not(tmp_path: Path, corpora: Path) -> None:
    wav = (corpora / FIX / "sample1.wav").read_bytes()
    with TestClient(make_app(tmp_path / "a")) as c:
        assert verify(c, wav).status_code == 200
    with TestClient(make_app(tmp_path / "b", job_audio_min_s=0.5)) as c:
        r = verify(c, wav)
        assert r.status_code == 202
        assert _wait_job(c, r.json()["status_url"])["result"]["media"]["kind"] == "audio"


def test_unknown_job_is_404(client: TestClient) -> None:
    r = client.get("/api/v1/jobs/not-a-job")
    assert r.status_code == 404
    assert set(r.json()["error"]) == {"code", "message", "hint"}


def test_anonymous_verify_is_rate_limited(tmp_path: Path, photo: Path) -> None:
    app = make_app(tmp_path / "i")
    app.state.ctx.limiter.specs["verify"] = type(app.state.ctx.limiter.specs["verify"])(
        per_minute=1, burst=2
    )
    with TestClient(app) as c:
        codes = [verify(c, photo.read_bytes()).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = verify(c, photo.read_bytes())
        assert r.json()["error"]["code"] == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        # a signed-in machine is not an anonymous client
        h = bearer(app.state.ctx.inst, "publisher", ["publish"])
        assert verify(c, photo.read_bytes(), headers=h).status_code == 200


def test_pixel_bomb_is_refused_from_the_header(client: TestClient) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    # a valid PNG header declaring 60000 x 60000 pixels (3.6 gigapixels), tiny on disk
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
    r = verify(client, png + chunk(b"IEND", b""))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "limit_exceeded"
