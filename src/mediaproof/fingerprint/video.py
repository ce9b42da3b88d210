"""Video fingerprints: MD5 of the file for exact copies, vPDQ for re-encoded ones.

vPDQ (Meta) is PDQ of frames sampled at a fixed rate, compared as a *bag* of frames:
order and timing are ignored, so re-timed, trimmed or re-encoded copies still match.
Two videos are compared by the share of query frames with a target frame within 31
bits, and the share of target frames with a query frame within 31 bits (both after
dropping frames of quality < 50 and duplicate hashes, as Meta's matcher does). Frames
are decoded with PyAV (FFmpeg), converted to RGB24 and hashed at full frame size, as
Meta's reference does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError, MalformedMediaError, UnsupportedMediaError
from mediaproof.fingerprint.audio import AudioFingerprint
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD, QUALITY_THRESHOLD, PdqHash, pdq_hash_rgb
from mediaproof.matching.hamming_index import hashes_to_words
from mediaproof.media.sniff import MediaKind

DEFAULT_SECONDS_PER_HASH = 1.0  # python-threatexchange's default; used for queries
# Registered originals hash every frame (up to 30 a second). Measured on Meta's chair
# clips: a copy cut at a different start shares almost no frame *phase* with a
# 1-frame-per-second original (16 % of query frames matched), while against every frame
# of the original 83-100 % match. Storage: 32 bytes per frame (3.5 MB per hour at 30 fps).
REFERENCE_SECONDS_PER_HASH = 1 / 30  # every frame up to 30 fps, every 2nd at 60 fps
# Frames are scaled (FFmpeg swscale, area filter) to at most 512 px before PDQ, on both
# sides, like the image pipeline: it makes a 1080p original and its 720p copy hash from
# the same size, and hashing 5 MP frames at full size made registering a 5 s, 59 fps
# clip take over a minute. Meta's expected hashes assume full-size frames: the
# conformance tests pass ``max_side=None``.
FRAME_MAX_SIDE = 512
MATCH_PERCENT = 80.0  # share at or above this: a lead (Meta's suggested operating point)


@dataclass(frozen=True)
class VpdqFrame:
    frame: int  # frame number in decode order
    timestamp_s: float
    pdq: PdqHash


@dataclass(frozen=True)
class VideoFingerprint:
    md5: str
    frames: tuple[VpdqFrame, ...]
    seconds_per_hash: float
    duration_s: float | None
    width: int | None
    height: int | None
    audio: AudioFingerprint | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "signal": "vpdq",
            "md5": self.md5,
            "seconds_per_hash": self.seconds_per_hash,
            "duration_s": self.duration_s,
            "width": self.width,
            "height": self.height,
            "frames": [
                {
                    "frame": f.frame,
                    "timestamp_s": round(f.timestamp_s, 3),
                    "hash": f.pdq.hex,
                    "quality": f.pdq.quality,
                }
                for f in self.frames
            ],
        }
        if self.audio is not None:
            out["audio"] = self.audio.as_dict()
        return out


@dataclass(frozen=True)
class VpdqMatch:
    query_match_percent: float
    compared_match_percent: float
    query_frames: int  # usable (quality >= 50, deduplicated) frames compared
    compared_frames: int
    best_distance: int | None = None  # bits between the nearest frame pair; None: no frames

    @property
    def is_match(self) -> bool:
        """Both shares over the threshold: the same video at comparable sampling."""
        return (
            self.query_match_percent >= MATCH_PERCENT
            and self.compared_match_percent >= MATCH_PERCENT
        )

    @property
    def query_contained(self) -> bool:
        """Most query frames found in the target: the query is (part of) the target.

        This is the test for a sparse query against a densely hashed original, where
        the compared share is low by construction (and for clips of long originals)."""
        return self.query_match_percent >= MATCH_PERCENT


def md5_file(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def frame_rgb(frame: Any, max_side: int | None) -> np.ndarray:
    """RGB24 pixels, scaled by FFmpeg's swscale (area filter) to at most ``max_side``."""
    w, h = frame.width, frame.height
    if max_side is None or max(w, h) <= max_side:
        return frame.to_ndarray(format="rgb24")  # type: ignore[no-any-return]
    f = max_side / max(w, h)
    nw, nh = max(1, round(w * f)), max(1, round(h * f))
    return frame.to_ndarray(  # type: ignore[no-any-return]
        format="rgb24", width=nw, height=nh, interpolation="AREA"
    )


def iter_frames(
    path: Path,
    seconds_per_hash: float,
    limits: Limits | None = None,
    max_frames: int | None = None,
    max_side: int | None = FRAME_MAX_SIDE,
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (frame number, timestamp, RGB array) for frames at the sampling rate.

    ``seconds_per_hash=0`` yields every frame. Sampling follows Meta's vpdq: with a
    constant frame rate ``fps``, every ``round(fps * seconds_per_hash)``-th frame.
    """
    import av  # heavy; only needed here

    limits = limits or Limits()
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as e:
        raise MalformedMediaError(f"cannot open video: {e}") from e
    with container:
        if not container.streams.video:
            raise UnsupportedMediaError("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        step = sampling_step(float(rate), seconds_per_hash)
        tb = float(stream.time_base) if stream.time_base else 1.0 / float(rate)
        n = 0
        try:
            for frame in container.decode(stream):
                if frame.width * frame.height > limits.max_pixels:
                    raise LimitExceededError("video frame over the pixel limit")
                ts = frame.pts * tb if frame.pts is not None else n / float(rate)
                if ts > limits.max_duration_s:
                    raise LimitExceededError("video longer than the duration limit")
                if n % step == 0:
                    yield n, float(ts), frame_rgb(frame, max_side)
                n += 1
                if max_frames is not None and n >= max_frames:
                    break
        except av.FFmpegError as e:
            if n == 0:
                raise MalformedMediaError(f"video does not decode: {e}") from e
            # a truncated tail still leaves the frames before it usable


def fingerprint_video(
    path: Path,
    *,
    seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH,
    with_audio: bool = True,
    limits: Limits | None = None,
    max_frames: int | None = None,
    max_side: int | None = FRAME_MAX_SIDE,
) -> VideoFingerprint:
    """MD5 + vPDQ of ``path``; plus Chromaprint of its sound track when it has one.

    ``max_frames`` stops decoding early (previews and tests); None decodes everything.
    ``max_side=None`` hashes frames at full size (Meta's reference; conformance tests).
    """
    frames = []
    width = height = None
    for n, ts, rgb in iter_frames(path, seconds_per_hash, limits, max_frames, max_side):
        height, width = int(rgb.shape[0]), int(rgb.shape[1])
        frames.append(VpdqFrame(n, ts, pdq_hash_rgb(np.ascontiguousarray(rgb))))
    return assemble_video_fingerprint(
        path, frames, seconds_per_hash, width, height, with_audio=with_audio
    )


def assemble_video_fingerprint(
    path: Path,
    frames: Sequence[VpdqFrame],
    seconds_per_hash: float,
    width: int | None,
    height: int | None,
    *,
    with_audio: bool = True,
) -> VideoFingerprint:
    """The fingerprint of ``path`` from its hashed frames (in frame order), with what is
    taken from the whole file: its MD5 and its sound track's Chromaprint. The frames come
    from one decode (:func:`fingerprint_video`) or from the parts of a long video's job
    (services.job_parts), which give the same fingerprint."""
    if not frames:
        raise MalformedMediaError("video has no decodable frames")
    audio = None
    if with_audio:
        from mediaproof.fingerprint.audio import fingerprint_audio

        try:
            audio = fingerprint_audio(path)
        except UnsupportedMediaError:
            audio = None  # silent video
        if audio is not None and audio.empty:
            audio = None
    duration = frames[-1].timestamp_s if frames else None
    return VideoFingerprint(
        md5=md5_file(path),
        frames=tuple(frames),
        seconds_per_hash=seconds_per_hash,
        duration_s=duration,
        width=width,
        height=height,
        audio=audio,
    )


def sampling_step(rate: float, seconds_per_hash: float) -> int:
    """Every how many frames :func:`iter_frames` hashes one, at frame rate ``rate``."""
    return max(1, round(rate * seconds_per_hash)) if seconds_per_hash > 0 else 1


def usable_hashes(frames: Sequence[VpdqFrame | PdqHash]) -> list[bytes]:
    """Quality-filtered, de-duplicated frame hashes (Meta's ``prepare_vpdq_feature``)."""
    seen: set[bytes] = set()
    out: list[bytes] = []
    for f in frames:
        h = f.pdq if isinstance(f, VpdqFrame) else f
        if h.quality >= QUALITY_THRESHOLD and h.value not in seen:
            seen.add(h.value)
            out.append(h.value)
    return out


def compare_vpdq(
    query: Sequence[VpdqFrame | PdqHash] | VideoFingerprint,
    compared: Sequence[VpdqFrame | PdqHash] | VideoFingerprint,
    *,
    distance: int = MATCH_THRESHOLD,
) -> VpdqMatch:
    """Bag-of-frames comparison; same numbers as python-threatexchange's brute matcher."""
    q = usable_hashes(query.frames if isinstance(query, VideoFingerprint) else query)
    c = usable_hashes(compared.frames if isinstance(compared, VideoFingerprint) else compared)
    if not q or not c:
        return VpdqMatch(0.0, 0.0, len(q), len(c))
    qw = hashes_to_words(q)
    cw = hashes_to_words(c)
    q_hit = np.zeros(len(q), dtype=np.bool_)
    c_hit = np.zeros(len(c), dtype=np.bool_)
    best = 256
    for i in range(0, len(q), 256):  # bounded memory for long videos
        d = np.bitwise_count(qw[i : i + 256, None, :] ^ cw[None, :, :]).sum(axis=2)
        best = min(best, int(d.min()))
        close = d <= distance
        q_hit[i : i + 256] = close.any(axis=1)
        c_hit |= close.any(axis=0)
    return VpdqMatch(
        100.0 * float(q_hit.sum()) / len(q),
        100.0 * float(c_hit.sum()) / len(c),
        len(q),
        len(c),
        best,
    )


class VpdqFingerprinter:
    """vPDQ of videos as a :class:`~mediaproof.fingerprint.protocol.Fingerprinter`.

    References hash every frame (up to 30 a second), queries one frame a second; a query
    matches when at least :data:`MATCH_PERCENT` of its usable frames are within
    :data:`MATCH_THRESHOLD` bits of a reference frame (the analyzer's rule: a sparse
    query against a dense original). ``threshold`` is per frame. The sound track's
    Chromaprint rides along in :attr:`VideoFingerprint.audio`."""

    signal: str = "vpdq"
    kinds: frozenset[MediaKind] = frozenset({MediaKind.VIDEO})
    threshold: float = MATCH_THRESHOLD

    def fingerprint(
        self, path: Path, *, reference: bool = False, limits: Limits | None = None
    ) -> VideoFingerprint:
        rate = REFERENCE_SECONDS_PER_HASH if reference else DEFAULT_SECONDS_PER_HASH
        return fingerprint_video(path, seconds_per_hash=rate, limits=limits)

    def matches(self, query: VideoFingerprint, reference: VideoFingerprint) -> bool:
        return compare_vpdq(query, reference).query_contained
