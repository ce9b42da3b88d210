"""What happens to an image on its way to a voter, applied before scoring to measure how
much of a detector's accuracy survives. Each transform writes a new file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps


def _rgb(src: Path) -> Image.Image:
    with Image.open(src) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def repost(src: Path, dst_dir: Path) -> Path:
    """Re-posted: half size, then JPEG quality 50."""
    im = _rgb(src)
    im = im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.BILINEAR)
    out = dst_dir / f"{src.stem}.repost.jpg"
    im.save(out, "JPEG", quality=50)
    return out


def crop(src: Path, dst_dir: Path) -> Path:
    """Cropped to the central 70 % of each side, kept lossless (the crop alone)."""
    im = _rgb(src)
    dx, dy = round(im.width * 0.15), round(im.height * 0.15)
    im = im.crop((dx, dy, im.width - dx, im.height - dy))
    out = dst_dir / f"{src.stem}.crop.png"
    im.save(out, "PNG")
    return out


def screenshot(src: Path, dst_dir: Path) -> Path:
    """Screenshot-like: shown at 80 % on a page with a header bar and margins, captured
    as PNG."""
    im = _rgb(src)
    size = (max(1, im.width * 4 // 5), max(1, im.height * 4 // 5))
    im = im.resize(size, Image.Resampling.BILINEAR)
    canvas = Image.new("RGB", (im.width + 48, im.height + 96), (246, 246, 246))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width, 56), fill=(36, 37, 38))
    draw.text((16, 20), "@account · 2h", fill=(230, 230, 230))
    canvas.paste(im, (24, 72))
    out = dst_dir / f"{src.stem}.screenshot.png"
    canvas.save(out, "PNG")
    return out


def platform(src: Path, dst_dir: Path) -> Path:
    """Platform re-encode: longest side at most 1080 px, JPEG quality 85 with 4:2:0 chroma,
    metadata dropped (what large platforms typically do on upload)."""
    im = _rgb(src)
    im.thumbnail((1080, 1080), Image.Resampling.LANCZOS)
    out = dst_dir / f"{src.stem}.platform.jpg"
    im.save(out, "JPEG", quality=85, subsampling=2)
    return out


TRANSFORMS: dict[str, Callable[[Path, Path], Path]] = {
    "repost": repost,
    "crop": crop,
    "screenshot": screenshot,
    "platform": platform,
}
