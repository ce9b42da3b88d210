"""Long media in parts: what a part of a job reads, and how the combine step turns the
parts' readings into the report the whole-file analysis gives (docs/queue.md).

With a broker, a verify job (or a notice's analysis, ``notice.analyze``) of a video
longer than ``MEDIAPROOF_QUEUE_PART_S`` is split: its first task numbers the frames
(:func:`~mediaproof.fingerprint.video_ranges.frame_index`, from the demuxer, no decode)
and cuts them into ranges of about that many seconds, one **part** each (a row in
``job_parts`` and a task on the queue). A part decodes only its range (from the key frame
before it) and runs the readers that work per frame (:data:`READERS`); what it read is
stored in its row. The part that finds every part done claims the **combine** step (one
claim per job) and runs the job's kind again with the parts' readings in the analysis
cache, so the analyzers that have them do not decode the file again and the rest (C2PA,
the file hash, the sound track, likeness, detectors, consent) read the whole file once.

A reader gives up on a part by returning ``{"error": ...}`` (a frame over the limits, a
decode error); the combine then leaves its cache entry out and the analyzer reads the
whole file as it would unsplit, so a split report is never a different answer, at worst
a slower one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mediaproof.config import Limits, Settings
from mediaproof.errors import LimitExceededError, MediaproofError
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import PdqHash, pdq_hash_rgb
from mediaproof.fingerprint.video import (
    DEFAULT_SECONDS_PER_HASH,
    FRAME_MAX_SIDE,
    VpdqFrame,
    assemble_video_fingerprint,
    frame_rgb,
    sampling_step,
)
from mediaproof.fingerprint.video_ranges import RangeDecode, frame_index, max_frames, plan_ranges
from mediaproof.media.ingest import MediaInfo
from mediaproof.media.sniff import MediaKind
from mediaproof.watermark.analyzer import VIDEO_FRAMES_CACHE_KEY
from mediaproof.watermark.keys import watermark_key_path
from mediaproof.watermark.video import detect_frame, sample_indices

log = logging.getLogger("mediaproof.jobs")


@dataclass(frozen=True)
class Span:
    """One part: frames ``n0 ..`` with timestamps ``pts`` (stream time base), of a video
    whose frame rate is ``rate`` (num, den) and whose container counts ``nb_frames``."""

    index: int
    count: int
    n0: int
    pts: tuple[int, ...]
    rate: tuple[int, int]
    nb_frames: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "count": self.count,
            "n0": self.n0,
            "pts": list(self.pts),
            "rate": list(self.rate),
            "nb_frames": self.nb_frames,
        }

    @classmethod
    def of(cls, d: dict[str, Any]) -> Span:
        num, den = d["rate"]
        return cls(
            int(d["index"]),
            int(d["count"]),
            int(d["n0"]),
            tuple(int(p) for p in d["pts"]),
            (int(num), int(den)),
            int(d["nb_frames"]),
        )

    @property
    def frame_rate(self) -> float:
        return self.rate[0] / self.rate[1]


class PartReader(Protocol):
    """Work that can be done on one range of a video (a plug-in may register more).
    ``read`` returns plain JSON data (``{"error": "..."}`` to give up on the split);
    ``seed`` gets every part's reading, in order, and returns ``AnalysisContext.cache``
    entries for the combine ({} where a part gave up)."""

    name: str

    def read(self, path: Path, span: Span, settings: Settings) -> dict[str, Any]: ...

    def seed(
        self, path: Path, reads: Sequence[dict[str, Any]], settings: Settings
    ) -> dict[str, Any]: ...


READERS: dict[str, PartReader] = {}


def part_reader(reader: PartReader) -> PartReader:
    READERS[reader.name] = reader
    return reader


def plan_parts(
    path: Path, media: MediaInfo, part_s: float, limits: Limits | None = None
) -> list[Span] | None:
    """The parts of a video longer than ``part_s`` seconds (``plan_ranges``: a tail
    under a quarter part joins the last part); None when it is analysed whole (short,
    up to 1.25 parts then, not video, its frames cannot be numbered from the demuxer, or it has
    more frames than ``limits`` allow: the whole-file reads then refuse it with their
    own clear error, and the timestamps read here stay bounded)."""
    if part_s <= 0 or media.kind is not MediaKind.VIDEO:
        return None
    if media.duration_s is None or media.duration_s <= part_s:
        return None
    try:
        index = frame_index(path, max_frames(limits or Limits()))
    except LimitExceededError:
        return None
    if index is None:
        return None
    ranges = plan_ranges(index, part_s)
    if len(ranges) < 2:
        return None
    rate = (index.rate.numerator, index.rate.denominator)
    return [
        Span(i, len(ranges), n0, index.pts[n0:n1], rate, index.nb_frames)
        for i, (n0, n1) in enumerate(ranges)
    ]


def read_part(path: Path, span: Span, settings: Settings) -> dict[str, Any]:
    """Every reader's reading of one part, by reader name."""
    return {name: r.read(path, span, settings) for name, r in sorted(READERS.items())}


def seed_cache(
    path: Path, reads: Sequence[dict[str, Any]], settings: Settings
) -> dict[str, Any]:
    """The combine's analysis cache from every part's :func:`read_part`, in order."""
    cache: dict[str, Any] = {}
    for name, r in sorted(READERS.items()):
        mine = [p.get(name) for p in reads]
        if any(not isinstance(m, dict) for m in mine):
            continue  # a part read before this reader was known: the analyzer reads whole
        try:
            cache.update(r.seed(path, [m for m in mine if isinstance(m, dict)], settings))
        except Exception:  # the analyzer reads the whole file instead
            log.exception("combining the parts' %s readings failed", name)
    return cache


def _watermark_key(settings: Settings) -> bytes | None:
    p = watermark_key_path(settings.home)
    return p.read_bytes() if p.exists() else None


class VideoFrames:
    """The per-frame work of the verify pipeline on a video, from one decode of the
    part's range: the vPDQ hashes of the frames the match analyzer samples (one a
    second, scaled as :func:`~mediaproof.fingerprint.video.iter_frames` scales them)
    and the watermark detector's readings of the frames it samples (eight, full size)."""

    name = "video"

    def read(self, path: Path, span: Span, settings: Settings) -> dict[str, Any]:
        key = _watermark_key(settings)
        step = sampling_step(span.frame_rate, DEFAULT_SECONDS_PER_HASH)
        marks_at = set(sample_indices(span.nb_frames)) if key is not None else set()
        frames: list[list[Any]] = []
        marks: list[dict[str, Any]] = []
        shape: list[int] | None = None
        decode = RangeDecode(path, span.n0, span.pts, settings.limits)
        try:
            for item in decode.frames():
                if item is None:  # starting over from the file's start
                    frames, marks, shape = [], [], None
                    continue
                n, ts, frame = item
                if n % step == 0:
                    rgb = frame_rgb(frame, FRAME_MAX_SIDE)
                    shape = [int(rgb.shape[1]), int(rgb.shape[0])]
                    h = pdq_hash_rgb(np.ascontiguousarray(rgb))
                    frames.append([n, ts, h.hex, h.quality])
                if n in marks_at and key is not None:
                    full = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                    marks.append({"frame": n, "reading": detect_frame(full, key).as_dict()})
        except MediaproofError as e:
            return {"error": e.message}
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"}
        if decode.truncated:
            return {"error": "the decoder stopped inside this part"}
        return {
            "vpdq": frames,
            "size": shape,
            "marks": marks if key is not None else None,
            "seeked": decode.seeked,
        }

    def seed(
        self, path: Path, reads: Sequence[dict[str, Any]], settings: Settings
    ) -> dict[str, Any]:
        if any("error" in r for r in reads):
            return {}
        cache: dict[str, Any] = {}
        frames = [
            VpdqFrame(int(n), float(ts), PdqHash(bytes.fromhex(h), int(q)))
            for r in reads
            for n, ts, h, q in r["vpdq"]
        ]
        size = next((r["size"] for r in reversed(reads) if r["size"] is not None), None)
        if frames and size is not None:
            try:
                video = assemble_video_fingerprint(
                    path, frames, DEFAULT_SECONDS_PER_HASH, int(size[0]), int(size[1])
                )
            except MediaproofError:
                pass  # the match analyzer meets the same error reading the whole file
            else:
                cache["fingerprints"] = Fingerprints(
                    MediaKind.VIDEO, video.md5, video=video, audio=video.audio
                )
        key = _watermark_key(settings)
        if key is not None and all(r["marks"] is not None for r in reads):
            readings = sorted((m for r in reads for m in r["marks"]), key=lambda m: m["frame"])
            cache[VIDEO_FRAMES_CACHE_KEY] = (key, [m["reading"] for m in readings])
        return cache


part_reader(VideoFrames())
