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


# --- sound: what happens to a voice recording on its way to a voter -----------------------
# Re-encoded through FFmpeg's libraries (PyAV, which the project already uses to read
# audio); a codec this build of FFmpeg lacks makes that transform unavailable, and the
# harness reports it skipped with the reason instead of measuring it.

_AUDIO_CODECS = {"mp3-32k": "libmp3lame", "opus-16k": "libopus", "resample-8k": "pcm_s16le"}


def _reencode(src: Path, out: Path, codec: str, rate: int, bit_rate: int | None) -> Path:
    import av  # heavy import kept local

    try:
        with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
            ost = dst.add_stream(codec, rate=rate, layout="mono")
            if not isinstance(ost, av.AudioStream):
                raise ValueError(f"{codec} is not an audio encoder")
            if bit_rate is not None:
                ost.bit_rate = bit_rate
            resampler = av.AudioResampler(format="s16" if codec != "libmp3lame" else "s16p",
                                          layout="mono", rate=rate)
            for frame in inp.decode(audio=0):
                for f in resampler.resample(frame):
                    f.pts = None
                    dst.mux(ost.encode(f))
            for f in resampler.resample(None):
                f.pts = None
                dst.mux(ost.encode(f))
            dst.mux(ost.encode(None))
    except (IndexError, av.error.FFmpegError) as e:
        raise ValueError(f"cannot re-encode {src.name} with {codec}: {e}") from None
    return out


def mp3_low(src: Path, dst_dir: Path) -> Path:
    """Re-posted as a low-bitrate MP3: mono, 22.05 kHz, 32 kbit/s."""
    return _reencode(src, dst_dir / f"{src.stem}.mp3-32k.mp3", "libmp3lame", 22050, 32_000)


def opus_low(src: Path, dst_dir: Path) -> Path:
    """A messaging app's voice note: Opus, mono, 16 kbit/s, in Ogg."""
    return _reencode(src, dst_dir / f"{src.stem}.opus-16k.ogg", "libopus", 48000, 16_000)


def resample_8k(src: Path, dst_dir: Path) -> Path:
    """Through a telephone line's bandwidth: resampled to 8 kHz mono, 16-bit WAV."""
    return _reencode(src, dst_dir / f"{src.stem}.8k.wav", "pcm_s16le", 8000, None)


AUDIO_TRANSFORMS: dict[str, Callable[[Path, Path], Path]] = {
    "mp3-32k": mp3_low,
    "opus-16k": opus_low,
    "resample-8k": resample_8k,
}


def unavailable_audio_transforms() -> dict[str, str]:
    """The audio transforms this machine cannot run, with the reason."""
    try:
        import av
    except ImportError:
        return {t: "PyAV (FFmpeg) is not installed" for t in AUDIO_TRANSFORMS}
    out: dict[str, str] = {}
    for t, codec in _AUDIO_CODECS.items():
        try:
            av.codec.Codec(codec, "w")
        except (ValueError, av.error.FFmpegError):  # UnknownCodecError is a ValueError
            out[t] = f"this FFmpeg build has no {codec} encoder"
    return out


def transforms_for(modality: str) -> dict[str, Callable[[Path, Path], Path]]:
    """The transforms that apply to a detector's kind of media."""
    return AUDIO_TRANSFORMS if modality == "audio" else TRANSFORMS
