"""Media type from the first bytes of a file, never from its name.

Only formats we can sign, verify or fingerprint are recognised; anything else is
``application/octet-stream`` and the caller decides whether that is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: MediaKind
    extension: str  # canonical extension, used for temp files handed to c2pa


UNKNOWN = Sniffed("application/octet-stream", MediaKind.UNKNOWN, "bin")

# ISO-BMFF major/compatible brands -> type
_BMFF_BRANDS: dict[bytes, Sniffed] = {
    b"avif": Sniffed("image/avif", MediaKind.IMAGE, "avif"),
    b"avis": Sniffed("image/avif", MediaKind.IMAGE, "avif"),
    b"heic": Sniffed("image/heic", MediaKind.IMAGE, "heic"),
    b"heix": Sniffed("image/heic", MediaKind.IMAGE, "heic"),
    b"mif1": Sniffed("image/heif", MediaKind.IMAGE, "heif"),
    b"msf1": Sniffed("image/heif", MediaKind.IMAGE, "heif"),
    b"qt  ": Sniffed("video/quicktime", MediaKind.VIDEO, "mov"),
    b"M4A ": Sniffed("audio/mp4", MediaKind.AUDIO, "m4a"),
    b"M4B ": Sniffed("audio/mp4", MediaKind.AUDIO, "m4a"),
    b"F4A ": Sniffed("audio/mp4", MediaKind.AUDIO, "m4a"),
}
_MP4 = Sniffed("video/mp4", MediaKind.VIDEO, "mp4")


def sniff(head: bytes) -> Sniffed:
    """Identify a file from its first bytes (at least 64 are needed for BMFF brands)."""
    h = head
    if h.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", MediaKind.IMAGE, "jpg")
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", MediaKind.IMAGE, "png")
    if h[:4] == b"RIFF" and h[8:12] == b"WEBP":
        return Sniffed("image/webp", MediaKind.IMAGE, "webp")
    if h[:4] == b"RIFF" and h[8:12] == b"WAVE":
        return Sniffed("audio/wav", MediaKind.AUDIO, "wav")
    if h[:4] == b"RIFF" and h[8:12] == b"AVI ":
        return Sniffed("video/x-msvideo", MediaKind.VIDEO, "avi")
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image/tiff", MediaKind.IMAGE, "tif")
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", MediaKind.IMAGE, "gif")
    if h[4:8] == b"ftyp":
        return _bmff(h)
    if h.startswith(b"%PDF-"):
        return Sniffed("application/pdf", MediaKind.DOCUMENT, "pdf")
    if h.startswith(b"fLaC"):
        return Sniffed("audio/flac", MediaKind.AUDIO, "flac")
    if h.startswith(b"ID3") or _is_mpeg_audio_frame(h):
        return Sniffed("audio/mpeg", MediaKind.AUDIO, "mp3")
    if h.startswith(b"OggS"):
        return Sniffed("audio/ogg", MediaKind.AUDIO, "ogg")
    if h.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video/webm", MediaKind.VIDEO, "webm")
    if h.startswith(b"\xff\x0a") or h.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return Sniffed("image/jxl", MediaKind.IMAGE, "jxl")
    stripped = h.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in h):
        return Sniffed("image/svg+xml", MediaKind.IMAGE, "svg")
    return UNKNOWN


def id3_tag_size(head: bytes) -> int | None:
    """Total size of a leading ID3v2 tag (header + body + footer), or None."""
    if len(head) < 10 or not head.startswith(b"ID3"):
        return None
    body = 0
    for b in head[6:10]:
        if b & 0x80:
            return None  # not a syncsafe integer: not a real tag
        body = (body << 7) | b
    footer = 10 if head[5] & 0x10 else 0
    return 10 + body + footer


def sniff_after_id3(after_tag: bytes) -> Sniffed:
    """What follows a leading ID3 tag: FLAC (c2pa stores FLAC manifests there) or MP3."""
    if after_tag.startswith(b"fLaC"):
        return Sniffed("audio/flac", MediaKind.AUDIO, "flac")
    return Sniffed("audio/mpeg", MediaKind.AUDIO, "mp3")


def _bmff(h: bytes) -> Sniffed:
    size = int.from_bytes(h[0:4], "big")
    major = h[8:12]
    if major in _BMFF_BRANDS:
        return _BMFF_BRANDS[major]
    # look through compatible brands within the ftyp box (bounded by what we have)
    end = min(max(size, 16), len(h))
    for off in range(16, end - 3, 4):
        brand = h[off : off + 4]
        if brand in _BMFF_BRANDS and brand not in (b"mif1", b"msf1"):
            return _BMFF_BRANDS[brand]
    return _MP4


def _is_mpeg_audio_frame(h: bytes) -> bool:
    # 11-bit frame sync, a valid layer and bitrate index
    if len(h) < 4 or h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
        return False
    layer = (h[1] >> 1) & 0x3
    bitrate = (h[2] >> 4) & 0xF
    return layer != 0 and bitrate not in (0, 0xF)
