"""The C2PA Soft Binding Resolution API over the registry."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, publish

ALG = "io.mediaproof.sha256"


@pytest.fixture
def released(client: TestClient, inst: Any, photo: Path) -> tuple[dict[str, Any], bytes]:
    h = bearer(inst, "publisher", ["publish"])
    pub = publish(client, h, photo)
    return pub, client.get(pub["download_url"], headers=h).content


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_supported_algorithms(client: TestClient) -> None:
    assert client.get("/services/supportedAlgorithms").json() == {
        "watermarks": [],
        "fingerprints": [{"alg": ALG}],
    }


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
    # the unsigned original is not the registered file
    r = client.post("/matches/byContent", content=photo.read_bytes())
    assert r.json() == {"matches": []}
    # a hint is looked up too
    hint = b64(hashlib.sha256(signed).digest())
    r = client.post(
        "/matches/byContent",
        params={"hintAlg": ALG, "hintValue": hint},
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
