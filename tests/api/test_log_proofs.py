"""Asset records carry the inclusion proof of their registration in the instance's log,
and that proof checks out with the log's own verification code."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediaproof.errors import MediaproofError
from mediaproof.media.samples import sample_photo
from mediaproof.transparency.merkle import verify_inclusion
from mediaproof.transparency.note import Ed25519Verifier
from mediaproof.transparency.proof import verify_tlog_proof
from tests.api.conftest import bearer, publish


def test_registration_proof_verifies(
    client: TestClient, inst: Any, photo: Path, tmp_path: Path
) -> None:
    h = bearer(inst, "publisher", ["publish"])
    first = publish(client, h, photo)["asset"]
    other = sample_photo(tmp_path / "o.jpg", 320, 240, seed=3)
    second = publish(client, h, other, title="Second")["asset"]
    # the log's key as the instance publishes it, not as the response claims it
    key = Ed25519Verifier.from_vkey((inst.home / "log" / "log.vkey").read_text().strip())
    seen = set()
    for a in (first, second):
        view = client.get(f"/api/v1/assets/{a['asset_id']}").json()["transparency"]
        assert view["configured"] is True
        p = view["inclusion_proof"]
        assert p["entry"]["type"] == "asset.registered"
        assert p["entry"]["asset_id"] == f"asset-{a['asset_id']}"
        assert p["entry"]["content_sha256"] == a["sha256"]
        assert "title" not in p["entry"]  # the public log names no people
        ok = verify_tlog_proof(p["tlog_proof"].encode(), key)
        assert ok.index == p["index"] and ok.leaf_hash.hex() == p["leaf_hash"]
        assert ok.checkpoint.checkpoint.size == p["tree_size"]
        # the JSON fields alone also verify against the signed root
        verify_inclusion(
            bytes.fromhex(p["leaf_hash"]),
            p["index"],
            p["tree_size"],
            [bytes.fromhex(x) for x in p["hashes"]],
            base64.b64decode(p["root_hash"]),
        )
        seen.add(p["index"])
        page = client.get(f"/assets/{a['asset_id']}").text
        assert f'<strong id="log-index">{p["index"]}</strong>' in page
        assert p["leaf_hash"] in page and "What this proves" in page
    assert len(seen) == 2
    # a tampered proof fails the log's own check
    p = client.get(f"/api/v1/assets/{first['asset_id']}").json()["transparency"]
    proof = p["inclusion_proof"]
    bad = proof["tlog_proof"].replace(f"index {proof['index']}", f"index {proof['index'] + 1}")
    with pytest.raises(MediaproofError):
        verify_tlog_proof(bad.encode(), key)


def test_before_the_first_registration_there_is_no_log(client: TestClient) -> None:
    assert client.get("/api/v1/assets/1").status_code == 404
    page = client.get("/assets/1")
    assert page.status_code == 404
