"""Issue 14 item 8: an audio clip with no signals reads "unknown" with the checks that
ran and the plain statement that mediaproof has no AI-voice detector, so "unknown" is
not read as "checked and clean". A real speech recording stands in for a cloned voice:
nothing in the file says what it is, and no check here listens for synthesis."""

from __future__ import annotations

from pathlib import Path

from mediaproof.services.instance import Instance
from mediaproof.services.verification import verify_file
from mediaproof.watermark import ensure_watermark_key

VOICE = "likeness/voices/librispeech_test-other/3005/3005-163389-0005.flac"


def test_voice_without_signals_lists_its_checks(instance: Instance, corpora: Path) -> None:
    r = verify_file(instance, corpora / VOICE).as_dict()
    a = r["assessment"]
    assert a["label"] == "unknown" and a["caution"] is False
    text = " ".join(a["reasons"])
    assert "no AI-voice detector" in text
    checks = {c["check"]: c for c in a["checks"]}
    fp = checks["audio fingerprint (Chromaprint) against registered originals"]
    assert fp["ran"] and fp["result"] == "not_found"
    assert checks["Content Credentials (C2PA)"]["ran"]
    # a fresh instance has no watermark key: the soundtrack mark was not looked for
    wm = checks["this instance's soundtrack watermark"]
    assert not wm["ran"] and wm["note"] == "this instance has no watermark key"
    assert "Not checked: this instance's soundtrack watermark (this instance has no" in text
    assert checks["AI-voice detector"]["result"] == "does_not_exist"
    assert "Checked, and nothing found: Content Credentials (C2PA)" in text
    assert "audio fingerprint (Chromaprint)" in text


def test_with_a_key_the_soundtrack_mark_is_listed_as_checked(
    instance: Instance, corpora: Path
) -> None:
    ensure_watermark_key(instance.home)
    a = verify_file(instance, corpora / VOICE).as_dict()["assessment"]
    checks = {c["check"]: c for c in a["checks"]}
    assert checks["this instance's soundtrack watermark"]["ran"]
    nothing = next(r for r in a["reasons"] if r.startswith("Checked, and nothing found"))
    assert "this instance's soundtrack watermark" in nothing
    assert a["reasons"][-1].startswith("mediaproof has no AI-voice detector")


def test_photo_without_a_watermark_key_says_the_mark_was_not_checked(
    instance: Instance, tmp_path: Path
) -> None:
    from mediaproof.media.samples import sample_photo

    photo = sample_photo(tmp_path / "p.jpg", 640, 480, seed=3)
    a = verify_file(instance, photo).as_dict()["assessment"]
    assert a["label"] == "unknown"
    checks = {c["check"]: c for c in a["checks"]}
    wm = checks["this instance's invisible watermark"]
    assert not wm["ran"] and wm["note"] == "this instance has no watermark key"
    assert checks["picture fingerprint (PDQ) against registered originals"]["ran"]
    text = " ".join(a["reasons"])
    assert "Not checked: this instance's invisible watermark (this instance has no" in text
    assert "No detector of AI-generated pictures ran on this file" in text
    assert "AI-voice" not in text
