"""Reading and writing pixels and samples for the watermark commands and analyzer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps
from PIL.JpegImagePlugin import JpegImageFile, get_sampling

from mediaproof.watermark.errors import WatermarkError
from mediaproof.watermark.image import ANALYSIS_AREA

_ORIENTATION = 0x0112


def _eight_bit(im: Image.Image) -> Image.Image:
    """16- and 32-bit greyscale scaled to 8 bits; Pillow's own conversion clips them
    (everything over 255 turns white)."""
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        a = np.asarray(im, dtype=np.uint16)
        return Image.fromarray((a >> 8).astype(np.uint8), "L")
    if im.mode in ("I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if a.max(initial=0) > 255 else 255.0
        return Image.fromarray(np.clip(a * (255.0 / top), 0, 255).astype(np.uint8), "L")
    return im


def _pixels(im: Image.Image) -> npt.NDArray[np.uint8]:
    im = _eight_bit(im)
    mode = "RGBA" if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info else "RGB"
    # (convert() to the same mode would copy the frame once more)
    return np.array(im if im.mode == mode else im.convert(mode), dtype=np.uint8)


def load_rgb(path: Path) -> npt.NDArray[np.uint8]:
    """Pixels as displayed (EXIF orientation applied): RGB, or RGBA when it has alpha."""
    try:
        with Image.open(path) as raw:
            ImageOps.exif_transpose(raw, in_place=True)  # (a copy of the frame otherwise)
            return _pixels(raw)
    except OSError as e:
        raise WatermarkError(f"cannot read image {path}: {e}") from e


@dataclass(frozen=True)
class ImageMetadata:
    """What a marked copy keeps of its source besides pixels: the colour profile (without
    it, wide-gamut photos such as a phone's Display P3 shift colour) and the EXIF data
    (camera, date, copyright), with the orientation tag dropped because the pixels are
    stored upright. XMP and IPTC are not carried: the new Content Credentials carry title,
    author and source type, and a stale XMP could point at the source's old manifest.

    ``subsampling``: the chroma subsampling a JPEG copy is written with, in Pillow's
    codes (0 4:4:4, 1 4:2:2, 2 4:2:0): a colour JPEG source's own (:func:`jpeg_subsampling`),
    4:4:4 for anything else. The mark changes luminance only, so the copy holds neither
    less colour detail than its source nor more than the source held."""

    icc_profile: bytes | None = None
    exif: bytes | None = None
    subsampling: int = 0


# EXIF orientations that transpose the picture: its stored rows become upright columns
_TRANSPOSING = frozenset({5, 6, 7, 8})


def jpeg_subsampling(raw: Image.Image, orientation: int) -> int:
    """The chroma subsampling of a YCbCr JPEG as Pillow's ``subsampling`` code, for the
    picture the way up ``orientation`` turns it; 0 (4:4:4) where the file has none to
    keep or Pillow cannot write it: greyscale, CMYK, RGB-coded components (not chroma),
    samplings other than 4:4:4, 4:2:2 and 4:2:0 (read from the frame header's factors),
    and 4:2:2 turned a quarter (halved vertically when upright: 4:4:0, which Pillow does
    not write, and 4:2:2 would halve the detail the source kept)."""
    if not isinstance(raw, JpegImageFile) or raw.mode != "RGB" or len(raw.layer) != 3:
        return 0
    if _rgb_coded(raw):
        return 0
    code = get_sampling(raw)
    if code == 1 and orientation in _TRANSPOSING:
        return 0
    return code if code in (0, 1, 2) else 0


def _rgb_coded(raw: JpegImageFile) -> bool:
    """Components stored as R, G and B, not YCbCr: Adobe transform 0, or components
    named R, G, B (libjpeg's rules)."""
    return bool(
        raw.info.get("adobe_transform", 1) != 1 or [c[0] for c in raw.layer] == [82, 71, 66]
    )


# EXIF orientation -> the numpy view that ImageOps.exif_transpose's transpose gives
_ORIENT: dict[int, Any] = {
    2: lambda a: a[:, ::-1],  # FLIP_LEFT_RIGHT
    3: lambda a: a[::-1, ::-1],  # ROTATE_180
    4: lambda a: a[::-1],  # FLIP_TOP_BOTTOM
    5: lambda a: a.transpose(1, 0, 2),  # TRANSPOSE
    6: lambda a: np.rot90(a, -1),  # ROTATE_270 (counter-clockwise, as Pillow's)
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),  # TRANSVERSE
    8: lambda a: np.rot90(a, 1),  # ROTATE_90
}


def _jpeg_rgb(path: Path, raw: Image.Image, orientation: int) -> npt.NDArray[np.uint8] | None:
    """A baseline 8-bit RGB or greyscale JPEG decoded by OpenCV straight into an array,
    oriented as ``ImageOps.exif_transpose`` orients it; None where Pillow must decode it.

    Pillow decodes a 12 MP photo as fast, but handing its frame to numpy (``tobytes``,
    packing its 4-byte pixels) took ~45 ms more, a tenth of signing one. Both use
    libjpeg-turbo with the same settings: the pixels are the same (the corpora's JPEGs
    and tests/unit/watermark/test_mediaio_jpeg.py check it). OpenCV only warns about a
    truncated file and fills the rest with grey, where Pillow refuses it: a file that
    does not end with the end-of-image marker goes to Pillow."""
    if raw.format != "JPEG" or raw.mode not in ("RGB", "L") or orientation not in range(1, 9):
        return None
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    if data.size < 4 or data[-2] != 0xFF or data[-1] != 0xD9:
        return None
    flags = cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    px = cv2.imdecode(data, flags)
    if px is None or px.shape != (raw.height, raw.width, 3) or px.dtype != np.uint8:
        return None
    if orientation == 1:
        return np.asarray(px, dtype=np.uint8)
    return np.ascontiguousarray(_ORIENT[orientation](px), dtype=np.uint8)


def load_for_marking(
    path: Path,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8] | None, ImageMetadata]:
    """RGB pixels as displayed, the alpha channel (None without one) and the metadata
    to write back around the marked pixels."""
    try:
        with Image.open(path) as raw:
            exif = raw.getexif()
            icc = raw.info.get("icc_profile")
            orientation = exif.get(_ORIENTATION, 1)
            if not isinstance(orientation, int):
                orientation = 0
            sampling = jpeg_subsampling(raw, orientation)
            fast = _jpeg_rgb(path, raw, orientation)
            if fast is not None:
                px = fast
            else:
                # in place (no copy of the frame); it drops the orientation tag from
                # ``exif``
                ImageOps.exif_transpose(raw, in_place=True)
                px = _pixels(raw)
    except OSError as e:
        raise WatermarkError(f"cannot read image {path}: {e}") from e
    if _ORIENTATION in exif:
        del exif[_ORIENTATION]
    meta = ImageMetadata(
        icc_profile=icc if isinstance(icc, bytes) and icc else None,
        exif=exif.tobytes() if len(exif) else None,
        subsampling=sampling,
    )
    alpha = px[:, :, 3].copy() if px.shape[2] == 4 else None
    return np.ascontiguousarray(px[:, :, :3]), alpha, meta


def load_jpeg_ycbcr(path: Path) -> tuple[Image.Image, ImageMetadata] | None:
    """A colour JPEG decoded to its own YCbCr planes (no colour conversion), oriented as
    displayed, with the metadata :func:`load_for_marking` keeps; None for anything else
    (greyscale, CMYK, RGB-coded or undecodable files: :func:`load_for_marking`).

    The watermark is a luminance change, so a JPEG is marked on its Y plane and written
    back as YCbCr (:func:`save_marked_ycbcr`): no RGB frame at all, which at 12 MP saved
    the colour conversions of the decode and the encode, the frame's hand-over to numpy
    and the three-channel arithmetic (~60 ms of ~360 for signing), and spares the pixels
    two rounding colour conversions."""
    try:
        # not closed on success: closing an image frees its pixels (load() closes the
        # file of a single-frame image)
        raw = Image.open(path)
    except (OSError, SyntaxError, ValueError):
        return None  # load_for_marking reads it, or says what is wrong
    try:
        if not isinstance(raw, JpegImageFile) or raw.mode != "RGB" or len(raw.layer) != 3:
            raw.close()
            return None
        if _rgb_coded(raw):
            raw.close()
            return None
        exif = raw.getexif()
        icc = raw.info.get("icc_profile")
        orientation = exif.get(_ORIENTATION, 1)
        sampling = jpeg_subsampling(raw, orientation if isinstance(orientation, int) else 0)
        raw.draft("YCbCr", None)
        raw.load()
        if raw.mode != "YCbCr":
            raw.close()
            return None
        ImageOps.exif_transpose(raw, in_place=True)  # (a copy of the frame otherwise)
    except (OSError, SyntaxError, ValueError):
        raw.close()
        return None
    if _ORIENTATION in exif:
        del exif[_ORIENTATION]
    meta = ImageMetadata(
        icc_profile=icc if isinstance(icc, bytes) and icc else None,
        exif=exif.tobytes() if len(exif) else None,
        subsampling=sampling,
    )
    return raw, meta


def luma_plane(im: Image.Image) -> npt.NDArray[np.uint8]:
    """The Y plane of a YCbCr image, as a new (read-only) array.

    Packed straight out of Pillow's 4-byte pixels by its raw encoder ("Y"): one copy,
    where ``getchannel`` and numpy's hand-over made two (~20 ms at 12 MP)."""
    if im.mode != "YCbCr":
        raise ValueError(f"a YCbCr image has a Y plane, not a {im.mode} one")
    return np.frombuffer(im.tobytes("raw", "Y"), dtype=np.uint8).reshape(im.height, im.width)


def with_luma(im: Image.Image, y: npt.NDArray[np.uint8]) -> None:
    """Replace the Y plane of the YCbCr image ``im`` by ``y`` (in place)."""
    if im.mode != "YCbCr" or y.shape != (im.height, im.width):
        raise ValueError(f"a {im.width}x{im.height} YCbCr image needs an equal Y plane")
    im.load()
    # what Image.putalpha does for its band; Image.merge would copy Cb and Cr out first
    im.im.putband(Image.fromarray(np.ascontiguousarray(y, dtype=np.uint8), "L").im, 0)


def save_marked_ycbcr(im: Image.Image, meta: ImageMetadata, path: Path, quality: int = 95) -> None:
    """Write a marked YCbCr image as :func:`save_marked` writes a JPEG (the source's
    chroma subsampling, the same quality and metadata), without a colour conversion."""
    kw: dict[str, Any] = {"quality": quality, "subsampling": meta.subsampling}
    if meta.icc_profile:
        kw["icc_profile"] = meta.icc_profile
    if meta.exif:
        kw["exif"] = meta.exif
    try:
        im.save(path, "JPEG", **kw)
    except (OSError, ValueError) as e:
        raise WatermarkError(f"cannot write JPEG image {path.name}: {e}") from e


def save_marked(
    rgb: npt.NDArray[np.uint8],
    alpha: npt.NDArray[np.uint8] | None,
    meta: ImageMetadata,
    path: Path,
    fmt: str,
    quality: int = 95,
) -> Image.Image:
    """Write marked pixels in ``fmt`` (JPEG, PNG, WEBP or TIFF), with the source's alpha
    (where the format has one) and metadata. Returns the image written (its pixels as
    the file holds them where ``fmt`` is lossless)."""
    if alpha is not None and fmt != "JPEG":
        im = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")  # (shares the array)
    else:
        im = _rgb_image(rgb)
    kw: dict[str, Any] = {}
    if fmt == "TIFF":
        # Pillow writes EXIF into TIFF as extra IFD tags that the C2PA signer then
        # cannot place its manifest beside (the signed file no longer opens): TIFF
        # copies carry pixels only
        meta = ImageMetadata()
    if meta.icc_profile:
        kw["icc_profile"] = meta.icc_profile
    if meta.exif:
        kw["exif"] = meta.exif
    if fmt == "JPEG":
        kw.update(quality=quality, subsampling=meta.subsampling)
    elif fmt == "WEBP":
        kw.update(quality=quality)
    try:
        im.save(path, fmt, **kw)
    except (OSError, ValueError) as e:
        raise WatermarkError(f"cannot write {fmt} image {path.name}: {e}") from e
    return im


def _rgb_image(rgb: npt.NDArray[np.uint8]) -> Image.Image:
    """``Image.fromarray(rgb, "RGB")`` without its first pass: Pillow stores RGB as 4
    bytes a pixel, so fromarray copies, into an image it first fills with black (a
    48 MB memset at 12 MP, ~25 ms). An image made with no colour is not filled."""
    h, w = rgb.shape[:2]
    im = Image.new("RGB", (w, h), None)
    im.frombytes(np.ascontiguousarray(rgb, dtype=np.uint8).data, "raw", "RGB")
    return im


MIN_SIDE = 64  # the detector reads nothing from images narrower than this (detect_luma)


def reduced_size_for(width: int, height: int, area: int) -> int:
    """The largest integer factor by which a ``width`` x ``height`` image may shrink and
    still hold at least ``area`` pixels, with no side that was ``MIN_SIDE`` or more
    falling under it (1: not at all)."""
    return max(1, min(int(math.sqrt(width * height / area)), min(width, height) // MIN_SIDE))


def load_luma(path: Path, area: int = ANALYSIS_AREA) -> npt.NDArray[np.float32]:
    """Luminance for detection (EXIF orientation applied), decoded at reduced size.

    The detector brings every image down to about ``area`` pixels with an area
    (averaging) filter before it looks at it (``image.ANALYSIS_AREA``), so the file is
    decoded no larger than needed and never smaller than that: a JPEG by DCT scaling
    (libjpeg decodes its luminance plane at 1/2, 1/4 or 1/8 size, several times faster
    than a full decode), then any format by an integer box reduction (``Image.reduce``),
    each at the largest factor whose result still holds ``area`` pixels. Both are
    averaging low-pass filters like the detector's own resize, which then brings the
    result to its working size; a 12 MP JPEG is decoded at 1000 x 750."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            if im.format == "JPEG":
                room = reduced_size_for(w, h, area)
                scale = max((s for s in (1, 2, 4, 8) if s <= room), default=1)
                if scale > 1:
                    # Pillow picks the largest DCT scale whose size is >= the one asked
                    im.draft("L", (w // scale, h // scale))
            im.load()
            # oriented in place: exif_transpose otherwise copies the whole frame
            ImageOps.exif_transpose(im, in_place=True)
            return luma_of(im, area)
    except OSError as e:
        raise WatermarkError(f"cannot read image {path}: {e}") from e


def luma_of(oriented: Image.Image, area: int = ANALYSIS_AREA) -> npt.NDArray[np.float32]:
    """:func:`load_luma`'s last steps on an image already decoded and oriented (not
    modified): greyscale, then the integer box reduction that still holds ``area``."""
    y = oriented if oriented.mode == "L" else oriented.convert("L")
    k = reduced_size_for(y.width, y.height, area)
    if k > 1:
        y = y.reduce(k)
    return np.asarray(y, dtype=np.float32)


def rgb_of(oriented: Image.Image) -> npt.NDArray[np.uint8]:
    """:func:`load_rgb` of an image already decoded and oriented (not modified)."""
    return _pixels(oriented)


def load_audio(path: Path, max_seconds: float | None = None) -> tuple[npt.NDArray[np.float32], int]:
    """Mono float32 samples and their rate, through PyAV (any container ffmpeg reads)."""
    import av  # heavy import kept local

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = int(stream.rate or stream.codec_context.sample_rate)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks: list[npt.NDArray[np.float32]] = []
            n = 0
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(-1).astype(np.float32)
                    chunks.append(arr)
                    n += arr.size
                if max_seconds is not None and n >= max_seconds * rate:
                    break
    except (IndexError, av.error.FFmpegError) as e:
        # the file's name only, and FFmpeg's reason without the path it repeats: the
        # message reaches HTTP clients, whose uploads sit in the server's own folders
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise WatermarkError(f"cannot read audio from {path.name}: {reason}") from e
    if not chunks:
        raise WatermarkError(f"no audio samples in {path.name}")
    return np.concatenate(chunks), rate
