"""Take a file in: check limits, sniff its type, hash it once, read its dimensions.

Nothing here trusts the file name. Decoding is bounded: images by a pixel limit checked
from the header before any decode (Pillow's bomb check, set to the same limit by
:func:`apply_pixel_limit`, backs it up), audio and video by a duration limit read from
the container.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from mediaproof.config import Limits
from mediaproof.errors import (
    IngestError,
    LimitExceededError,
    MalformedMediaError,
)
from mediaproof.media.children import run_limited
from mediaproof.media.sniff import MediaKind, Sniffed, id3_tag_size, sniff, sniff_after_id3

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    mime: str
    kind: MediaKind
    extension: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    # the MD5 of the bytes, where they were read into memory (:func:`read_signed`)
    md5: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.mime,
            "kind": self.kind.value,
            "size": self.size,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "duration_s": self.duration_s,
        }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        _hash_stream(f, h)
    return h.hexdigest()


def _hash_stream(f: BinaryIO, h: hashlib._Hash) -> int:
    n = 0
    while chunk := f.read(_CHUNK):
        h.update(chunk)
        n += len(chunk)
    return n


def ingest_file(path: Path, limits: Limits) -> MediaInfo:
    """Sniff, size-check, hash and probe ``path``. Raises an :class:`IngestError`."""
    media, _ = _ingest(path, limits)
    return media


def read_signed(path: Path, limits: Limits, keep_upto: int) -> tuple[MediaInfo, bytes | None]:
    """:func:`ingest_file` of a file just written (a signed release). One that holds at
    most ``keep_upto`` bytes is read once into memory, and comes back with those bytes
    and its MD5 (``MediaInfo.md5``) beside the SHA-256: one read for every digest
    registration needs and for the copy kept in the blob store, where three passes read
    it before. A larger one (a video, whose fingerprints hash it anyway) is streamed as
    :func:`ingest_file` streams it, without bytes or MD5."""
    return _ingest(path, limits, keep_upto=keep_upto)


def _ingest(path: Path, limits: Limits, *, keep_upto: int = -1) -> tuple[MediaInfo, bytes | None]:
    try:
        size = path.stat().st_size
    except FileNotFoundError as e:
        raise IngestError(f"no such file: {path}") from e
    except OSError as e:
        raise IngestError(f"cannot read {path}: {e.strerror}") from e
    if not path.is_file():
        raise IngestError(f"not a regular file: {path}")
    if size > limits.max_bytes:
        raise LimitExceededError(
            f"file is {size:,} bytes; the limit is {limits.max_bytes:,}",
            hint="raise MEDIAPROOF_LIMIT_MAX_BYTES if this is expected",
        )
    if size == 0:
        raise MalformedMediaError("file is empty")
    h = hashlib.sha256()
    h5 = None
    kept: bytes | None = None
    with path.open("rb") as f:
        if size <= keep_upto:
            # one read; both digests over the bytes in 1 MiB slices (cache-sized)
            h5 = hashlib.md5(usedforsecurity=False)
            kept = f.read(keep_upto + 1)
            view = memoryview(kept)
            for i in range(0, len(kept), _CHUNK):
                h.update(view[i : i + _CHUNK])
                h5.update(view[i : i + _CHUNK])
            head = kept[:4096]
        else:
            head = f.read(4096)
            h.update(head)
            _hash_stream(f, h)
    sniffed = sniff(head)
    tag = id3_tag_size(head)
    if tag is not None and tag < size:
        with path.open("rb") as f:
            f.seek(tag)
            sniffed = sniff_after_id3(f.read(16))
    width = height = None
    duration = None
    if sniffed.kind is MediaKind.IMAGE and sniffed.mime != "image/svg+xml":
        width, height = probe_image(path, sniffed, limits)
    elif sniffed.kind in (MediaKind.AUDIO, MediaKind.VIDEO):
        width, height, duration = probe_av(path, sniffed, limits)
    if kept is not None and len(kept) != size:
        raise IngestError(f"{path.name} changed while it was read")
    media = MediaInfo(
        path=path,
        mime=sniffed.mime,
        kind=sniffed.kind,
        extension=sniffed.extension,
        size=size,
        sha256=h.hexdigest(),
        width=width,
        height=height,
        duration_s=duration,
        md5=h5.hexdigest() if h5 is not None else None,
    )
    return media, kept


def apply_pixel_limit(max_pixels: int) -> None:
    """Make ``MEDIAPROOF_LIMIT_MAX_PIXELS`` Pillow's own decompression-bomb limit too, in
    this process (the instance calls it; so does each analysis worker).

    Pillow refuses images over twice ``Image.MAX_IMAGE_PIXELS`` and only warns between
    once and twice; its default (89.5 MP, refusing at 179 MP) would otherwise override
    ours in both directions. Its warning is silenced: our own check from the header
    refuses, with our message, before Pillow would decode anything."""
    Image.MAX_IMAGE_PIXELS = max(1, (max_pixels + 1) // 2)  # Pillow refuses above 2x this
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def probe_image(path: Path, sniffed: Sniffed, limits: Limits) -> tuple[int | None, int | None]:
    """Image dimensions from the header; refuses images over the pixel limit."""
    size = header_size(path)
    if size is None:
        # Formats Pillow cannot open (AVIF/HEIC without plugins, JXL) still get verified;
        # only decoders that need pixels will complain later.
        return None, None
    check_pixels(*size, limits)
    return size


def header_size(path: Path) -> tuple[int, int] | None:
    """Width and height as the image's header declares them, read by Pillow's format
    plugins as ``Image.open`` does, but without its bomb check: that would answer first,
    in Pillow's words and without the size, where ours names the size and the setting."""
    Image.init()
    with path.open("rb") as f:
        prefix = f.read(16)
        for fmt in list(Image.ID):
            factory, accept = Image.OPEN[fmt]
            try:
                found = not accept or accept(prefix)
                if isinstance(found, str) or not found:
                    continue
                f.seek(0)
                im = factory(f, str(path))
            except Exception:
                continue
            try:
                w, h = im.size
                return int(w), int(h)
            finally:
                im.close()
    return None


def check_pixels(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise LimitExceededError(
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{limits.max_pixels:,} pixels ({limits.setting('max_pixels')})",
            hint=limits.hint("max_pixels"),
        )


def probe_av(
    path: Path, sniffed: Sniffed, limits: Limits
) -> tuple[int | None, int | None, float | None]:
    """Duration (and video size) from the container, read by ffprobe in a child process.

    Hostile containers (nested boxes, RIFF bombs) then cost at most the timeout and the
    memory cap, and can never crash or hang the caller.
    """
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None, None, None  # duration unknown; nothing else depends on it
    cmd = [
        ffprobe,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_entries",
        "format=duration:stream=codec_type,width,height",
        "--",
        str(path),
    ]
    try:
        proc = run_limited(cmd, timeout_s=limits.parse_timeout_s)
    except subprocess.TimeoutExpired as e:
        raise MalformedMediaError(
            f"the container could not be read within {limits.parse_timeout_s:.0f} s"
        ) from e
    if proc.returncode != 0:
        # FFmpeg cannot parse it; the credentials reader may still read it, so no error here.
        return None, None, None
    try:
        info = json.loads(proc.stdout or b"{}")
    except ValueError:
        return None, None, None
    duration: float | None = None
    try:
        duration = float(info.get("format", {}).get("duration"))
    except (TypeError, ValueError):
        duration = None
    width = height = None
    for stream in info.get("streams", []):
        if stream.get("codec_type") == "video" and stream.get("width"):
            width, height = int(stream["width"]), int(stream["height"])
            break
    if duration is not None and duration > limits.max_duration_s:
        raise LimitExceededError(
            f"media lasts {duration:,.0f} s, over the limit of {limits.max_duration_s:,.0f} s "
            f"({limits.setting('max_duration_s')})",
            hint=limits.hint("max_duration_s"),
        )
    if width and height:
        check_pixels(width, height, limits)
    return width, height, duration
