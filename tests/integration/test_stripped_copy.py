"""A copy whose credentials were stripped leads back to its signed original, in plain words.

Real files: a corpus photo is signed with the instance's keys, then "stripped" the way a
platform does it (decoded and re-encoded, so the C2PA manifest is gone), then verified.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mediaproof.matching.stripped import check_stored_manifest
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import Published, SignRequest, sign_and_register
from mediaproof.services.verification import verify_file
from mediaproof.storage.sql.tables import AssetRow

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
OTHER = "pdq-threatexchange/images/misc-images/c.png"


@pytest.fixture
def signed(instance: Instance, corpora: Path, tmp_path: Path) -> Published:
    return sign_and_register(
        instance,
        SignRequest(src=corpora / PHOTO, dest=tmp_path / "signed.jpg", title="Bridge at dawn",
                    watermark=False),
    )  # fmt: skip


def _strip(src: Path, dest: Path, *, half: bool = False, mirror: bool = False) -> Path:
    im = Image.open(src).convert("RGB")
    if half:
        im = im.resize((im.width // 2, im.height // 2))
    if mirror:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    im.save(dest, quality=75)
    return dest


def _verify(inst: Instance, path: Path) -> dict[str, Any]:
    return verify_file(inst, path).as_dict()


def test_stripped_copy_is_described_in_plain_words(
    instance: Instance, signed: Published, tmp_path: Path
) -> None:
    copy = _strip(signed.output, tmp_path / "copy.jpg", half=True)
    report = _verify(instance, copy)
    assert report["provenance"]["state"] == "absent"
    match = report["evidence"]["match"]
    assert match["status"] == "found"
    sc = match["data"]["stripped_copy"]
    bits = match["data"]["candidates"][0]["distance"]
    day = signed.asset.created_at.strftime("%Y-%m-%d")
    assert sc["sentence"] == (
        f"This file is a copy of “Bridge at dawn” (registered asset {signed.asset.id}), "
        f"signed by Test Election Office content signing on {day}; the credentials were "
        f"removed and the content differs from the original by {int(bits)} of 256 bits."
    )
    # originals are kept by default: the stored manifest validates fully against it
    assert sc["stored_manifest"]["checked_against"] == "registered original"
    assert sc["stored_manifest"]["state"] == "trusted"
    assert sc["stored_manifest"]["failures"] == []
    assert sc["stored_manifest"]["expected_mismatch"] == []
    assert match["summary"].startswith(sc["sentence"])
    a = report["assessment"]
    assert a["label"] == "copy_of_registered_original"
    assert not any("altered" in r.lower() or "tamper" in r.lower() for r in a["reasons"][:1])


def test_without_the_kept_original_the_mismatch_is_expected_not_tampering(
    instance: Instance, signed: Published, tmp_path: Path
) -> None:
    with instance.db.session() as s:  # an instance that does not keep originals
        row = s.get(AssetRow, signed.asset.id)
        assert row is not None
        row.original_blob = None
    copy = _strip(signed.output, tmp_path / "mirror.jpg", mirror=True)
    report = _verify(instance, copy)
    sc = report["evidence"]["match"]["data"]["stripped_copy"]
    sm = sc["stored_manifest"]
    assert sm["checked_against"] == "this copy"
    assert sm["expected_mismatch"] == ["assertion.dataHash.mismatch"]
    assert sm["failures"] == []
    assert sm["state"] == "trusted"
    assert "not a sign of tampering" in sc["validity"]
    a = report["assessment"]
    assert a["label"] == "copy_of_registered_original"
    assert a["label"] not in ("signed_but_altered", "signed_and_intact", "invalid_credentials")
    assert report["provenance"]["codes"] == []  # the copy's own provenance stays "absent"


def test_a_broken_stored_manifest_is_reported_invalid(
    instance: Instance, signed: Published, tmp_path: Path
) -> None:
    manifest = instance.manifest_store(signed.asset.id)
    assert manifest is not None
    # rewrite the signed title inside the claim: the signature no longer covers it
    assert manifest.count(b"Bridge at dawn") >= 1
    broken = manifest.replace(b"Bridge at dawn", b"Bridge at dusk")
    copy = _strip(signed.output, tmp_path / "copy.jpg")
    check = check_stored_manifest(instance.c2pa(), broken, "image/jpeg", copy, kept_original=None)
    assert check.state == "invalid"
    assert check.failures  # e.g. claimSignature.mismatch: counted, unlike the data hash
    intact = check_stored_manifest(instance.c2pa(), manifest, "image/jpeg", copy, None)
    assert intact.state == "trusted"


def test_signed_file_with_credentials_is_not_called_a_stripped_copy(
    instance: Instance, signed: Published
) -> None:
    report = _verify(instance, signed.output)
    assert "stripped_copy" not in report["evidence"]["match"]["data"]
    assert report["assessment"]["label"] == "signed_and_intact"


def test_unrelated_file_gets_no_copy_sentence(
    instance: Instance, signed: Published, corpora: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.png"
    Image.open(corpora / OTHER).save(other)
    report = _verify(instance, other)
    assert report["evidence"]["match"]["status"] == "not_found"
    assert "stripped_copy" not in report["evidence"]["match"]["data"]
    assert report["assessment"]["label"] == "unknown"


def test_stripped_video_copy_leads_back_with_its_frames(
    instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    """A signed MP4 re-encoded at lower resolution with its metadata dropped: the frames
    lead back; the stored manifest's BMFF hash cannot match the copy, and that is said to
    be expected rather than called tampering."""
    src = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    pub = sign_and_register(
        instance, SignRequest(src=src, dest=tmp_path / "signed.mp4", title="Doorknob",
                              watermark=False),
    )  # fmt: skip
    copy = tmp_path / "copy.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(pub.output), "-map_metadata", "-1",
         "-vf", "scale=640:-2", "-c:v", "libx264", "-crf", "30", "-c:a", "aac", str(copy)],
        check=True, timeout=120,
    )  # fmt: skip
    with instance.db.session() as s:  # check against the copy, not the kept original
        row = s.get(AssetRow, pub.asset.id)
        assert row is not None
        row.original_blob = None
    report = _verify(instance, copy)
    assert report["provenance"]["state"] == "absent"
    sc = report["evidence"]["match"]["data"]["stripped_copy"]
    assert sc["signal"] == "vpdq"  # the picture speaks first, though the sound matched too
    assert "of its video frames match the original's" in sc["sentence"]
    assert sc["sentence"].startswith(
        f"This file is a copy of “Doorknob” (registered asset {pub.asset.id})"
    )
    assert sc["stored_manifest"]["expected_mismatch"] == ["assertion.bmffHash.mismatch"]
    assert sc["stored_manifest"]["state"] == "trusted"
    assert report["assessment"]["label"] == "copy_of_registered_original"
