"""Aligning a copy onto its original and boxing what changed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mediaproof.errors import MalformedMediaError
from mediaproof.fingerprint.pdq import Dihedral
from mediaproof.matching.align import align_copy


@pytest.fixture(scope="module")
def original(corpora: Path) -> Image.Image:
    return Image.open(corpora / "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg").convert("RGB")


def _jpeg(im: Image.Image, q: int = 75) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=q)
    return buf.getvalue()


def test_untouched_reencoded_copy_has_no_regions(original: Image.Image) -> None:
    copy = original.resize((800, 502), Image.Resampling.LANCZOS)
    result = align_copy(original, _jpeg(copy))
    assert result.transform is Dihedral.ORIGINAL
    assert result.scale == pytest.approx(0.5, abs=0.01)
    assert result.boxes == []
    assert result.heatmap_png.startswith(b"\x89PNG")


def test_edited_mirrored_half_size_copy_boxes_the_edit(original: Image.Image) -> None:
    edited = original.copy()
    box = (600, 300, 900, 520)  # a pasted-in patch, in original pixels
    ImageDraw.Draw(edited).rectangle(box, fill=(250, 250, 250))
    copy = edited.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((800, 502))
    result = align_copy(original, _jpeg(copy))
    assert result.transform is Dihedral.FLIPY
    assert result.boxes, "the edit was not found"
    b = result.boxes[0]
    # the box lies on the edit, in the original's coordinates (not the mirrored copy's)
    assert abs(b["x"] - box[0]) < 40 and abs(b["y"] - box[1]) < 40
    assert abs(b["x"] + b["width"] - box[2]) < 40 and abs(b["y"] + b["height"] - box[3]) < 40
    assert 0.02 < result.changed_fraction < 0.1
    assert set(result.as_dict()) == {"transform", "scale", "boxes", "changed_fraction", "notes"}
    heat = Image.open(io.BytesIO(result.heatmap_png))
    assert heat.format == "PNG" and heat.size[0] <= 1024


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (Image.Transpose.ROTATE_90, Dihedral.ROTATE90),
        (Image.Transpose.ROTATE_270, Dihedral.ROTATE270),
        (Image.Transpose.TRANSPOSE, Dihedral.FLIP_PLUS1),
        (Image.Transpose.FLIP_TOP_BOTTOM, Dihedral.FLIPX),
    ],
)
def test_rotations_are_undone(
    original: Image.Image, t: Image.Transpose, expected: Dihedral
) -> None:
    result = align_copy(original, original.transpose(t))
    assert result.boxes == []
    assert result.transform is expected


def test_cropped_copy_is_flagged_and_bad_input_fails(original: Image.Image) -> None:
    cropped = original.crop((0, 0, 1200, 1004))
    assert align_copy(original, cropped).notes
    with pytest.raises(MalformedMediaError):
        align_copy(original, b"not an image")


def test_heatmap_png_is_lossless() -> None:
    from mediaproof.matching.align import encode_png

    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    png = encode_png(rgb)
    back = Image.open(io.BytesIO(png))
    assert back.format == "PNG" and back.mode == "RGB"
    assert np.array_equal(np.asarray(back), rgb)
