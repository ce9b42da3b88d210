"""One decode of an image for both of verify's pixel readers: PDQ (the match analyzer)
and the watermark reader.

Each reader decodes the file itself, the way its own pipeline needs it. For a JPEG those
are different decodes (DCT-scaled to 1/8 for PDQ's 512 px, to 1/4 for the watermark's
0.26 MP at 12 MP), which one decode cannot give bit for bit, so a JPEG is left to them.
Every other format (PNG, WebP, TIFF, GIF ...) is decoded in full by both, then reduced:
:func:`read_image_once` decodes and orients it once and hands that image to both, in one
worker step, with the same answers as the two separate reads (the tests compare them).
A 12 MP PNG was inflated twice, ~0.25 CPU s each (docs/api.md).

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
from mediaproof.fingerprint.pdq import fingerprint_oriented
from mediaproof.fingerprint.video import md5_file
from mediaproof.media.ingest import check_pixels
from mediaproof.media.sniff import MediaKind
from mediaproof.watermark.analyzer import MARKS_CACHE_KEY, read_image_marks
from mediaproof.watermark.keys import watermark_key_path

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
            if im.format == "JPEG":
                return None
            w, h = im.size
            check_pixels(w, h, limits)
            if w < 1 or h < 1:
                return None
            im.load()
            ImageOps.exif_transpose(im, in_place=True)  # as both readers orient it
            image = fingerprint_oriented(im, im.size, dihedral=False)
            marks = read_image_marks(im, key, pixels)
    except Exception as e:  # each reader reads the file alone and says what is wrong
        log.debug("shared image decode of %s failed: %s", path.name, e)
        return None
    return Fingerprints(MediaKind.IMAGE, md5_file(path), image=image), marks


class SharedImageDecode:
    """The match analyzer, after one worker step that reads a non-JPEG image for both it
    and the watermark analyzer (which runs after it and takes its share from
    ``ctx.cache``). Verify's answers are the same; a PNG is decoded once, not twice."""

    def __init__(self, inner: Analyzer) -> None:
        self.inner = inner
        self.name = inner.name

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        media = ctx.media
        if (
            media.kind is MediaKind.IMAGE
            and media.mime != "image/jpeg"
            and media.width
            and media.height
            and FINGERPRINTS_CACHE_KEY not in ctx.cache
        ):
            key_path = watermark_key_path(ctx.settings.home)
            key = key_path.read_bytes() if key_path.exists() else None
            try:
                got = ctx.compute.run(
                    read_image_once,
                    ctx.path,
                    ctx.settings.limits,
                    key,
                    media.width * media.height,
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
