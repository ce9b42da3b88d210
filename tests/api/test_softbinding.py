"""The C2PA Soft Binding Resolution API over the registry."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.fingerprint.pdq import fingerprint_image
from mediaproof.media.samples import sample_photo
from mediaproof.services.softbinding import pdq_similarity
from tests.api.conftest import bearer, publish

ALG = "io.mediaproof.sha256"
PDQ = "io.mediaproof.pdq"
WM = "io.mediaproof.watermark.ss-dct.v1"
WM_AUDIO = "io.mediaproof.watermark.ss-audio.v1"


@pytest.fixture
def released(client: TestClient, inst: Any, photo: Path) -> tuple[dict[str, Any], bytes]:
    h = bearer(inst, "publisher", ["publish"])
    pub = publish(client, h, photo)
    return pub, client.get(pub["download_url"], headers=h).content


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_supported_algorithms(client: TestClient) -> None:
    assert client.get("/services/supportedAlgorithms").json() == {
        "watermarks": [
            {"alg": "io.mediaproof.watermark.ss-dct.v1"},
            {"alg": "io.mediaproof.watermark.ss-audio.v1"},
        ],
        "fingerprints": [{"alg": ALG}, {"alg": PDQ}],
    }


def stripped_reencoded(src: bytes, dest: Path, quality: int = 80) -> Path:
    """What a re-post does: decode, re-encode smaller, no metadata (so no manifest)."""
    with Image.open(io.BytesIO(src)) as im:
        im.convert("RGB").save(dest, "JPEG", quality=quality)
    return dest


def test_stripped_copy_resolves_by_pdq(client: TestClient, released: Any, tmp_path: Path) -> None:
    pub, signed = released
    label = pub["asset"]["manifest_label"]
    copy = stripped_reencoded(signed, tmp_path / "copy.jpg")
    assert b"c2pa" not in copy.read_bytes()
    r = client.post("/matches/byContent", content=copy.read_bytes())
    matches = r.json()["matches"]
    assert [m["manifestId"] for m in matches] == [label]
    assert 88 <= matches[0]["similarityScore"] < 100  # near, not identical
    r = client.post("/matches/byContent", params={"alg": PDQ}, content=copy.read_bytes())
    assert [m["manifestId"] for m in r.json()["matches"]] == [label]
    # the SHA-256 resolver alone does not know the copy
    r = client.post("/matches/byContent", params={"alg": ALG}, content=copy.read_bytes())
    assert r.json() == {"matches": []}
    # byBinding with the copy's own PDQ hash
    h = fingerprint_image(copy, dihedral=False).pdq
    r = client.get("/matches/byBinding", params={"alg": PDQ, "value": b64(h.value)})
    assert [m["manifestId"] for m in r.json()["matches"]] == [label]
    # a mirrored copy matches a stored dihedral variant
    with Image.open(copy) as im:
        im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "m.jpg", quality=85)
    r = client.post("/matches/byContent", content=(tmp_path / "m.jpg").read_bytes())
    assert [m["manifestId"] for m in r.json()["matches"]] == [label]


def test_pdq_threshold_and_quality_gate(client: TestClient, released: Any, tmp_path: Path) -> None:
    _, signed = released
    # the registered file's own plain hash is what the registry stored (same pipeline)
    stored = fingerprint_image(_write(tmp_path, signed), dihedral=False).pdq.value
    base = int.from_bytes(stored, "big")
    inside = (base ^ ((1 << 31) - 1)).to_bytes(32, "big")  # exactly 31 bits away
    outside = (base ^ ((1 << 32) - 1)).to_bytes(32, "big")  # 32 bits away
    r = client.get("/matches/byBinding", params={"alg": PDQ, "value": b64(inside)})
    assert r.json()["matches"][0]["similarityScore"] == pdq_similarity(31) == 88
    r = client.get("/matches/byBinding", params={"alg": PDQ, "value": b64(outside)})
    assert r.json() == {"matches": []}
    # a flat image has PDQ quality under 50: it is never used to match
    Image.new("RGB", (300, 200), (128, 128, 128)).save(tmp_path / "flat.png")
    assert fingerprint_image(tmp_path / "flat.png", dihedral=False).pdq.quality < 50
    r = client.post("/matches/byContent", content=(tmp_path / "flat.png").read_bytes())
    assert r.json() == {"matches": []}
    # a PDQ value of the wrong length is a clear 400
    r = client.get("/matches/byBinding", params={"alg": PDQ, "value": b64(b"short")})
    assert r.status_code == 400 and "32-byte" in r.json()["error"]["message"]


def test_watermarked_copy_resolves_by_watermark(
    client: TestClient, inst: Any, tmp_path: Path
) -> None:
    h = bearer(inst, "publisher", ["publish"])
    src = sample_photo(tmp_path / "big.jpg", 800, 600, seed=5)
    pub = publish(client, h, src, title="Marked release")
    asset = pub["asset"]
    assert asset["watermarked"]
    label = asset["manifest_label"]
    signed = client.get(pub["download_url"], headers=h).content
    # the value as recorded in the manifest's c2pa.soft-binding assertion
    record = inst.asset(asset["asset_id"])
    recorded = inst.c2pa().read(_write(tmp_path, signed), "image/jpeg")
    assert recorded.soft_bindings == [{"alg": WM, "blocks": 1}]
    # the block's value: the ID, 8 bytes big-endian (services.watermarking)
    value = b64(record.watermark_id.to_bytes(8, "big"))
    r = client.get("/matches/byBinding", params={"alg": WM, "value": value})
    assert r.json() == {"matches": [{"manifestId": label, "similarityScore": 100}]}
    # the audio scheme's name does not resolve an image's mark
    r = client.get("/matches/byBinding", params={"alg": WM_AUDIO, "value": value})
    assert r.json() == {"matches": []}
    # a stripped, cropped copy (PDQ no longer follows a 20 % crop) resolves by its mark
    with Image.open(io.BytesIO(signed)) as im:
        im.convert("RGB").crop((80, 60, 720, 540)).save(tmp_path / "crop.jpg", quality=85)
    body = (tmp_path / "crop.jpg").read_bytes()
    r = client.post("/matches/byContent", params={"alg": PDQ}, content=body)
    assert r.json() == {"matches": []}
    r = client.post("/matches/byContent", content=body)
    assert r.json() == {"matches": [{"manifestId": label, "similarityScore": 100}]}
    # an unmarked image resolves to nothing by watermark
    r = client.post("/matches/byContent", params={"alg": WM}, content=src.read_bytes())
    assert r.json() == {"matches": []}


def _write(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "signed.jpg"
    p.write_bytes(data)
    return p


def test_by_binding_get_and_post(client: TestClient, released: Any) -> None:
    pub, signed = released
    label = pub["asset"]["manifest_label"]
    value = b64(hashlib.sha256(signed).digest())
    r = client.get("/matches/byBinding", params={"alg": ALG, "value": value})
    assert r.json() == {"matches": [{"manifestId": label, "similarityScore": 100}]}
    r = client.post("/matches/byBinding", json={"alg": ALG, "value": value})
    assert r.json()["matches"][0]["manifestId"] == label
    urlsafe = base64.urlsafe_b64encode(hashlib.sha256(signed).digest()).decode().rstrip("=")
    r = client.get("/matches/byBinding", params={"alg": ALG, "value": urlsafe})
    assert len(r.json()["matches"]) == 1


def test_by_binding_misses_and_unknown_algorithms(client: TestClient, released: Any) -> None:
    _, signed = released
    other = b64(hashlib.sha256(b"other").digest())
    assert client.get("/matches/byBinding", params={"alg": ALG, "value": other}).json() == {
        "matches": []
    }
    value = b64(hashlib.sha256(signed).digest())
    r = client.get("/matches/byBinding", params={"alg": "com.example.wm", "value": value})
    assert r.json() == {"matches": []}


def test_by_binding_bad_input(client: TestClient) -> None:
    r = client.get("/matches/byBinding", params={"alg": ALG, "value": "!!!not base64"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "usage"
    r = client.get("/matches/byBinding", params={"alg": ALG, "value": "AAAA", "maxResults": 0})
    assert r.status_code == 400
    r = client.get("/matches/byBinding", params={"alg": ALG})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_by_content(client: TestClient, released: Any, photo: Path) -> None:
    pub, signed = released
    r = client.post("/matches/byContent", content=signed, headers={"content-type": "image/jpeg"})
    assert r.json()["matches"][0]["manifestId"] == pub["asset"]["manifest_label"]
    # the unsigned original is not the registered file, though it looks the same (PDQ)
    r = client.post("/matches/byContent", params={"alg": ALG}, content=photo.read_bytes())
    assert r.json() == {"matches": []}
    r = client.post("/matches/byContent", content=photo.read_bytes())
    assert r.json()["matches"][0]["manifestId"] == pub["asset"]["manifest_label"]
    # a hint is looked up too
    hint = b64(hashlib.sha256(signed).digest())
    r = client.post(
        "/matches/byContent",
        params={"alg": ALG, "hintAlg": ALG, "hintValue": hint},
        content=photo.read_bytes(),
    )
    assert len(r.json()["matches"]) == 1
    r = client.post("/matches/byContent", params={"alg": "com.example.fp"}, content=signed)
    assert r.json() == {"matches": []}


def test_manifest_by_id(client: TestClient, released: Any) -> None:
    pub, _ = released
    label = pub["asset"]["manifest_label"]
    r = client.get(f"/manifests/{label}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/c2pa"
    assert b"jumb" in r.content[:64] and b"c2pa" in r.content[:64]
    r = client.get("/manifests/urn:c2pa:nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


class FakeWatermark:
    """What a watermark scheme plugs in: its own algorithm, its own lookups."""

    def supported(self) -> Any:
        from mediaproof.services.softbinding import SupportedAlgorithms

        return SupportedAlgorithms(watermarks=("com.example.wm",), fingerprints=())

    def by_binding(self, alg: str, value: bytes, max_results: int) -> list[Any]:
        from mediaproof.services.softbinding import SoftBindingMatch

        if alg == "com.example.wm" and value == b"\x01\x02":
            return [SoftBindingMatch("urn:c2pa:from-watermark", 87, 1)]
        return []

    def by_content(self, alg: str | None, path: Path, max_results: int) -> list[Any]:
        return []


def test_other_schemes_plug_in(tmp_path: Path) -> None:
    from mediaproof.api import create_app
    from mediaproof.services.softbinding import ResolverChain, Sha256Resolver
    from tests.api.conftest import make_settings

    app = create_app(
        make_settings(tmp_path / "i"),
        resolver=lambda inst: ResolverChain(Sha256Resolver(inst), FakeWatermark()),
    )
    with TestClient(app) as c:
        assert c.get("/services/supportedAlgorithms").json() == {
            "watermarks": [{"alg": "com.example.wm"}],
            "fingerprints": [{"alg": ALG}],
        }
        r = c.get("/matches/byBinding", params={"alg": "com.example.wm", "value": b64(b"\1\2")})
        assert r.json() == {
            "matches": [{"manifestId": "urn:c2pa:from-watermark", "similarityScore": 87}]
        }


def test_by_content_refuses_bombs_and_unknown_types(client: TestClient) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    # 3.6 gigapixels declared in a tiny PNG: refused from the header, never decoded
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
    r = client.post("/matches/byContent", content=png + chunk(b"IEND", b""))
    assert r.status_code == 413 and r.json()["error"]["code"] == "limit_exceeded"
    r = client.post("/matches/byContent", content=b"just some text, not media")
    assert r.status_code == 415


CLIP = "likeness/voices/librispeech_test-other/1688/1688-142285-0000.flac"


def test_audio_release_resolves_by_its_watermark(
    client: TestClient, inst: Any, corpora: Path, tmp_path: Path
) -> None:
    import soundfile as sf

    x, sr = sf.read(corpora / CLIP, dtype="float32")
    sf.write(tmp_path / "clip.wav", x[: 6 * sr], sr, format="WAV")
    h = bearer(inst, "publisher", ["publish"])
    pub = publish(client, h, tmp_path / "clip.wav", title="Radio spot")
    label = pub["asset"]["manifest_label"]
    assert pub["asset"]["watermarked"]
    signed = _write(tmp_path, client.get(pub["download_url"], headers=h).content)
    wid = inst.asset(pub["asset"]["asset_id"]).watermark_id
    r = client.get("/matches/byBinding", params={"alg": WM_AUDIO, "value": b64(wid.to_bytes(8))})
    assert r.json() == {"matches": [{"manifestId": label, "similarityScore": 100}]}
    # the image scheme's name does not resolve a sound's mark
    r = client.get("/matches/byBinding", params={"alg": WM, "value": b64(wid.to_bytes(8))})
    assert r.json() == {"matches": []}
    # a re-encoded copy without the manifest (FLAC from the signed WAV) resolves by the mark
    y, rate = sf.read(signed, dtype="float32")
    sf.write(tmp_path / "copy.flac", y, rate, format="FLAC")
    r = client.post("/matches/byContent", content=(tmp_path / "copy.flac").read_bytes())
    assert r.json() == {"matches": [{"manifestId": label, "similarityScore": 100}]}


def test_a_withdrawn_release_no_longer_resolves(
    client: TestClient, inst: Any, released: Any, tmp_path: Path
) -> None:
    pub, signed = released
    asset_id = pub["asset"]["asset_id"]
    copy = stripped_reencoded(signed, tmp_path / "copy.jpg").read_bytes()
    r = client.post("/matches/byContent", params={"alg": PDQ}, content=copy)
    assert len(r.json()["matches"]) == 1

    url = f"/api/v1/assets/{asset_id}/withdraw"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=bearer(inst, "reviewer", ["account"])).status_code == 403
    h = bearer(inst, "publisher", ["publish"])
    r = client.post(url, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["asset"]["status"] == "withdrawn"
    # at once, in this process: stripped copies stop leading back to it
    r = client.post("/matches/byContent", params={"alg": PDQ}, content=copy)
    assert r.json() == {"matches": []}
    assert client.post(url, headers=h).json()["error"]["code"] == "conflict"
    assert client.post("/api/v1/assets/99999/withdraw", headers=h).status_code == 404
    # the public record stays, saying so
    assert client.get(f"/api/v1/assets/{asset_id}").json()["asset"]["status"] == "withdrawn"
