"""sign embeds the watermark before the C2PA signature; verify counts a decoded ID only
when it is registered and the content is the registered original's (up to crop, scale
and small rotation), so a mark pasted onto other content inherits nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, sign_and_register
from mediaproof.services.verification import verify_file
from mediaproof.watermark import embed_image, load_watermark_key
from mediaproof.watermark.mediaio import load_rgb

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
OTHER = "likeness/faces/obama.jpg"


def test_watermark_through_sign_and_verify(
    instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=corpora / PHOTO, dest=signed, title="Bridge"))
    wid = pub.asset.watermark_id
    assert wid is not None and instance.asset_by_watermark_id(wid) == pub.asset
    r = verify_file(instance, signed).as_dict()
    assert r["provenance"]["state"] == "trusted"
    assert [a["action"] for a in r["provenance"]["actions"]] == ["c2pa.created", "c2pa.watermarked"]
    assert r["provenance"]["soft_bindings"][0]["alg"].startswith("io.mediaproof.watermark")
    wm = r["evidence"]["watermark"]
    assert wm["data"]["asset_id"] == pub.asset.id and wm["data"]["content_matches"] is True

    # a repost chain that defeats the fingerprint: crop, 1 degree, 0.6 scale, JPEG 70
    im = Image.open(signed).convert("RGB")
    w, h = im.size
    copy = tmp_path / "repost.jpg"
    im.crop((w // 10, h // 10, w - w // 10, h - h // 10)).resize(
        (int(w * 0.8 * 0.6), int(h * 0.8 * 0.6))
    ).rotate(1).save(copy, quality=70)
    r = verify_file(instance, copy).as_dict()
    assert r["provenance"]["state"] == "absent"
    assert r["evidence"]["match"]["status"] == "not_found"  # PDQ cannot follow this copy
    wm = r["evidence"]["watermark"]
    assert wm["data"]["asset_id"] == pub.asset.id and wm["data"]["content_matches"] is True
    assert r["assessment"]["label"] == "copy_of_registered_original"

    # the same ID embedded into someone else's picture does not inherit provenance
    forged = tmp_path / "forged.jpg"
    key = load_watermark_key(instance.home)
    pixels = np.asarray(embed_image(load_rgb(corpora / OTHER)[:, :, :3], wid, key), np.uint8)
    Image.fromarray(pixels).save(forged, quality=92)
    r = verify_file(instance, forged).as_dict()
    wm = r["evidence"]["watermark"]
    assert wm["data"]["claimed_asset_id"] == pub.asset.id
    assert wm["data"]["asset_id"] is None and wm["data"]["content_matches"] is False
    assert "differs" in wm["summary"]
    assert r["assessment"]["label"] == "registered_mark_on_other_content"  # found, refused


def test_unregistered_id_is_not_counted(instance: Instance, corpora: Path, tmp_path: Path) -> None:
    from mediaproof.watermark import ensure_watermark_key

    key = ensure_watermark_key(instance.home)
    pixels = np.asarray(embed_image(load_rgb(corpora / PHOTO)[:, :, :3], 424242, key), np.uint8)
    p = tmp_path / "marked.jpg"
    Image.fromarray(pixels).save(p, quality=92)
    wm = verify_file(instance, p).as_dict()["evidence"]["watermark"]
    assert wm["status"] == "not_found" and wm["data"]["asset_id"] is None
    assert "not registered" in wm["summary"]


def test_no_watermark_option_and_small_images(
    instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    a = sign_and_register(
        instance,
        SignRequest(src=corpora / PHOTO, dest=tmp_path / "a.jpg", title="t", watermark=False),
    )
    assert a.asset.watermark_id is None
    small = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/earth_apollo17.jpg"  # 375 px
    b = sign_and_register(instance, SignRequest(src=small, dest=tmp_path / "b.jpg", title="t"))
    assert b.asset.watermark_id is None


def test_credentialed_input_is_marked_and_keeps_its_parent(
    instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    """A file that already carries C2PA credentials is watermarked too: the marked pixels
    are signed and the untouched input stays the parent ingredient, credentials and all."""
    src = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/CA.jpg"  # 1024 px, signed
    assert verify_file(instance, src).as_dict()["provenance"]["state"] != "absent"
    signed = tmp_path / "resigned.jpg"
    pub = sign_and_register(instance, SignRequest(src=src, dest=signed, title="From the camera"))
    assert pub.asset.watermark_id is not None
    r = verify_file(instance, signed).as_dict()
    prov = r["provenance"]
    assert prov["state"] == "trusted"
    assert [a["action"] for a in prov["actions"]] == ["c2pa.opened", "c2pa.watermarked"]
    parents = prov["ingredients"]
    assert [i["relationship"] for i in parents] == ["parentOf"] and parents[0]["has_credentials"]
    assert prov["soft_bindings"][0]["alg"].startswith("io.mediaproof.watermark")
    wm = r["evidence"]["watermark"]
    assert wm["data"]["asset_id"] == pub.asset.id and wm["data"]["content_matches"] is True
    # the pixels really changed (a mark, not a copy) and the input file did not
    assert load_rgb(signed).shape == load_rgb(src).shape
    assert not np.array_equal(load_rgb(signed), load_rgb(src))


def _profile() -> bytes:
    """An ICC profile; lcms stamps the creation time into it, so make it once a test."""
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def test_marking_keeps_colour_profile_exif_and_alpha(
    instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    """The watermark changes pixels only: a phone photo keeps its colour profile and
    camera data (stored upright, orientation tag dropped), a logo keeps its transparency."""
    upright = np.asarray(Image.open(corpora / PHOTO).convert("RGB"))
    src = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8298] = "(c) County Elections Office"  # Copyright
    exif[0x0112] = 6  # stored sideways: shown rotated 90 degrees clockwise
    sideways = Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1)))
    icc = _profile()
    sideways.save(src, quality=95, icc_profile=icc, exif=exif.tobytes())
    out = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=src, dest=out, title="Phone photo"))
    assert pub.asset.watermark_id is not None
    with Image.open(out) as im:
        assert im.info.get("icc_profile") == icc
        kept = im.getexif()
        assert kept[0x010F] == "PhoneMaker" and kept[0x8298].startswith("(c) County")
        assert 0x0112 not in kept  # the pixels are upright now
        assert im.size == (upright.shape[1], upright.shape[0])
        diff = np.abs(np.asarray(im.convert("RGB"), np.float64) - upright)
        assert diff.mean() < 3  # the same picture, the same way up
    wm = verify_file(instance, out).as_dict()["evidence"]["watermark"]
    assert wm["data"]["asset_id"] == pub.asset.id

    # a PNG graphic with a transparent background
    rgba = np.dstack([upright[:600, :800], np.zeros(upright[:600, :800].shape[:2], np.uint8)])
    rgba[100:500, 100:700, 3] = 255
    rgba[250:350, :, 3] = 128
    logo = tmp_path / "logo.png"
    Image.fromarray(rgba, "RGBA").save(logo)
    out_png = tmp_path / "logo-signed.png"
    marked = sign_and_register(instance, SignRequest(src=logo, dest=out_png, title="Logo"))
    assert marked.asset.watermark_id is not None
    with Image.open(out_png) as im:
        assert im.mode == "RGBA"
        assert np.array_equal(np.asarray(im)[:, :, 3], rgba[:, :, 3])


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = (np.arange(300 * 400, dtype=np.uint32).reshape(300, 400) % 65536).astype(np.uint16)
    p = tmp_path / "g16.png"
    Image.fromarray(ramp).save(p)
    px = load_rgb(p)
    assert px.shape == (300, 400, 3)
    assert np.array_equal(px[:, :, 0], (ramp >> 8).astype(np.uint8))


def test_a_colour_jpeg_is_marked_on_its_y_plane(
    instance: Instance, corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No RGB frame for a colour JPEG: its Y plane takes the mark, Cb and Cr are written
    back as decoded (re-encoded at the source's 4:2:0, quality 95), and the mark reads."""
    from mediaproof.services import watermarking
    from mediaproof.watermark.mediaio import load_jpeg_ycbcr

    rgb_reads: list[str] = []
    real = watermarking.load_for_marking

    def spy(path: Path) -> object:
        rgb_reads.append(path.suffix)  # the real reader runs; the spy notes the format
        return real(path)

    monkeypatch.setattr(watermarking, "load_for_marking", spy)
    out = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=corpora / PHOTO, dest=out, title="Y"))
    assert rgb_reads == []
    src, signed = load_jpeg_ycbcr(corpora / PHOTO), load_jpeg_ycbcr(out)
    assert src is not None and signed is not None
    a = np.asarray(src[0], dtype=np.float64)
    b = np.asarray(signed[0], dtype=np.float64)
    # chroma: subsampled again as the source was, requantised at quality 95; luminance:
    # the mark on top of that
    assert np.abs(a[:, :, 1:] - b[:, :, 1:]).mean() < 0.6
    assert 0.3 < np.abs(a[:, :, 0] - b[:, :, 0]).mean() < 3
    wm = verify_file(instance, out).as_dict()["evidence"]["watermark"]
    assert wm["data"]["asset_id"] == pub.asset.id

    png = tmp_path / "in.png"
    Image.open(corpora / PHOTO).save(png)
    sign_and_register(instance, SignRequest(src=png, dest=tmp_path / "s.png", title="P"))
    assert rgb_reads == [".png"]


@pytest.mark.parametrize(
    ("subsampling", "factors"),
    [("4:2:0", [(2, 2), (1, 1), (1, 1)]), ("4:4:4", [(1, 1)] * 3)],
)
def test_a_signed_jpeg_keeps_its_sources_chroma_subsampling(
    instance: Instance, corpora: Path, tmp_path: Path, subsampling: str, factors: object
) -> None:
    """The lead's rule: a marked JPEG is written at its source's chroma subsampling (the
    mark is luminance-only); the PDQ registered from the pixels written is the written
    file's, and the mark reads."""
    from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER, fingerprint_image
    from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository

    src = tmp_path / f"src-{subsampling.replace(':', '')}.jpg"
    Image.open(corpora / PHOTO).convert("RGB").save(src, quality=90, subsampling=subsampling)
    out = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=src, dest=out, title="S"))
    with Image.open(out) as im:
        assert [tuple(c[1:3]) for c in im.layer] == factors  # type: ignore[attr-defined]
    fp = fingerprint_image(out)
    with instance.db.session() as s:
        rows = FingerprintRepository(s).for_asset(pub.asset.id)
    pdq = {e.variant: e.value for e in rows if e.signal == "pdq"}
    assert set(pdq) == {d.value for d in DIHEDRAL_ORDER}
    for d, h in zip(DIHEDRAL_ORDER, fp.dihedral, strict=True):
        value = pdq[d.value]
        assert value is not None and h.distance(value) <= 4, d
    wm = verify_file(instance, out).as_dict()["evidence"]["watermark"]
    assert wm["data"]["asset_id"] == pub.asset.id
