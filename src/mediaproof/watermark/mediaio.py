"""Reading and writing pixels and samples for the watermark commands and analyzer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from mediaproof.watermark.errors import WatermarkError

ANALYSIS_PIXELS_LONG = 2048  # the detector works at ~640x640 px; JPEG draft decodes larger


def load_rgb(path: Path) -> npt.NDArray[np.uint8]:
    """Pixels as displayed (EXIF orientation applied): RGB, or RGBA when it has alpha."""
    try:
        with Image.open(path) as raw:
            im = ImageOps.exif_transpose(raw)
            mode = "RGBA" if im.mode in ("RGBA", "LA", "PA") else "RGB"
            return np.asarray(im.convert(mode), dtype=np.uint8).copy()
    except OSError as e:
        raise WatermarkError(f"cannot read image {path}: {e}") from e


def load_luma(path: Path) -> npt.NDArray[np.float32]:
    """Luminance for detection; large JPEGs are decoded at reduced size (DCT scaling),
    which is several times faster and loses nothing the detector uses."""
    try:
        with Image.open(path) as raw:
            if raw.format == "JPEG":
                w, h = raw.size
                scale = max(w, h) / ANALYSIS_PIXELS_LONG
                if scale >= 2:
                    raw.draft("L", (int(w / scale) + 1, int(h / scale) + 1))
            im = ImageOps.exif_transpose(raw)
            return np.asarray(im.convert("L"), dtype=np.float32)
    except OSError as e:
        raise WatermarkError(f"cannot read image {path}: {e}") from e


def save_image(pixels: npt.NDArray[np.uint8], path: Path, quality: int = 95) -> None:
    im = Image.fromarray(pixels)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise WatermarkError(f"cannot tell the image format from {path.name}")
    if fmt == "JPEG":
        im.convert("RGB").save(path, fmt, quality=quality, subsampling=0)
    else:
        im.save(path, fmt)


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
        raise WatermarkError(f"cannot read audio from {path}: {e}") from e
    if not chunks:
        raise WatermarkError(f"no audio samples in {path}")
    return np.concatenate(chunks), rate
