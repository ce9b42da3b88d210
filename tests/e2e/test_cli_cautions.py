"""Issue 14 in the CLI: an impersonating signer is a marked caution in the human output
and a flag in the JSON; a trusted signer is neither."""

from __future__ import annotations

import json
from pathlib import Path

from mediaproof.media.samples import sample_photo
from tests.e2e.test_cli import mp


def test_impostor_is_a_caution_in_text_and_json(tmp_path: Path) -> None:
    home, impostor = tmp_path / "h", tmp_path / "impostor"
    mp(home, "keys", "init", "--org", "County Elections")
    mp(impostor, "keys", "init", "--org", "County Elections")  # same name, own root
    src = sample_photo(tmp_path / "p.jpg", 400, 300)
    fake, real = tmp_path / "fake.jpg", tmp_path / "real.jpg"
    mp(impostor, "sign", str(src), "-o", str(fake), "--title", "Statement")
    mp(home, "sign", str(src), "-o", str(real), "--title", "Statement")

    rep = json.loads(mp(home, "verify", str(fake), "--json").stdout)
    a = rep["assessment"]
    assert a["label"] == "unverified_signer_claims_known_name" and a["caution"] is True
    assert rep["evidence"]["provenance"]["data"]["lookalike_signer"]["known_name"] == (
        "County Elections"
    )
    human = mp(home, "verify", str(fake)).stdout
    assert "⚠ Warning: claims a known signer's name, but is not verified" in human
    assert "Claims to be signed by “County Elections content signing” (not verified)" in human
    assert "NOT VERIFIED" in human

    rep = json.loads(mp(home, "verify", str(real), "--json").stdout)
    assert rep["assessment"]["label"] == "signed_and_intact"
    assert rep["assessment"]["caution"] is False
    human = mp(home, "verify", str(real)).stdout
    assert "⚠" not in human and "NOT VERIFIED" not in human
