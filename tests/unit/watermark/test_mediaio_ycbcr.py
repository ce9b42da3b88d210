"""A colour JPEG is marked on its own Y plane (``load_jpeg_ycbcr`` / ``with_luma`` /
``save_marked_ycbcr``): the planes are the file's, oriented as ``load_for_marking``
orients its pixels, with the same metadata; everything else is left to
``load_for_marking``; the mark on Y is the mark ``embed`` adds to R, G and B."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from mediaproof.testing.watermark_contract import KEY
from mediaproof.watermark.errors import PayloadError
from mediaproof.watermark.image import (
    WORK_AREA,
    SpreadSpectrumImageScheme,
    _resize_area,
    luminance,
    luminance_u8,
    working_luma,
)
from mediaproof.watermark.mediaio import (
    load_for_marking,
    load_jpeg_ycbcr,
    luma_plane,
    save_marked,
    save_marked_ycbcr,
    with_luma,
)
from mediaproof.watermark.models import Payload

ORIENTATION = 0x0112


def photo(
    path: Path,
    size: tuple[int, int] = (420, 300),
    orientation: int | None = None,
    mode: str = "RGB",
    **save: object,
) -> Path:
    w, h = size
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x % 255, y % 255, (x + y) % 255], axis=2).astype(np.float64)
    px = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "Test camera"  # Make
    if orientation is not None:
        exif[ORIENTATION] = orientation
    Image.fromarray(px).convert(mode).save(path, "JPEG", exif=exif.tobytes(), **save)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("orientation", [None, 1, 2, 3, 5, 6, 8])
@pytest.mark.parametrize(
    "save", [{"quality": 95, "subsampling": 0}, {"quality": 80, "progressive": True}]
)
def test_planes_are_the_files_oriented_as_load_for_marking(
    tmp_path: Path, orientation: int | None, save: dict[str, object]
) -> None:
    path = photo(tmp_path / "p.jpg", orientation=orientation, **save)
    got = load_jpeg_ycbcr(path)
    assert got is not None
    im, meta = got
    rgb, alpha, ref_meta = load_for_marking(path)
    assert im.mode == "YCbCr" and alpha is None
    assert (im.height, im.width) == rgb.shape[:2]
    assert meta == ref_meta  # EXIF without the orientation tag, the same profile
    # the planes are libjpeg's (the same as Pillow's own YCbCr decode, oriented)
    with Image.open(path) as raw:
        raw.draft("YCbCr", None)
        ref = np.asarray(ImageOps.exif_transpose(raw))
    assert np.array_equal(np.asarray(im), ref)
    assert np.array_equal(luma_plane(im), ref[:, :, 0])
    # and the same picture the same way up as the RGB decode: Y is its luminance and
    # the planes convert back to it, up to rounding (and RGB's clipping, a few pixels)
    y = luma_plane(im).astype(np.float64)
    assert float(np.abs(y - luminance_u8(rgb)).mean()) < 0.5
    back = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert float(np.abs(back - rgb).mean()) < 1.0


def test_other_images_are_left_to_load_for_marking(tmp_path: Path) -> None:
    cmyk = tmp_path / "c.jpg"
    Image.new("CMYK", (200, 100), (10, 200, 30, 40)).save(cmyk, "JPEG", quality=90)
    grey = photo(tmp_path / "g.jpg", mode="L", quality=90)
    png = tmp_path / "p.png"
    Image.open(photo(tmp_path / "p.jpg")).save(png)
    cut = tmp_path / "cut.jpg"
    full = photo(tmp_path / "full.jpg", quality=90).read_bytes()
    cut.write_bytes(full[: len(full) * 2 // 3])
    for path in (cmyk, grey, png, cut):
        assert load_jpeg_ycbcr(path) is None, path.name


def test_a_marked_plane_is_written_back_with_the_metadata(tmp_path: Path) -> None:
    path = photo(tmp_path / "p.jpg", size=(700, 500), orientation=6, quality=95)
    got = load_jpeg_ycbcr(path)
    assert got is not None
    im, meta = got
    cb_cr = np.asarray(im)[:, :, 1:].copy()
    y = luma_plane(im)
    marked = SpreadSpectrumImageScheme().embed_luma(y, Payload(9, 1), KEY)
    with_luma(im, marked)
    planes = np.asarray(im)
    assert np.array_equal(planes[:, :, 0], marked) and np.array_equal(planes[:, :, 1:], cb_cr)
    out = tmp_path / "m.jpg"
    save_marked_ycbcr(im, meta, out)
    with Image.open(out) as back:
        assert back.size == (500, 700)  # upright
        assert back.getexif()[0x010F] == "Test camera" and ORIENTATION not in back.getexif()
        # the source's chroma subsampling (Pillow's default at quality 95: 4:2:0)
        assert sampling_of(back) == sampling_of(path) == [(2, 2), (1, 1), (1, 1)]
    with pytest.raises(ValueError):
        with_luma(im, marked[:-1])


def sampling_of(src: Path | Image.Image) -> list[tuple[int, int]]:
    """The frame header's (horizontal, vertical) sampling factors of each component."""
    im = Image.open(src) if isinstance(src, Path) else src
    return [tuple(c[1:3]) for c in im.layer]  # type: ignore[attr-defined]


S444, S422, S420 = [(1, 1)] * 3, [(2, 1), (1, 1), (1, 1)], [(2, 2), (1, 1), (1, 1)]


@pytest.mark.parametrize(
    ("subsampling", "orientation", "written"),
    [
        ("4:2:0", None, S420),
        ("4:2:0", 6, S420),
        ("4:4:4", None, S444),
        ("4:2:2", None, S422),
        ("4:2:2", 3, S422),
        # a 4:2:2 source turned a quarter is 4:4:0 upright, which Pillow does not write;
        # 4:2:2 would halve the detail it kept: 4:4:4
        ("4:2:2", 6, S444),
        ("4:2:2", 8, S444),
    ],
)
def test_a_marked_jpeg_keeps_its_sources_chroma_subsampling(
    tmp_path: Path,
    subsampling: str,
    orientation: int | None,
    written: list[tuple[int, int]],
) -> None:
    """Both routes (the Y plane's and the RGB one) write a JPEG at the chroma
    subsampling its source has: never less colour detail than the source, never more."""
    path = photo(
        tmp_path / "p.jpg", size=(640, 480), orientation=orientation,
        quality=90, subsampling=subsampling,
    )  # fmt: skip
    got = load_jpeg_ycbcr(path)
    assert got is not None
    im, meta = got
    with_luma(im, SpreadSpectrumImageScheme().embed_luma(luma_plane(im), Payload(5, 1), KEY))
    save_marked_ycbcr(im, meta, tmp_path / "y.jpg")
    rgb, alpha, rgb_meta = load_for_marking(path)
    assert rgb_meta == meta
    save_marked(rgb, alpha, rgb_meta, tmp_path / "rgb.jpg", "JPEG")
    assert sampling_of(tmp_path / "y.jpg") == written
    assert sampling_of(tmp_path / "rgb.jpg") == written


def test_greyscale_cmyk_and_other_sources_write_what_they_did(tmp_path: Path) -> None:
    """Sources with no chroma subsampling to keep give the 4:4:4 JPEG they gave before:
    a greyscale JPEG (read as RGB by the RGB route), CMYK, a PNG."""
    grey = photo(tmp_path / "g.jpg", mode="L", quality=90)
    cmyk = tmp_path / "c.jpg"
    Image.new("CMYK", (200, 100), (10, 200, 30, 40)).save(cmyk, "JPEG", quality=90)
    png = tmp_path / "p.png"
    Image.open(photo(tmp_path / "p.jpg", subsampling="4:2:0")).save(png)
    for src in (grey, cmyk, png):
        rgb, alpha, meta = load_for_marking(src)
        out = tmp_path / f"out-{src.stem}.jpg"
        save_marked(rgb, alpha, meta, out, "JPEG")
        assert meta.subsampling == 0 and sampling_of(out) == S444, src.name


def test_embed_luma_adds_the_mark_embed_adds_to_rgb() -> None:
    """The mark of an image is computed from its luminance alone, and ``embed_luma``
    adds it to a Y plane rounded and saturated, as ``embed`` adds it to R, G and B."""
    rng = np.random.default_rng(3)
    # over the working area: the box reduction then the area filter (k = 2 here)
    small = rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)
    img = np.asarray(cv2.resize(small, (1400, 1000), interpolation=cv2.INTER_CUBIC), np.uint8)
    img[:100] = 0
    img[100:200] = 255
    scheme = SpreadSpectrumImageScheme(strength=20.0)  # strong: saturation is exercised
    payload = Payload(77, 2)
    y = luminance_u8(img)
    mark = scheme.mark_for_luma(y, payload, KEY)
    assert np.array_equal(scheme.mark_for(img, payload, KEY), mark)
    got = scheme.embed_luma(y, payload, KEY)
    # the sum in single precision, rounded half to even, saturated
    expect = np.clip(np.rint(y.astype(np.float32) + mark), 0, 255).astype(np.uint8)
    assert np.array_equal(got, expect)
    # which is y + rint(mark), as embed adds, but on a handful of exact halves
    plain = np.clip(y + np.rint(mark.astype(np.float64)), 0, 255)
    assert int(np.count_nonzero(got != plain)) < 1e-4 * got.size
    with pytest.raises(PayloadError):
        scheme.embed_luma(img, payload, KEY)


@pytest.mark.parametrize("size", [(4000, 3000), (4003, 2999), (1400, 1000), (640, 480), (300, 200)])
def test_working_luma_is_the_area_filter_rounded(size: tuple[int, int]) -> None:
    """The embedder's working-size luminance is the area filter of the 8-bit plane: the
    size and values of the filter on the float plane, up to rounding to grey levels."""
    rng = np.random.default_rng(11)
    small = rng.integers(0, 256, size=(size[1] // 20 + 2, size[0] // 20 + 2), dtype=np.uint8)
    y = np.asarray(cv2.resize(small, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    y = np.clip(y + rng.normal(0, 3, y.shape), 0, 255).astype(np.uint8)
    got = working_luma(y, WORK_AREA)
    ref = _resize_area(luminance(y), WORK_AREA)
    assert got.shape == ref.shape and got.dtype == np.float32
    if size[0] * size[1] <= 4 * WORK_AREA:  # up to 1 MP: the float filter, as before
        assert np.array_equal(got, ref)
    d = np.abs(got - ref)
    assert float(d.mean()) < 0.3 and float(d.max()) <= 0.51, (float(d.mean()), float(d.max()))
