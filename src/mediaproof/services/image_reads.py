"""One decode of an image for both of verify's pixel readers: PDQ (the match analyzer)
and the watermark reader.

Each reader decodes the file itself, the way its own pipeline needs it. Every format but
JPEG (PNG, WebP, TIFF, GIF ...) is decoded in full by both, then reduced:
:func:`read_image_once` decodes and orients it once and hands that image to both, in one
worker step, with the same answers as the two separate reads (the tests compare them).
A 12 MP PNG was inflated twice, ~0.25 CPU s each (docs/api.md).

A JPEG's readers decode it DCT-scaled, at different scales (1/8 for PDQ's 512 px, 1/4
for the watermark's 0.26 MP at 12 MP): most of either decode is the entropy decoding,
the same for both (~40 ms CPU at 12 MP). For a JPEG over the generator marks' size limit
(those need the full RGB decode) the watermark reader's luminance decode is shared: PDQ
box-reduces it by the rest of its factor, which averages the same 8 x 8 blocks as its own
1/8 decode. The watermark data is the same bit for bit; the PDQ hash is a few bits from
the separate read's (the luminance plane instead of RGB's, rounded once more:
tests/integration/test_shared_image_decode.py measures it), far inside the match
threshold, as the registered side's hashes are themselves (fingerprint_written).

Nothing changes for a file the shared step cannot read: the analyzers then read it
themselves and report their own errors.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from mediaproof.analysis.evidence import AnalysisContext, Analyzer, Evidence
from mediaproof.config import Limits
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import (
    ORIENTATION_TAG,
    QUARTER_TURNS,
    ImageFingerprint,
    fingerprint_oriented,
    fingerprint_reduced,
    jpeg_decoded_scale,
)
from mediaproof.fingerprint.video import md5_file
from mediaproof.media.ingest import check_pixels
from mediaproof.media.sniff import MediaKind
from mediaproof.watermark.analyzer import AI_MARK_MAX_PIXELS, MARKS_CACHE_KEY, read_image_marks
from mediaproof.watermark.image import ANALYSIS_AREA
from mediaproof.watermark.keys import watermark_key_path
from mediaproof.watermark.mediaio import reduced_size_for

log = logging.getLogger(__name__)

FINGERPRINTS_CACHE_KEY = "fingerprints"  # what the match analyzer reads from ctx.cache


def read_image_once(
    path: Path, limits: Limits, key: bytes | None, pixels: int
) -> tuple[Fingerprints, dict[str, Any]] | None:
    """The query fingerprints (``fingerprint_file(path, kind=IMAGE)``) and the watermark
    reader's data (``read_marks(path, "image", key, pixels)``) of a non-JPEG image from
    one decode. None for a JPEG, or when this read fails (the readers then try alone).
    Needs nothing but its arguments: a worker step."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            check_pixels(w, h, limits)
            if w < 1 or h < 1:
                return None
            if im.format == "JPEG":
                got = _read_jpeg_once(im, key, pixels)
                if got is None:
                    return None
                return Fingerprints(MediaKind.IMAGE, md5_file(path), image=got[0]), got[1]
            im.load()
            ImageOps.exif_transpose(im, in_place=True)  # as both readers orient it
            image = fingerprint_oriented(im, im.size, dihedral=False)
            marks = read_image_marks(im, key, pixels)
    except Exception as e:  # each reader reads the file alone and says what is wrong
        log.debug("shared image decode of %s failed: %s", path.name, e)
        return None
    return Fingerprints(MediaKind.IMAGE, md5_file(path), image=image), marks


# EXIF orientation -> the transpose ImageOps.exif_transpose applies
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _read_jpeg_once(
    im: Image.Image, key: bytes | None, pixels: int
) -> tuple[ImageFingerprint, dict[str, Any]] | None:
    """The query PDQ and the watermark data of an opened, not yet loaded JPEG from the
    watermark reader's decode (``load_luma``'s steps, which the data's equality with
    ``read_marks`` relies on); None where it cannot serve both."""
    if key is None or pixels <= AI_MARK_MAX_PIXELS or im.mode not in ("RGB", "L"):
        return None  # no luminance read to share, or the generator marks need RGB
    w, h = im.size
    room = reduced_size_for(w, h, ANALYSIS_AREA)
    scale = max((s for s in (1, 2, 4, 8) if s <= room), default=1)
    if scale > 1:
        im.draft("L", (w // scale, h // scale))
    orientation = im.getexif().get(ORIENTATION_TAG, 1)
    im.load()
    dw, dh = im.size
    got = next((k for k in (1, 2, 4, 8) if -(-w // k) == dw and -(-h // k) == dh), None)
    want = jpeg_decoded_scale(w, h)
    if im.mode != "L" or got is None or want % got:
        return None
    # reduced before orienting, so that the boxes are the file's 8 x 8 blocks
    small = im.reduce(want // got) if want > got else im.copy()
    ImageOps.exif_transpose(im, in_place=True)
    if orientation in _TRANSPOSE:
        small = small.transpose(_TRANSPOSE[orientation])
    size = (h, w) if orientation in QUARTER_TURNS else (w, h)  # as decode_for_pdq
    return fingerprint_reduced(small, size, dihedral=False), read_image_marks(im, key, pixels)


class SharedImageDecode:
    """The match analyzer, after one worker step that reads an image for both it and
    the watermark analyzer (which runs after it and takes its share from
    ``ctx.cache``). A PNG is decoded once, not twice, with the same answers; a large
    JPEG too, its PDQ hash within a few bits (see the module's docstring)."""

    def __init__(self, inner: Analyzer) -> None:
        self.inner = inner
        self.name = inner.name

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        media = ctx.media
        if (
            media.kind is MediaKind.IMAGE
            and media.width
            and media.height
            and FINGERPRINTS_CACHE_KEY not in ctx.cache
        ):
            key_path = watermark_key_path(ctx.settings.home)
            key = key_path.read_bytes() if key_path.exists() else None
            pixels = media.width * media.height
            if media.mime == "image/jpeg" and (key is None or pixels <= AI_MARK_MAX_PIXELS):
                return self.inner.analyze(ctx)  # nothing to share (_read_jpeg_once)
            try:
                got = ctx.compute.run(
                    read_image_once,
                    ctx.path,
                    ctx.settings.limits,
                    key,
                    pixels,
                    timeout_s=ctx.step_timeout_s,
                )
            except Exception as e:  # a crashed or timed-out step: the readers try alone
                log.info("shared image decode failed (%s); reading twice", type(e).__name__)
                got = None
            if got is not None:
                ctx.cache[FINGERPRINTS_CACHE_KEY] = got[0]
                ctx.cache[MARKS_CACHE_KEY] = (key, got[1])
        return self.inner.analyze(ctx)


__all__ = ["SharedImageDecode", "read_image_once"]
