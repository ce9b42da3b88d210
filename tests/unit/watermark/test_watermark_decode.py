"""Verify reads the image watermark from a reduced-size decode (``mediaio.load_luma``):
JPEG DCT scaling and ``Image.reduce``, never below the detector's working area. These
tests pin that the reduced decode is what the detector gets and that it reads marks
exactly as a full-resolution decode does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from mediaproof.watermark import IMAGE_SCHEME, embed_image
from mediaproof.watermark import analyzer as wm_analyzer
from mediaproof.watermark.image import ANALYSIS_AREA
from mediaproof.watermark.mediaio import load_luma, reduced_size_for

KEY = b"test-watermark-decode-key-012345"
ASSET = 424242


def _photo(corpora: Path, w: int, h: int) -> npt.NDArray[np.uint8]:
    """The corpus bridge photo cropped to w:h and enlarged, with seeded sensor noise
    (an enlargement alone has none of a camera's fine texture)."""
    with Image.open(corpora / "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg") as im:
        src = im.convert("RGB")
    sw, sh = src.size
    cw = min(sw, sh * w // h)
    ch = cw * h // w
    box = ((sw - cw) // 2, (sh - ch) // 2, (sw - cw) // 2 + cw, (sh - ch) // 2 + ch)
    big = np.asarray(src.crop(box).resize((w, h), Image.Resampling.LANCZOS), dtype=np.float32)
    noise = np.random.default_rng(3).normal(0.0, 3.0, (h, w, 1)).astype(np.float32)
    out: npt.NDArray[np.uint8] = np.clip(np.rint(big + noise), 0, 255).astype(np.uint8)
    return out


def _full_luma(path: Path) -> npt.NDArray[np.float32]:
    """Every pixel decoded: what the detector read before reduced decoding."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float32)


@pytest.fixture(scope="module")
def marked_12mp(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    marked = np.asarray(embed_image(_photo(corpora, 4000, 3000), ASSET, KEY), dtype=np.uint8)
    d = tmp_path_factory.mktemp("marked12mp")
    jpg, png = d / "marked.jpg", d / "marked.png"
    Image.fromarray(marked).save(jpg, "JPEG", quality=90)
    Image.fromarray(marked).save(png, "PNG", compress_level=1)
    return {"jpeg": jpg, "png": png}


@pytest.mark.parametrize(
    ("fmt", "decoded"),
    [
        ("jpeg", (750, 1000)),  # DCT scaling 1/4 (1/8 would be under the working area)
        ("png", (500, 667)),  # Image.reduce(6)
    ],
)
def test_a_mark_in_a_12mp_file_is_read_from_the_reduced_decode(
    marked_12mp: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    decoded: tuple[int, int],
) -> None:
    path = marked_12mp[fmt]
    seen: list[tuple[int, ...]] = []
    real = IMAGE_SCHEME.detect_luma

    def spy(y: npt.NDArray[np.float32], key: bytes) -> Any:
        seen.append(y.shape)
        return real(y, key)

    monkeypatch.setattr(IMAGE_SCHEME, "detect_luma", spy)  # the analyzer's instance
    data = wm_analyzer.read_marks(path, "image", KEY, 12_000_000)
    monkeypatch.undo()
    assert seen == [decoded]  # the detector got the reduced image, decoded once
    assert decoded[0] * decoded[1] >= ANALYSIS_AREA
    ours = data["mediaproof"]
    assert ours["claimed"] and ours["payload"] == {"asset_id": ASSET, "version": 0}
    # the same decision as from every pixel, and nearly the same statistic
    full = IMAGE_SCHEME.detect_luma(_full_luma(path), KEY)
    assert full.claimed and full.payload is not None and full.payload.asset_id == ASSET
    assert abs(ours["sync_score"] - full.sync_score) < 0.5


def test_wrong_key_reads_nothing_from_the_reduced_decode(marked_12mp: dict[str, Path]) -> None:
    for path in marked_12mp.values():
        det = IMAGE_SCHEME.detect_luma(load_luma(path), b"another-key-0123456789abcdefghij")
        assert not det.claimed and det.payload is None


def test_exif_orientation_is_applied_after_the_draft_decode(corpora: Path, tmp_path: Path) -> None:
    """A portrait photo stored on its side with EXIF orientation 6: decoded at 1/4 and
    turned upright, where the mark was embedded."""
    upright = _photo(corpora, 1800, 2400)
    marked = np.asarray(embed_image(upright, ASSET, KEY), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "side.jpg"
    stored = Image.fromarray(marked).transpose(Image.Transpose.ROTATE_90)
    stored.save(path, "JPEG", quality=90, exif=exif)
    y = load_luma(path)
    assert y.shape == (600, 450)  # 2400 x 1800 upright, DCT-scaled by 4
    det = IMAGE_SCHEME.detect_luma(y, KEY)
    assert det.claimed and det.payload is not None and det.payload.asset_id == ASSET


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_files_near_the_working_size_are_decoded_whole(
    corpora: Path, tmp_path: Path, fmt: str
) -> None:
    """Under twice the working area there is no smaller decode that keeps it: the
    pixels are exactly those of a full decode."""
    path = tmp_path / f"small.{fmt.lower()}"
    Image.fromarray(_photo(corpora, 1000, 750)).save(path, fmt)
    assert reduced_size_for(1000, 750, ANALYSIS_AREA) == 1
    assert np.array_equal(load_luma(path), _full_luma(path))


def test_reduction_never_goes_under_the_working_area() -> None:
    cases = {(4000, 3000): 6, (1448, 1448): 2, (1000, 750): 1, (10240, 7680): 17}
    for (w, h), factor in cases.items():
        assert reduced_size_for(w, h, ANALYSIS_AREA) == factor, (w, h)
    for w, h in [*cases, (30000, 200), (200, 30000), (5000, 64)]:
        k = reduced_size_for(w, h, ANALYSIS_AREA)
        rw, rh = -(-w // k), -(-h // k)
        assert rw * rh >= ANALYSIS_AREA or k == 1, (w, h)
        # a strip keeps the short side the detector needs (64 px)
        assert min(rw, rh) >= 64, (w, h)
