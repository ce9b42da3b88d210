"""The CLI end to end, as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mediaproof.media.samples import sample_photo


def mp(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEDIAPROOF_HOME": str(home), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "mediaproof", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_demo_json(tmp_path: Path) -> None:
    out = json.loads(mp(tmp_path / "h", "demo", "--json").stdout)
    r = out["reports"]
    assert r["signed"]["provenance"]["state"] == "trusted"
    assert r["signed"]["registry"]["asset_id"] == out["asset_id"]
    assert r["stripped"]["provenance"]["state"] == "absent"
    # credentials gone, but the fingerprint leads the re-encoded copy back to the asset
    assert r["stripped"]["assessment"]["label"] == "copy_of_registered_original"
    match = r["stripped"]["evidence"]["match"]
    assert match["data"]["matched_assets"] == [str(out["asset_id"])]
    assert r["tampered"]["provenance"]["state"] == "invalid"
    assert "assertion.dataHash.mismatch" in r["tampered"]["provenance"]["codes"]


def test_keys_sign_verify_flow(tmp_path: Path) -> None:
    home = tmp_path / "h"
    mp(home, "keys", "init", "--org", "County Elections")
    for name in ("root-ca.key", "signer.key"):
        mode = stat.S_IMODE((home / "keys" / name).stat().st_mode)
        assert mode == 0o600, oct(mode)
    src = sample_photo(tmp_path / "p.jpg", 400, 300)
    signed = tmp_path / "out" / "signed.jpg"
    res = json.loads(
        mp(
            home,
            "sign",
            str(src),
            "-o",
            str(signed),
            "--title",
            "Ballot drop-off hours",
            "--author",
            "Clerk",
            "--source-type",
            "trainedAlgorithmicMedia",
            "--assert",
            'org.example.release={"ref": "PR-7"}',
            "--json",
        ).stdout
    )
    asset_id = res["asset"]["asset_id"]
    rep = json.loads(mp(home, "verify", str(signed), "--json").stdout)
    assert rep["schema"].endswith("/v2")
    assert rep["media"]["type"] == "image/jpeg" and len(rep["media"]["sha256"]) == 64
    assert rep["provenance"]["state"] == "trusted"
    assert rep["provenance"]["digital_source_type"] == "trainedAlgorithmicMedia"
    assert "org.example.release" in rep["provenance"]["assertions"]
    assert rep["registry"]["asset_id"] == asset_id
    # declared AI generation outranks "signed and intact"
    assert rep["assessment"]["label"] == "ai_generated_declared"
    assert rep["assessment"]["reasons"]
    human = mp(home, "verify", str(signed)).stdout
    assert "AI-generated, declared by County Elections" in human
    assert "trainedAlgorithmicMedia" not in rep["assessment"]["headline"]
    listing = json.loads(mp(home, "assets", "--json").stdout)
    assert listing[0]["title"] == "Ballot drop-off hours"


def test_verify_with_external_trust_anchors(tmp_path: Path, corpora: Path) -> None:
    f = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/CA.jpg"
    anchors = corpora / "c2pa-sdk-fixtures/c2pa-python/tests/trust_config_test_settings.json"
    plain = json.loads(mp(tmp_path / "h", "verify", str(f), "--json").stdout)
    assert plain["provenance"]["state"] == "valid"
    assert "signingCredential.untrusted" in plain["provenance"]["codes"]
    trusted = json.loads(
        mp(tmp_path / "h", "verify", str(f), "--trust-anchors", str(anchors), "--json").stdout
    )
    assert trusted["provenance"]["state"] == "trusted"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["verify", "/definitely/not/here.jpg"], 3, "no such file"),
        (["sign", "IN", "-o", "OUT", "--title", "t"], 78, "no signing keys"),
        (["sign", "IN", "-o", "OUT"], 2, "--title"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_errors_are_clear(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    src = sample_photo(tmp_path / "in.jpg", 64, 48)
    args = [str(src) if a == "IN" else str(tmp_path / "o.jpg") if a == "OUT" else a for a in args]
    p = mp(tmp_path / "h", *args, check=False)
    assert p.returncode == code, (p.stdout, p.stderr)
    assert message in (p.stdout + p.stderr)
    assert "Traceback" not in p.stderr


def test_malformed_input_is_a_clean_error(tmp_path: Path, corpora: Path) -> None:
    bad = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/nested_moov_1000.mp4"
    p = mp(tmp_path / "h", "verify", str(bad), "--json", check=False)
    assert p.returncode == 3
    assert "malformed" in p.stderr and "Traceback" not in p.stderr


def test_help_texts(tmp_path: Path) -> None:
    top = mp(tmp_path / "h", "--help").stdout
    for cmd in (
        "sign",
        "verify",
        "register",
        "keys",
        "demo",
        "assets",
        "hash",
        "cases",
        "likeness",
        "monitor",
    ):
        assert cmd in top


def test_hash_command(tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "p.jpg", 400, 300)
    data = json.loads(mp(tmp_path / "h", "hash", str(photo), "--json").stdout)
    assert data["kind"] == "image" and len(data["pdq"]["hash"]) == 64
    assert len(data["pdq"]["dihedral"]) == 8
