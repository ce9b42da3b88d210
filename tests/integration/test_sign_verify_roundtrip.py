"""Sign-then-verify for every format we sign: trusted; one flipped byte: invalid;
a re-encoded copy: absent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mediaproof.media.samples import flip_content_byte
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, sign_and_register
from mediaproof.services.verification import verify_file

FIX = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"
FORMATS = {
    "jpeg": ("earth_apollo17.jpg", "image/jpeg"),
    "png": ("sample1.png", "image/png"),
    "webp": ("sample1.webp", "image/webp"),
    "tiff": ("TUSCANY.TIF", "image/tiff"),
    "avif": ("sample1.avif", "image/avif"),
    "mp4": ("video1_no_manifest.mp4", "video/mp4"),
    "mov": ("c.mov", "video/quicktime"),
    "m4a": ("sample1.m4a", "audio/mp4"),
    "wav": ("sample1.wav", "audio/wav"),
    "mp3": ("sample1.mp3", "audio/mpeg"),
    "flac": ("sample1.flac", "audio/flac"),
    "pdf": ("basic.pdf", "application/pdf"),
}
# ffmpeg re-encodes that keep the content but drop every container box we do not copy
REENCODE = {
    "mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-an"],
    "mov": ["-c:v", "libx264", "-preset", "ultrafast", "-an"],
    "m4a": ["-c:a", "aac", "-b:a", "96k"],
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "96k"],
    "flac": ["-c:a", "flac"],
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_roundtrip(instance: Instance, corpora: Path, tmp_path: Path, fmt: str) -> None:
    name, mime = FORMATS[fmt]
    src = tmp_path / f"in.{fmt}"
    shutil.copyfile(corpora / FIX / name, src)
    out = tmp_path / f"signed.{fmt}"
    pub = sign_and_register(
        instance, SignRequest(src=src, dest=out, title=f"{fmt} release", author="Press office")
    )
    report = verify_file(instance, out).as_dict()
    assert report["media"]["type"] == mime
    assert report["provenance"]["state"] == "trusted", report["provenance"]["codes"]
    assert report["provenance"]["digital_source_type"] == "digitalCapture"
    assert report["registry"]["asset_id"] == pub.asset.id
    assert report["assessment"]["label"] == "signed_and_intact"

    tampered = tmp_path / f"tampered.{fmt}"
    flip_content_byte(out, tampered)
    t = verify_file(instance, tampered).as_dict()
    assert t["provenance"]["state"] == "invalid"
    hash_codes = {
        "assertion.dataHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.boxesHash.mismatch",
    }
    assert hash_codes & set(t["provenance"]["codes"]), t["provenance"]["codes"]
    assert t["registry"]["asset_id"] is None
    assert t["assessment"]["label"] == "signed_but_altered"


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "tiff"])
def test_reencoded_image_reads_absent(
    instance: Instance, corpora: Path, tmp_path: Path, fmt: str
) -> None:
    from PIL import Image

    name, _ = FORMATS[fmt]
    out = tmp_path / f"signed.{fmt}"
    sign_and_register(instance, SignRequest(src=corpora / FIX / name, dest=out, title="x"))
    copy = tmp_path / "copy.jpg"
    with Image.open(out) as im:
        im.convert("RGB").save(copy, "JPEG", quality=80)
    r = verify_file(instance, copy).as_dict()
    assert r["provenance"]["state"] == "absent"
    # the credentials are gone, but the fingerprint leads the copy back to the original
    assert r["assessment"]["label"] == "copy_of_registered_original"
    assert r["evidence"]["match"]["data"]["matched_assets"]


@pytest.mark.parametrize("fmt", sorted(REENCODE))
def test_reencoded_av_reads_absent(
    instance: Instance, corpora: Path, tmp_path: Path, fmt: str
) -> None:
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is required (scripts/setup.sh installs it)")
    name, _ = FORMATS[fmt]
    out = tmp_path / f"signed.{fmt}"
    sign_and_register(instance, SignRequest(src=corpora / FIX / name, dest=out, title="x"))
    copy = tmp_path / f"copy.{fmt}"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(out),
            "-map_metadata",
            "-1",
            *REENCODE[fmt],
            str(copy),
        ],
        check=True,
        timeout=120,
    )
    r = verify_file(instance, copy).as_dict()
    assert r["provenance"]["state"] == "absent"
