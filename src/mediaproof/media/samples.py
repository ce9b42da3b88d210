"""Sample media made on the spot (for the demo and tests), and controlled alterations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def sample_photo(path: Path, width: int = 1600, height: int = 1067, seed: int = 7) -> Path:
    """A photo-like JPEG: smooth light, textured shapes and sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack(
        [120 + 60 * (y / height), 160 + 40 * (y / height), 220 - 60 * (y / height)], axis=-1
    )
    img = sky.copy()
    horizon = height * 0.6 + 40 * np.sin(x / 140.0)
    ground = y > horizon
    img[ground] = np.stack([70 + 30 * np.sin(x / 9.0), 110 + 20 * np.cos(y / 7.0), 50 + 0 * x], -1)[
        ground
    ]
    for _ in range(14):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height * 0.9), rng.uniform(30, 140)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r**2
        img[mask] = img[mask] * 0.5 + rng.uniform(40, 230, size=3) * 0.5
    img += rng.normal(0, 4, img.shape)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.rectangle([width * 0.06, height * 0.08, width * 0.42, height * 0.2], fill=(250, 250, 245))
    d.text((width * 0.08, height * 0.11), "Official statement - mediaproof demo", fill=(20, 20, 20))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", quality=92)
    return path


def strip_by_reencoding(src: Path, dest: Path, quality: int = 85) -> Path:
    """What a platform does on upload: decode and re-encode, dropping all metadata."""
    with Image.open(src) as im:
        im.convert("RGB").save(dest, "JPEG", quality=quality)
    return dest


def flip_content_byte(src: Path, dest: Path) -> int:
    """Copy ``src`` with one byte of content flipped, away from the C2PA manifest.

    Returns the offset changed. The manifest (JUMBF) is found by its box markers; the byte
    flipped sits in the middle of the largest region outside it, so the credentials stay
    readable and only the content hash breaks.
    """
    data = bytearray(src.read_bytes())
    marks = [i for tag in (b"jumb", b"c2pa") for i in _find_all(data, tag)]
    if marks:
        lo, hi = max(0, min(marks) - 64), min(len(data), max(marks) + 8192)
        gaps = [(0, lo), (hi, len(data))]
        start, end = max(gaps, key=lambda g: g[1] - g[0])
    else:
        start, end = 0, len(data)
    pos = start + (end - start) // 2
    # avoid JPEG marker bytes so the file still parses
    while pos < end - 1 and (
        data[pos] == 0xFF or data[pos] ^ 0x01 == 0xFF or data[pos - 1] == 0xFF
    ):
        pos += 1
    data[pos] ^= 0x01
    dest.write_bytes(bytes(data))
    return pos


def _find_all(data: bytearray, tag: bytes) -> list[int]:
    out: list[int] = []
    i = data.find(tag)
    while i != -1 and len(out) < 10000:
        out.append(i)
        i = data.find(tag, i + 1)
    return out
