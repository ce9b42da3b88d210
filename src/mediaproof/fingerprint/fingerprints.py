"""One entry point: the fingerprints of a file, whatever its media kind.

Two modes, because the stored and the queried side need different amounts of work:

* ``reference=True`` (registering an original): images get all 8 dihedral PDQ
  variants, videos a PDQ hash for every frame (up to 30 frames/s);
* ``reference=False`` (a query): images get the plain hash only (the registry already
  holds the variants), videos one frame per second.

Both sides use the same decode pipeline, so hashes are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediaproof.config import Limits
from mediaproof.errors import UnsupportedMediaError
from mediaproof.fingerprint.audio import AudioFingerprint, ChromaprintFingerprinter
from mediaproof.fingerprint.pdq import ImageFingerprint, PdqFingerprinter
from mediaproof.fingerprint.protocol import Fingerprinter
from mediaproof.fingerprint.video import VideoFingerprint, VpdqFingerprinter, md5_file
from mediaproof.media.sniff import MediaKind, sniff

SIGNALS = ("pdq", "md5", "vpdq", "chromaprint")

# The built-in fingerprinters; the annotations make mypy check that each one satisfies
# the Fingerprinter protocol (structural typing: none of them inherits from it).
PDQ: Fingerprinter[ImageFingerprint] = PdqFingerprinter()
VPDQ: Fingerprinter[VideoFingerprint] = VpdqFingerprinter()
CHROMAPRINT: Fingerprinter[AudioFingerprint] = ChromaprintFingerprinter()


@dataclass(frozen=True)
class Fingerprints:
    kind: MediaKind
    md5: str
    image: ImageFingerprint | None = None
    video: VideoFingerprint | None = None
    audio: AudioFingerprint | None = None  # audio files, and videos with sound

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind.value, "md5": self.md5}
        if self.image is not None:
            out["pdq"] = self.image.as_dict()
        if self.video is not None:
            v = self.video.as_dict()
            v.pop("audio", None)
            out["vpdq"] = v
        if self.audio is not None:
            out["chromaprint"] = self.audio.as_dict()
        return out


def fingerprint_file(
    path: Path,
    *,
    kind: MediaKind | None = None,
    reference: bool = False,
    limits: Limits | None = None,
) -> Fingerprints:
    """Fingerprints of ``path``; the media kind is sniffed from content unless given.

    Raises :class:`UnsupportedMediaError` for kinds without a fingerprint (documents).
    """
    if kind is None:
        with path.open("rb") as f:
            kind = sniff(f.read(4096)).kind
    md5 = md5_file(path)
    if kind is MediaKind.IMAGE:
        image = PDQ.fingerprint(path, reference=reference, limits=limits)
        return Fingerprints(kind, md5, image=image)
    if kind is MediaKind.VIDEO:
        video = VPDQ.fingerprint(path, reference=reference, limits=limits)
        return Fingerprints(kind, md5, video=video, audio=video.audio)
    if kind is MediaKind.AUDIO:
        audio = CHROMAPRINT.fingerprint(path, reference=reference, limits=limits)
        return Fingerprints(kind, md5, audio=audio)
    raise UnsupportedMediaError(f"no fingerprint for {kind.value} media")
