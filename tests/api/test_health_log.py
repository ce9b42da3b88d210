"""Probes and the transparency log's static files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["database"] == "sqlite"
    assert ready["signing_keys"] is True


def test_log_not_configured(client: TestClient) -> None:
    r = client.get("/log/checkpoint")
    assert r.status_code == 404
    assert "does not publish a transparency log" in r.json()["error"]["message"]


def test_log_files_are_served_read_only(client: TestClient, inst: Any, tmp_path: Path) -> None:
    log = inst.home / "log"
    (log / "tile" / "0").mkdir(parents=True)
    (log / "checkpoint").write_text("example.org/log\n1\nAAAA\n")
    (log / "tile" / "0" / "000").write_bytes(b"\x01" * 32)
    (log / "tile" / "0" / "001.p").mkdir()
    (log / "tile" / "0" / "001.p" / "5").write_bytes(b"\x02" * 160)
    secret = tmp_path / "outside.txt"
    secret.write_text("not for you")
    os.symlink(secret, log / "tile" / "link")

    r = client.get("/log/checkpoint")
    assert r.status_code == 200 and r.text.startswith("example.org/log")
    assert r.headers["cache-control"] == "no-cache"
    r = client.get("/log/tile/0/000")
    assert r.content == b"\x01" * 32 and "immutable" in r.headers["cache-control"]
    assert client.get("/log/tile/0/001.p/5").headers["cache-control"] == "max-age=60"
    for bad in (
        "/log/../secret.key",
        "/log/%2e%2e/secret.key",
        "/log/tile/..%2f..%2fsecret.key",
        "/log/tile/link",
        "/log/tile",
        "/log/.hidden",
        "/log/tile/0/000/",
    ):
        r = client.get(bad)
        assert r.status_code == 404, bad
        assert "not for you" not in r.text and "secret" not in r.text.lower().replace(bad, "")
    assert client.post("/log/checkpoint").status_code == 405


def test_readyz_says_503_while_the_fingerprint_index_loads(app: Any, inst: Any) -> None:
    import threading
    import time

    lookup = inst.fingerprint_lookup
    gate = threading.Event()
    real = lookup._load_snapshot

    def slow_snapshot() -> bool:  # a large snapshot being mapped
        gate.wait(10)
        return bool(real())

    lookup._load_snapshot = slow_snapshot
    with TestClient(app) as client:  # the start begins loading in the background
        r = client.get("/readyz")
        assert r.status_code == 503
        assert "fingerprint index is not loaded yet (loading)" in r.json()["error"]["message"]
        gate.set()
        for _ in range(100):
            r = client.get("/readyz")
            if r.status_code == 200:
                break
            time.sleep(0.05)
        assert r.status_code == 200
        index = r.json()["fingerprint_index"]
        assert index["phase"] == "ready" and index["snapshot_rows"] == 0


def test_admin_imports_a_hash_list(client: TestClient, inst: Any) -> None:
    from tests.api.conftest import bearer

    h = bearer(inst, "admin", ["exchange:manage"])
    body = "pdq " + "ab" * 32 + "\n"
    r = client.post("/api/v1/hash-lists/bank-1/import", headers=h, content=body)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1
    bad = client.post("/api/v1/hash-lists/bank-1/import", headers=h, content="pdq zz\n")
    assert bad.status_code == 422
    assert "line 1" in bad.json()["error"]["message"]
    assert client.get("/api/v1/hash-lists", headers=h).json()[0]["entries"] == 1
    m = client.get("/api/v1/hash-lists/match", headers=h, params={"pdq": "ab" * 32}).json()
    assert m["matches"][0]["distance"] == 0


def test_readyz_names_the_blob_store_when_its_folder_cannot_be_used(
    client: TestClient, inst: Any, tmp_path: Path
) -> None:
    from mediaproof.storage.blobs import LocalBlobStore

    assert client.get("/readyz").json()["blob_store"] == "local"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    real = inst.blob_store
    inst.blob_store = LocalBlobStore(blocker / "blobs")  # a folder that cannot exist
    try:
        r = client.get("/readyz")
    finally:
        inst.blob_store = real
    assert r.status_code == 503
    err = r.json()["error"]
    assert err["code"] == "not_ready"
    assert err["message"].startswith("the blob store folder cannot be created")
    assert str(tmp_path) not in err["message"]  # no paths on a public route
    assert client.get("/readyz").status_code == 200
