"""Warm a fresh analysis worker: run the image reads of a verify once, on a small
synthetic picture in a temporary folder, before the worker takes its first step.

A worker's first step used to pay for what the fork server had not loaded: modules
imported inside the step (invisible-watermark's package, which imports torch, 1.4 s of
CPU alone), Pillow's format plugins, the lazily built tables of the fingerprint and
watermark readers. Most of that is now in ``compute.WARM_MODULES`` (loaded once, in the
fork server); this covers what only running the code fills. Reads nothing but the files
it writes, and sends nothing anywhere."""

from __future__ import annotations

import tempfile
from pathlib import Path

# large enough for the generator-mark check (ai_marks: 256 x 256 at least), small
# enough to cost a few tens of milliseconds
SIDE = 256


def warm_worker() -> None:
    """Read a synthetic PNG and JPEG as a verify does: fingerprints, our watermark (with
    a throwaway key), the generator marks. Raises what the reads raise."""
    import numpy as np
    from PIL import Image

    from mediaproof.fingerprint.fingerprints import fingerprint_file
    from mediaproof.media.sniff import MediaKind
    from mediaproof.watermark.analyzer import read_marks
    from mediaproof.watermark.keys import KEY_BYTES

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    key = bytes(KEY_BYTES)  # no instance's key: what it reads is thrown away
    with tempfile.TemporaryDirectory(prefix="mediaproof-warm-") as d:
        for name in ("warm.png", "warm.jpg"):
            path = Path(d) / name
            Image.fromarray(pixels).save(path)
            fingerprint_file(path, kind=MediaKind.IMAGE)
            read_marks(path, MediaKind.IMAGE.value, key, SIDE * SIDE)


__all__ = ["SIDE", "warm_worker"]
