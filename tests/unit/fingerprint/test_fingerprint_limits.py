"""The known weaknesses of PDQ, pinned down so docs/fingerprints.md stays true.

A match is a lead, not a verdict: edits can keep the hash (so a matching copy may be
altered), and simple geometric changes lose it (so no match is not evidence of a fake).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from mediaproof.fingerprint.pdq import MATCH_THRESHOLD, PdqHash, fingerprint_image


@pytest.fixture(scope="module")
def photo(corpora: Path) -> Image.Image:
    return Image.open(corpora / "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg").convert("RGB")


@pytest.fixture(scope="module")
def original(photo: Image.Image) -> PdqHash:
    return fingerprint_image(photo).pdq


def _best(im: Image.Image, original_fp: Image.Image) -> int:
    """Distance to the nearest of the original's 8 dihedral variants (what the registry does)."""
    q = fingerprint_image(im, dihedral=False).pdq
    return min(q.distance(v) for v in fingerprint_image(original_fp).dihedral)


def test_crops_over_5_percent_defeat_pdq(photo: Image.Image) -> None:
    w, h = photo.size
    assert _best(photo.crop((int(w * 0.05), int(h * 0.05), w, h)), photo) > MATCH_THRESHOLD
    assert _best(photo.crop((int(w * 0.10), 0, w, h)), photo) > MATCH_THRESHOLD


def test_small_angle_rotations_defeat_pdq(photo: Image.Image) -> None:
    # dihedral variants cover 90-degree turns and mirrors, nothing in between
    assert _best(photo.rotate(5, resample=Image.Resampling.BICUBIC), photo) > MATCH_THRESHOLD
    assert (
        _best(photo.rotate(10, resample=Image.Resampling.BICUBIC, expand=True), photo)
        > MATCH_THRESHOLD
    )


def test_added_borders_defeat_pdq(photo: Image.Image) -> None:
    border = int(photo.width * 0.10)
    assert _best(ImageOps.expand(photo, border, fill=(0, 0, 0)), photo) > MATCH_THRESHOLD
    assert _best(ImageOps.expand(photo, border, fill=(255, 255, 255)), photo) > MATCH_THRESHOLD


def test_an_altered_copy_still_matches(photo: Image.Image, original: PdqHash) -> None:
    """10 % of the picture painted over still matches: a match is not 'unaltered'."""
    edited = photo.copy()
    box = (1000, 200, 1400, 600)
    mean = tuple(int(x) for x in np.asarray(photo.crop(box)).reshape(-1, 3).mean(axis=0))
    ImageDraw.Draw(edited).rectangle(box, fill=mean)
    assert fingerprint_image(edited, dihedral=False).pdq.distance(original) <= MATCH_THRESHOLD


def test_visibly_different_image_collides(photo: Image.Image, original: PdqHash) -> None:
    """A +-70 checkerboard on every pixel (mean change 64/255: grossly visible) keeps the
    hash within a few bits. Deliberate, optimised collisions get closer still."""
    a = np.asarray(photo).astype(np.int16)
    yy, xx = np.indices(a.shape[:2])
    checker = (((yy + xx) % 2) * 2 - 1)[:, :, None] * 70
    noisy = np.clip(a + checker, 0, 255).astype(np.uint8)
    assert np.abs(noisy.astype(np.int16) - a).mean() > 50
    assert fingerprint_image(Image.fromarray(noisy), dihedral=False).pdq.distance(original) <= 16
