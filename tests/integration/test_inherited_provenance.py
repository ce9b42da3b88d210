"""Issue 14: nothing inherits provenance without positive content evidence, doctored
copies say what changed, and unverified signers never read as known ones.

Real files through the real services, with the instance keeping original pixels and
not keeping them: a registered watermark ID pasted into unrelated photos, a stripped
copy with a box over ~12 % of the frame, a signer whose self-made certificate copies
this instance's organisation; and the cases that must keep their answer (honest
re-posts, crops, a trusted signer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import Published, SignRequest, sign_and_register
from mediaproof.services.verification import verify_file
from mediaproof.watermark import embed_image, load_watermark_key
from mediaproof.watermark.mediaio import load_rgb

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
UNRELATED = ["likeness/faces/obama.jpg", "likeness/faces/two_people.jpg"]
ORG = "Test Election Office"
COPY_LIKE = {"copy_of_registered_original", "registered_original", "signed_and_intact"}


@pytest.fixture(params=[True, False], ids=["keep-pixels", "no-pixels"])
def inst(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Instance]:
    i = Instance(Settings(home=tmp_path / "inst", keep_original_pixels=request.param))
    init_keys(i.keys_dir, ORG)
    yield i
    i.close()


@pytest.fixture
def published(inst: Instance, corpora: Path, tmp_path: Path) -> Published:
    return sign_and_register(
        inst, SignRequest(src=corpora / PHOTO, dest=tmp_path / "signed.jpg", title="Bridge")
    )


def _verify(inst: Instance, path: Path) -> dict[str, Any]:
    return verify_file(inst, path).as_dict()


def _stripped(src: Path, dest: Path, edit: Any = None, q: int = 90) -> Path:
    im = Image.open(src).convert("RGB")
    if edit is not None:
        im = edit(im)
    im.save(dest, quality=q)
    return dest


def _box(im: Image.Image) -> Image.Image:
    w, h = im.size  # a box over 35 % x 35 % = 12 % of the frame, in the top left
    ImageDraw.Draw(im).rectangle(
        (int(w * 0.1), int(h * 0.1), int(w * 0.45), int(h * 0.45)), fill=(200, 30, 30)
    )
    return im


def test_pasted_mark_does_not_hand_over_provenance(
    inst: Instance, published: Published, corpora: Path, tmp_path: Path
) -> None:
    wid = published.asset.watermark_id
    assert wid is not None
    key = load_watermark_key(inst.home)
    for i, other in enumerate(UNRELATED):
        forged = tmp_path / f"forged{i}.jpg"
        pixels = np.asarray(embed_image(load_rgb(corpora / other)[:, :, :3], wid, key), np.uint8)
        Image.fromarray(pixels).save(forged, quality=92)
        r = _verify(inst, forged)
        a = r["assessment"]
        assert a["label"] not in COPY_LIKE, (other, a)
        assert a["caution"] is True
        wm = r["evidence"]["watermark"]
        # the mark is reported as found, and refused, with the reason
        assert wm["status"] == "found"
        assert wm["data"]["claimed_asset_id"] == published.asset.id
        assert wm["data"]["asset_id"] is None
        if inst.settings.keep_original_pixels:
            assert wm["data"]["mark"] == "refused_differs"
            assert a["label"] == "registered_mark_on_other_content"
            assert "copied mark" in wm["summary"] and "content differs" in wm["summary"]
        else:
            assert wm["data"]["mark"] == "refused_unchecked"
            assert a["label"] == "registered_mark_content_unchecked"
            assert "could not be checked" in wm["summary"]
        assert f"registered asset {published.asset.id}" in a["reasons"][0]
        assert "does not lend this file the original's provenance" in a["reasons"][0]
        assert "no watermark found" not in " ".join(a["reasons"]).lower()


def test_doctored_copy_is_never_a_plain_copy(
    inst: Instance, published: Published, tmp_path: Path
) -> None:
    doctored = _stripped(published.output, tmp_path / "doctored.jpg", _box)
    r = _verify(inst, doctored)
    a = r["assessment"]
    assert a["label"] not in COPY_LIKE, a
    assert a["caution"] is True
    text = " ".join(a["reasons"])
    assert "matches the registered original" not in text
    for name in ("match", "watermark"):
        summary = r["evidence"][name]["summary"]
        assert "matches the registered" not in summary and "content matches" not in summary
    if inst.settings.keep_original_pixels:
        assert a["headline"] == "Warning: a changed copy of a registered original"
        wm = r["evidence"]["watermark"]["data"]
        assert wm["mark"] == "changed_copy" and wm["asset_id"] is None
        assert 0.09 <= wm["changed"]["changed_fraction"] <= 0.14
        assert wm["changed"]["where"][0] == "top left"
        assert "top left" in a["reasons"][0] and "% of the picture" in a["reasons"][0]
    else:  # nothing to compare the box with: the mark is found and not counted
        assert a["label"] == "registered_mark_content_unchecked"


def test_honest_reposts_and_crops_still_read_as_copies(
    inst: Instance, published: Published, tmp_path: Path
) -> None:
    def half(im: Image.Image) -> Image.Image:
        return im.resize((im.width // 2, im.height // 2))

    def crop(im: Image.Image) -> Image.Image:
        w, h = im.size
        return im.crop((w // 10, h // 10, w - w // 10, h - h // 10))

    reposts = {
        "jpeg75": _stripped(published.output, tmp_path / "q75.jpg", q=75),
        "jpeg50-half": _stripped(published.output, tmp_path / "h50.jpg", half, q=50),
    }
    if inst.settings.keep_original_pixels:  # a 10 % crop defeats PDQ: keypoints decide
        reposts["crop10"] = _stripped(published.output, tmp_path / "crop.jpg", crop, q=85)
    for name, path in reposts.items():
        a = _verify(inst, path)["assessment"]
        assert a["label"] == "copy_of_registered_original", (name, a)
        assert a["caution"] is False


def _other_signer(tmp_path: Path, corpora: Path, org: str, name: str) -> Path:
    """A file signed by someone else's self-made CA whose names are ``org``."""
    other = Instance(Settings(home=tmp_path / f"other-{name}"))
    try:
        init_keys(other.keys_dir, org)
        out = tmp_path / f"{name}.jpg"
        sign_and_register(
            other, SignRequest(src=corpora / PHOTO, dest=out, title="Statement", watermark=False)
        )
    finally:
        other.close()
    return out


@pytest.mark.parametrize("org", [ORG, "TEST ELECTI0N  OFFICE", "Test Elеction Office."])
def test_impersonating_signer_is_called_out(
    inst: Instance, corpora: Path, tmp_path: Path, org: str
) -> None:
    # same name, different (untrusted) root; then case/digit/Cyrillic look-alikes
    fake = _other_signer(tmp_path, corpora, org, "fake")
    r = _verify(inst, fake)
    assert r["provenance"]["state"] == "valid"
    a = r["assessment"]
    assert a["label"] == "unverified_signer_claims_known_name", a
    assert a["caution"] is True
    assert a["headline"].startswith("Warning: claims a known signer's name")
    assert a["reasons"][0].startswith(f"Claims to be signed by “{org} content signing”")
    assert "(not verified)" in a["reasons"][0] and "impersonation" in a["reasons"][0]
    look = r["evidence"]["provenance"]["data"]["lookalike_signer"]
    assert look["known_as"] in ("this instance's own signer",) or "root" in look["known_as"]
    assert r["evidence"]["provenance"]["data"]["signer_verified"] is False


def test_unknown_untrusted_signer_is_a_claim_and_a_trusted_one_stays_trusted(
    inst: Instance, published: Published, corpora: Path, tmp_path: Path
) -> None:
    blog = _other_signer(tmp_path, corpora, "Riverside Community Blog", "blog")
    a = _verify(inst, blog)["assessment"]
    assert a["label"] == "signed_by_unverified_signer"
    assert a["caution"] is True
    assert a["reasons"][0].startswith(
        "Claims to be signed by “Riverside Community Blog content signing”"
    )
    assert "(not verified)" in a["reasons"][0] and "impersonation" not in a["reasons"][0]
    # the instance's own, trusted signature
    a = _verify(inst, published.output)["assessment"]
    assert a["label"] == "signed_and_intact" and a["caution"] is False


VOICES = "likeness/voices/librispeech_test-other"


def test_soundtrack_mark_on_other_speech_is_refused(
    inst: Instance, corpora: Path, tmp_path: Path
) -> None:
    import soundfile

    from mediaproof.watermark import embed_audio
    from mediaproof.watermark.mediaio import load_audio

    samples, rate = load_audio(corpora / VOICES / "1688/1688-142285-0000.flac")
    src = tmp_path / "speech.wav"
    soundfile.write(src, samples, rate)
    pub = sign_and_register(inst, SignRequest(src=src, dest=tmp_path / "s.wav", title="Speech"))
    wid = pub.asset.watermark_id
    assert wid is not None
    # an honest re-encode (FLAC, credentials gone) is a copy: Chromaprint is the evidence
    s, r = soundfile.read(tmp_path / "s.wav")
    soundfile.write(tmp_path / "copy.flac", s, r)
    rep = _verify(inst, tmp_path / "copy.flac")
    assert rep["assessment"]["label"] == "copy_of_registered_original"
    assert rep["evidence"]["watermark"]["data"]["mark"] == "counted"
    # the same mark on other people's speech: found, and refused
    key = load_watermark_key(inst.home)
    for f in ("1688/1688-142285-0001.flac", "3005/3005-163389-0005.flac"):
        other, orate = load_audio(corpora / VOICES / f)
        forged = tmp_path / "forged.wav"
        marked = np.asarray(embed_audio(other, orate, wid, key), np.float32)
        soundfile.write(forged, np.clip(marked, -1.0, 1.0), orate)
        rep = _verify(inst, forged)
        wm = rep["evidence"]["watermark"]
        assert wm["status"] == "found" and wm["data"]["mark"] == "refused_differs", f
        assert wm["data"]["asset_id"] is None and wm["data"]["content_check"] == "fingerprint"
        assert wm["summary"].startswith("A copied mark: a soundtrack watermark of registered")
        assert rep["assessment"]["label"] == "registered_mark_on_other_content"
        assert rep["assessment"]["caution"] is True


BRIDGE_MODS = [
    "blur-a-little.jpg", "blur-a-lot.jpg", "high-contrast.jpg", "high-saturation.jpg",
    "sharpen-a-little.jpg", "sharpen-a-lot.jpg", "shrink-a-little.jpg", "shrink-a-lot.jpg",
    "square-512x512.jpg",
]  # fmt: skip


def test_corpus_edits_of_a_registered_photo_are_plain_copies(corpora: Path, tmp_path: Path) -> None:
    """ThreatExchange's bridge-mods (filters, resizes, squashes of the same photo) against
    the registered unmarked original, pixels kept: the difference map runs on each, and
    none is called a changed copy."""
    inst = Instance(Settings(home=tmp_path / "inst"))
    try:
        init_keys(inst.keys_dir, ORG)
        sign_and_register(
            inst,
            SignRequest(src=corpora / PHOTO, dest=tmp_path / "s.jpg", title="B", watermark=False),
        )
        for name in BRIDGE_MODS:
            r = _verify(inst, corpora / "pdq-threatexchange/images/bridge-mods" / name)
            match = r["evidence"]["match"]["data"]
            assert "differences" in match, name  # the comparison did run
            assert "changed" not in match, (name, match["differences"])
            assert r["assessment"]["label"] == "copy_of_registered_original", name
    finally:
        inst.close()


def test_small_edit_pdq_still_matches_is_a_changed_copy_in_both_analyzers(
    inst: Instance, published: Published, tmp_path: Path
) -> None:
    def patch(im: Image.Image) -> Image.Image:
        w, h = im.size  # 2 % of the frame, bottom right: PDQ still calls it the same
        ImageDraw.Draw(im).rectangle(
            (int(w * 0.75), int(h * 0.75), int(w * 0.89), int(h * 0.89)), fill=(240, 240, 240)
        )
        return im

    r = _verify(inst, _stripped(published.output, tmp_path / "patched.jpg", patch))
    match = r["evidence"]["match"]
    assert match["status"] == "found"  # the fingerprint leads to the original
    if not inst.settings.keep_original_pixels:  # nothing to compare: a lead, said so
        assert r["assessment"]["label"] == "copy_of_registered_original"
        assert match["data"]["differences_unavailable"] is True
        assert all("could not be checked" in x for x in r["assessment"]["reasons"][:2])
        return
    assert match["data"]["changed"]["where"] == ["bottom right"]
    assert match["summary"].startswith("Changed after registration")
    wm = r["evidence"]["watermark"]
    assert wm["data"]["mark"] == "changed_copy" and wm["data"]["asset_id"] is None
    for summary in (match["summary"], wm["summary"]):
        assert "matches the registered" not in summary and "content matches" not in summary
    a = r["assessment"]
    assert a["label"] == "changed_copy_of_registered_original" and a["caution"]
