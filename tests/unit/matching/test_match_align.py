"""Aligning a copy onto its original and boxing what changed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mediaproof.errors import MalformedMediaError
from mediaproof.fingerprint.pdq import Dihedral
from mediaproof.matching.align import (
    align_copy,
    describe_changes,
    place_words,
    significant_changes,
)


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
    assert set(result.as_dict()) == {
        "transform", "scale", "boxes", "changed_fraction", "notes", "overlap_fraction", "size",
    }  # fmt: skip
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


def _box(im: Image.Image, frac: tuple[float, float, float, float]) -> Image.Image:
    out = im.copy()
    w, h = out.size
    ImageDraw.Draw(out).rectangle(
        (int(w * frac[0]), int(h * frac[1]), int(w * frac[2]), int(h * frac[3])), fill=(200, 30, 30)
    )
    return out


# ordinary re-posts and global filters: no edit may be reported (corpus edits of the
# same photo, JPEG 50 at half size, JPEG 30 at a quarter, crops and a rotated crop)
_HONEST = [
    "blur-a-little.jpg", "blur-a-lot.jpg", "high-contrast.jpg", "high-saturation.jpg",
    "sharpen-a-little.jpg", "sharpen-a-lot.jpg", "shrink-a-little.jpg", "shrink-a-lot.jpg",
    "square-128x128.jpg", "square-256x256.jpg", "square-512x512.jpg",
]  # fmt: skip


@pytest.mark.parametrize("name", _HONEST)
def test_corpus_edits_of_the_same_photo_are_not_called_changed(
    original: Image.Image, corpora: Path, name: str
) -> None:
    copy = corpora / "pdq-threatexchange/images/bridge-mods" / name
    assert significant_changes(align_copy(original, copy).as_dict()) is None


def test_reposts_and_crops_are_not_called_changed(original: Image.Image) -> None:
    w, h = original.size
    reposts = {
        "jpeg50-half": _jpeg(original.resize((w // 2, h // 2)), 50),
        "jpeg30-quarter": _jpeg(original.resize((w // 4, h // 4)), 30),
        "crop3": _jpeg(original.crop((w // 33, h // 33, w - w // 33, h - h // 33)), 85),
        "crop-left": _jpeg(original.crop((w // 25, 0, w, h)), 85),
        "crop10-half-1deg": _jpeg(
            original.crop((w // 10, h // 10, w - w // 10, h - h // 10))
            .resize((w // 2, h // 2))
            .rotate(1),
            70,
        ),
    }  # fmt: skip
    for name, data in reposts.items():
        result = align_copy(original, data)
        assert significant_changes(result.as_dict()) is None, name
    crop = align_copy(original, reposts["crop10-half-1deg"])
    assert crop.overlap_fraction < 0.8 and any("cropped" in n for n in crop.notes)


def test_pasted_box_is_a_change_with_its_share_and_place(original: Image.Image) -> None:
    w, h = original.size
    doctored = _jpeg(_box(original, (0.1, 0.1, 0.45, 0.45)), 90)  # 12 % of the frame
    changes = significant_changes(align_copy(original, doctored).as_dict())
    assert changes is not None
    assert 0.09 < changes["changed_fraction"] < 0.14
    assert changes["where"][0] == "top left" and set(changes["where"]) <= {
        "top left",
        "left",
        "top",
    }
    assert describe_changes(changes).startswith("about 1")
    # the same edit survives a re-post at half size, and a small one in the bottom right
    half = _jpeg(_box(original, (0.1, 0.1, 0.45, 0.45)).resize((w // 2, h // 2)), 60)
    assert significant_changes(align_copy(original, half).as_dict()) is not None
    small = significant_changes(
        align_copy(original, _jpeg(_box(original, (0.8, 0.8, 0.9, 0.9)), 90)).as_dict()
    )
    assert small is not None and small["where"] == ["bottom right"]


def test_place_words() -> None:
    assert place_words({"x": 0, "y": 0, "width": 10, "height": 10}, 100, 100) == "top left"
    assert place_words({"x": 45, "y": 45, "width": 10, "height": 10}, 100, 100) == "centre"
    assert place_words({"x": 45, "y": 90, "width": 10, "height": 10}, 100, 100) == "bottom"


@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg", "two_people.jpg"])
def test_a_colour_the_picture_lacks_is_not_fitted_away(corpora: Path, name: str) -> None:
    # portraits of greys and skin tones: a free colour fit once mapped a pasted green
    # box onto the suit, and only 1-4 % of the 12 % box was found
    im = Image.open(corpora / "likeness/faces" / name).convert("RGB")
    w, h = im.size
    boxed = im.copy()
    ImageDraw.Draw(boxed).rectangle(
        (int(w * 0.55), int(h * 0.5), int(w * 0.9), int(h * 0.85)), fill=(30, 200, 40)
    )
    changes = significant_changes(align_copy(im, _jpeg(boxed, 85)).as_dict())
    assert changes is not None and 0.10 < changes["changed_fraction"] < 0.15, changes
    assert changes["where"] == ["bottom right"]
    repost = _jpeg(im.resize((w // 2, h // 2)), 50)
    assert significant_changes(align_copy(im, repost).as_dict()) is None
