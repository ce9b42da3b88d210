"""The JPEG fast path of ``load_for_marking`` (OpenCV decodes straight into an array)
gives the same pixels and metadata as Pillow's decode, orientation included, and
leaves what it cannot match exactly (truncated files, CMYK, other formats) to Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageOps

from mediaproof.watermark import mediaio
from mediaproof.watermark.errors import WatermarkError
from mediaproof.watermark.mediaio import load_for_marking

ORIENTATION = 0x0112


def pillow_reference(
    path: Path,
) -> tuple[npt.NDArray[np.uint8], bytes | None, bytes | None]:
    """What load_for_marking returned before the fast path: Pillow's decode, oriented."""
    with Image.open(path) as raw:
        exif = raw.getexif()
        icc = raw.info.get("icc_profile")
        ImageOps.exif_transpose(raw, in_place=True)
        px = np.array(raw.convert("RGB"), dtype=np.uint8)
    if ORIENTATION in exif:
        del exif[ORIENTATION]
    return px, (exif.tobytes() if len(exif) else None), icc or None


def photo(path: Path, *, mode: str = "RGB", orientation: int | None = None, **save: object) -> Path:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:300, 0:420]
    base = np.stack([x % 255, y % 255, (x + y) % 255], axis=2).astype(np.float64)
    px = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    im = Image.fromarray(px).convert(mode)
    exif = Image.Exif()
    exif[0x010F] = "Test camera"  # Make
    if orientation is not None:
        exif[ORIENTATION] = orientation
    im.save(path, "JPEG", exif=exif.tobytes(), **save)  # type: ignore[arg-type]
    return path


def assert_same_as_pillow(path: Path) -> None:
    px, alpha, meta = load_for_marking(path)
    ref, exif, icc = pillow_reference(path)
    assert alpha is None
    assert px.shape == ref.shape and px.dtype == np.uint8 and px.flags.c_contiguous
    assert np.array_equal(px, ref)
    assert meta.exif == exif and meta.icc_profile == icc


@pytest.mark.parametrize("orientation", [None, 1, 2, 3, 4, 5, 6, 7, 8])
def test_every_orientation_matches_pillow(tmp_path: Path, orientation: int | None) -> None:
    path = photo(tmp_path / "p.jpg", orientation=orientation, quality=90)
    assert_same_as_pillow(path)


@pytest.mark.parametrize(
    "mode,save",
    [
        ("RGB", {"quality": 95, "subsampling": 0}),  # 4:4:4, as marked copies are written
        ("RGB", {"quality": 75, "subsampling": 1}),  # 4:2:2
        ("RGB", {"quality": 85, "progressive": True}),
        ("L", {"quality": 90}),
    ],
)
def test_sampling_progressive_and_grey_match_pillow(
    tmp_path: Path, mode: str, save: dict[str, object]
) -> None:
    assert_same_as_pillow(photo(tmp_path / "p.jpg", mode=mode, orientation=6, **save))


def test_the_fast_path_is_taken_for_a_plain_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a spy, not a stand-in: the real decoder runs; the test only notes that it did
    calls: list[object] = []
    real = mediaio._jpeg_rgb

    def spy(*args: object) -> object:
        out = real(*args)  # type: ignore[arg-type]
        calls.append(out is not None)
        return out

    monkeypatch.setattr(mediaio, "_jpeg_rgb", spy)
    load_for_marking(photo(tmp_path / "p.jpg"))
    assert calls == [True]


def test_truncated_jpeg_is_refused_as_before(tmp_path: Path) -> None:
    # OpenCV would fill a truncated file with grey; Pillow refuses it, and still does
    path = photo(tmp_path / "p.jpg", quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    with pytest.raises(WatermarkError):
        load_for_marking(cut)


def test_cmyk_and_png_go_to_pillow(tmp_path: Path) -> None:
    cmyk = tmp_path / "c.jpg"
    Image.new("CMYK", (200, 100), (10, 200, 30, 40)).save(cmyk, "JPEG", quality=90)
    png = tmp_path / "p.png"
    Image.open(photo(tmp_path / "p.jpg")).save(png)
    for path in (cmyk, png):
        with Image.open(path) as raw:
            assert mediaio._jpeg_rgb(path, raw, 1) is None
        assert_same_as_pillow(path)


def test_corpora_jpegs_match_pillow(corpora: Path) -> None:
    paths = sorted(
        p
        for sub in ("pdq-threatexchange", "c2pa-sdk-fixtures", "perceptual-near-duplicate-sets")
        for p in (corpora / sub).rglob("*")
        if p.suffix.lower() in (".jpg", ".jpeg")
    )
    assert len(paths) >= 10
    for path in paths:
        try:
            pillow_reference(path)
        except OSError:
            with pytest.raises(WatermarkError):
                load_for_marking(path)
            continue
        assert_same_as_pillow(path)
