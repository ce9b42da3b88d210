"""Verify decodes a non-JPEG image once for PDQ and the watermark reader
(services/image_reads.py): the same fingerprints, the same watermark data and the same
report as the two separate reads, on real files and the real pipeline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from mediaproof.config import Limits
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.media.ingest import ingest_file
from mediaproof.media.samples import sample_photo
from mediaproof.media.sniff import MediaKind
from mediaproof.services.image_reads import SharedImageDecode, read_image_once
from mediaproof.services.instance import Instance
from mediaproof.watermark import embed_image, ensure_watermark_key
from mediaproof.watermark.analyzer import MARKS_CACHE_KEY, read_marks

KEY = b"k" * 32


def picture(w: int, h: int, seed: int = 3) -> np.ndarray[Any, np.dtype[np.uint8]]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255) // w, (y * 255) // h, ((x + y) * 127) // (w + h)], axis=2)
    noisy = base.astype(np.float64) + rng.normal(0, 12, base.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def files(tmp: Path) -> dict[str, Path]:
    """PNGs of several modes and sizes (one over 2048 px, which PDQ box-reduces), a
    rotated one (EXIF orientation), a marked one, and a WebP, TIFF and GIF."""
    out: dict[str, Path] = {}
    px = picture(900, 640)
    out["rgb"] = tmp / "rgb.png"
    Image.fromarray(px).save(out["rgb"])
    out["marked"] = tmp / "marked.png"
    Image.fromarray(np.asarray(embed_image(px, 4242, KEY), dtype=np.uint8)).save(out["marked"])
    out["big_marked"] = tmp / "big.png"
    big = picture(2100, 1100, seed=5)
    Image.fromarray(np.asarray(embed_image(big, 77, KEY), dtype=np.uint8)).save(out["big_marked"])
    out["rgba"] = tmp / "rgba.png"
    rgba = np.dstack([px, np.full(px.shape[:2], 200, dtype=np.uint8)])
    Image.fromarray(rgba, "RGBA").save(out["rgba"])
    out["grey16"] = tmp / "grey16.png"
    Image.fromarray(px[:, :, 0].astype("<u2") * 257).save(out["grey16"])
    out["palette"] = tmp / "palette.png"
    Image.fromarray(px).convert("P").save(out["palette"])
    out["rotated"] = tmp / "rotated.png"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.asarray(embed_image(px, 9, KEY), dtype=np.uint8)).save(
        out["rotated"], exif=exif.tobytes()
    )
    for fmt, ext in (("WEBP", "webp"), ("TIFF", "tif"), ("GIF", "gif")):
        out[ext] = tmp / f"img.{ext}"
        Image.fromarray(px).save(out[ext], fmt)
    return out


@pytest.mark.parametrize("key", [KEY, None])
def test_one_decode_gives_what_the_two_reads_give(tmp_path: Path, key: bytes | None) -> None:
    limits = Limits()
    for name, path in files(tmp_path).items():
        with Image.open(path) as im:
            pixels = im.width * im.height
        got = read_image_once(path, limits, key, pixels)
        assert got is not None, name
        fps, marks = got
        assert fps == fingerprint_file(path, kind=MediaKind.IMAGE, limits=limits), name
        assert marks == read_marks(path, "image", key, pixels), name
        if key is not None and name in ("marked", "big_marked"):
            assert marks["mediaproof"]["claimed"], name  # a real read, not an empty one


def test_small_jpeg_and_unreadable_files_are_left_to_the_readers(tmp_path: Path) -> None:
    # (a JPEG under the generator marks' limit: they need its full RGB decode)
    jpg = tmp_path / "p.jpg"
    Image.fromarray(picture(600, 400)).save(jpg, quality=90)
    cut = tmp_path / "cut.png"
    Image.fromarray(picture(600, 400)).save(cut)
    cut.write_bytes(cut.read_bytes()[:5000])
    for path in (jpg, cut):
        assert read_image_once(path, Limits(), KEY, 600 * 400) is None
    big = tmp_path / "big.jpg"
    Image.fromarray(picture(2600, 1700)).save(big, quality=90)
    assert read_image_once(big, Limits(), None, 2600 * 1700) is None  # no mark to read


def jpeg_files(tmp: Path) -> dict[str, tuple[Path, int]]:
    """Large JPEGs (over the generator marks' limit): 4:2:0 and 4:4:4, sizes that are
    not multiples of 8, the EXIF orientations, greyscale, marked ones; name -> (path,
    mark id or 0)."""
    out: dict[str, tuple[Path, int]] = {}
    for i, (w, h, sub, orient, grey, wid) in enumerate(
        (
            (2600, 1700, 2, 1, False, 0),
            (2603, 1701, 0, 6, False, 0),
            (1733, 2601, 2, 3, False, 0),
            (2601, 2601, 2, 8, True, 0),  # square: decode_for_pdq's size rule
            (2400, 1900, 2, 5, False, 0),
            (2900, 2000, 2, 1, False, 4242),
            (3001, 2100, 0, 1, False, 77),
        )
    ):
        sample_photo(tmp / "photo.jpg", w, h, seed=20 + i)  # PDQ quality 100, not noise
        with Image.open(tmp / "photo.jpg") as photo:
            px = np.asarray(photo.convert("RGB"))
        if wid:
            px = np.asarray(embed_image(px, wid, KEY), dtype=np.uint8)
        im = Image.fromarray(px[:, :, 0] if grey else px)
        exif = Image.Exif()
        if orient != 1:
            exif[0x0112] = orient
        path = tmp / f"j{i}.jpg"
        im.save(path, quality=92, subsampling=sub, exif=exif.tobytes())
        out[f"j{i}-o{orient}"] = (path, wid)
    return out


def test_one_jpeg_decode_gives_the_same_marks_and_pdq_within_two_bits(tmp_path: Path) -> None:
    """The watermark data is the same bit for bit, the PDQ hash (luminance decoded at
    1/4 or 1/2, box-reduced) within 2 bits of PDQ's own 1/8 RGB decode (the corpora's
    photos enlarged to 5 and 12 MP: 0 bits in 90 of 94, 2 in the rest), and the sizes
    it reports are the same."""
    limits = Limits()
    for name, (path, wid) in jpeg_files(tmp_path).items():
        with Image.open(path) as im:
            pixels = im.width * im.height
        got = read_image_once(path, limits, KEY, pixels)
        assert got is not None, name
        fps, marks = got
        assert marks == read_marks(path, "image", KEY, pixels), name
        if wid:
            assert marks["mediaproof"]["claimed"], name
            assert marks["mediaproof"]["payload"]["asset_id"] == wid, name
        ref = fingerprint_file(path, kind=MediaKind.IMAGE, limits=limits)
        assert fps.md5 == ref.md5
        a, b = fps.image, ref.image
        assert a is not None and b is not None
        assert b.pdq.usable, name  # (ties in a featureless hash would flip freely)
        assert a.pdq.distance(b.pdq) <= 2, name
        assert a.pdq.quality == b.pdq.quality, name
        sizes = (a.width, a.height, a.hashed_width, a.hashed_height)
        assert sizes == (b.width, b.height, b.hashed_width, b.hashed_height), name


def test_verify_report_is_the_same_with_and_without_the_shared_decode(
    instance: Instance, tmp_path: Path
) -> None:
    from mediaproof.analysis.pipeline import run_analyzers
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.services.verification import analyzers_for

    ensure_watermark_key(instance.home)
    src = tmp_path / "src.png"
    Image.fromarray(picture(1200, 800, seed=11)).save(src)
    signed = tmp_path / "signed.png"
    sign_and_register(instance, SignRequest(src=src, dest=signed, title="Poster"))
    stripped = tmp_path / "stripped.png"
    with Image.open(signed) as im:
        im.convert("RGB").save(stripped)  # the same pixels, no credentials
    for path in (signed, stripped):
        media = ingest_file(path, instance.settings.limits)
        shared = analyzers_for(instance, likeness=False)
        assert isinstance(shared[2], SharedImageDecode)
        alone = [a.inner if isinstance(a, SharedImageDecode) else a for a in shared]
        one = run_analyzers(path, media, instance.settings, shared, services=instance)
        two = run_analyzers(path, media, instance.settings, alone, services=instance)
        a, b = one.as_dict(), two.as_dict()
        a.pop("analysed_at", None), b.pop("analysed_at", None)  # when, not what
        assert a == b, path.name
        wm = a["evidence"]["watermark"]["data"]
        assert wm["mediaproof"]["claimed"] and wm["watermark_id"] is not None
        assert a["evidence"]["match"]["data"]["signals"]["md5"]  # fingerprints were read


def test_the_pipeline_shares_the_read(instance: Instance, tmp_path: Path) -> None:
    from mediaproof.analysis.evidence import AnalysisContext

    ensure_watermark_key(instance.home)
    path = tmp_path / "p.png"
    Image.fromarray(picture(700, 600)).save(path)
    media = ingest_file(path, instance.settings.limits)
    ctx = AnalysisContext(path=path, media=media, settings=instance.settings, services=instance)

    class Nothing:
        name = "match"

        def analyze(self, ctx: AnalysisContext) -> Any:
            return None

    SharedImageDecode(Nothing()).analyze(ctx)  # type: ignore[arg-type]
    assert "fingerprints" in ctx.cache
    key, marks = ctx.cache[MARKS_CACHE_KEY]
    assert key == (instance.home / "keys" / "watermark.key").read_bytes()
    assert marks == read_marks(path, "image", key, 700 * 600)


_BITS_APART = re.compile(r"\b(\d+) of 256 bits\b")


def _bits_apart(assessment: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The PDQ distances an assessment's reasons quote (summed), and the assessment with
    each written as N."""
    text = json.dumps(assessment, sort_keys=True)
    bits = sum(int(n) for n in _BITS_APART.findall(text))
    return bits, json.loads(_BITS_APART.sub("N of 256 bits", text))


def test_verify_of_a_large_jpeg_decides_the_same_with_the_shared_decode(
    instance: Instance, tmp_path: Path
) -> None:
    """A signed 4.7 MP JPEG and a stripped re-encode: the shared decode is used, and the
    verdict, watermark evidence and matched assets are those of the two reads."""
    from mediaproof.analysis.pipeline import run_analyzers
    from mediaproof.services.image_reads import FINGERPRINTS_CACHE_KEY
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.services.verification import analyzers_for

    ensure_watermark_key(instance.home)
    src = tmp_path / "src.jpg"
    sample_photo(src, 2600, 1800, seed=13)
    signed = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=src, dest=signed, title="Poster"))
    stripped = tmp_path / "stripped.jpg"
    with Image.open(signed) as im:
        im.convert("RGB").save(stripped, quality=85)
    for path in (signed, stripped):
        media = ingest_file(path, instance.settings.limits)
        shared = analyzers_for(instance, likeness=False)
        assert isinstance(shared[2], SharedImageDecode)
        alone = [a.inner if isinstance(a, SharedImageDecode) else a for a in shared]
        one = run_analyzers(path, media, instance.settings, shared, services=instance)
        two = run_analyzers(path, media, instance.settings, alone, services=instance)
        a, b = one.as_dict(), two.as_dict()
        # The watermark key is random per run, so the stripped copy's pixels are too: the
        # shared read's PDQ may land up to 2 bits from the separate read's (module docs),
        # and the reason quotes that distance. Everything else must be the same.
        (da, ra), (db, rb) = _bits_apart(a["assessment"]), _bits_apart(b["assessment"])
        assert ra == rb, path.name
        assert abs(da - db) <= 2, (path.name, da, db)
        assert a["provenance"]["state"] == b["provenance"]["state"]
        assert a["evidence"]["watermark"] == b["evidence"]["watermark"], path.name
        assert a["evidence"]["watermark"]["data"]["asset_id"] == pub.asset.id
        ma, mb = a["evidence"]["match"]["data"], b["evidence"]["match"]["data"]
        assert ma["matched_assets"] == mb["matched_assets"] == [str(pub.asset.id)], path.name
        assert {k: v["status"] for k, v in a["evidence"].items()} == {
            k: v["status"] for k, v in b["evidence"].items()
        }
    # and the shared step did run (the two reads could agree by themselves)
    from mediaproof.analysis.evidence import AnalysisContext

    media = ingest_file(stripped, instance.settings.limits)
    ctx = AnalysisContext(path=stripped, media=media, settings=instance.settings, services=instance)

    class Nothing:
        name = "match"

        def analyze(self, ctx: AnalysisContext) -> Any:
            return None

    SharedImageDecode(Nothing()).analyze(ctx)  # type: ignore[arg-type]
    assert FINGERPRINTS_CACHE_KEY in ctx.cache and MARKS_CACHE_KEY in ctx.cache
