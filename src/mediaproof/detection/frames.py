"""Detectors on video: a bounded number of evenly spaced frames, scored, and one rule to
turn the frames' scores into the video's.

Frames are decoded with the project's video reader (:func:`mediaproof.fingerprint.video.
iter_frames`, PyAV/FFmpeg, the one vPDQ uses) under the instance's pixel and duration
limits, at their own size (no rescaling: a detector's preprocessing is its card's).

* A detector of modality ``image`` sees each frame as a still (written losslessly as PNG
  to a temporary file, so that every image detector, ONNX or HTTP, reads it as it reads
  an uploaded picture), and the video's score is the **median** of the frames' scores.
* A detector of modality ``video-frames`` receives all the frames at once
  (:class:`~mediaproof.detection.protocol.FramesDetector`) and its own answer is used.

Why the median and not the maximum: a detector's false-positive rate was measured on one
still per file. Taking the maximum over N frames gives a real video N chances to cross
the threshold (with 8 frames and a 3 % false-positive rate per still, up to about 22 % of
real videos would read "consistent with AI generation"), while the median keeps one
frame's error from becoming the video's opinion. The cost: a video only partly generated
(a few seconds spliced in) can be outvoted, so every frame's score, and the highest, is
shown beside the median for a reviewer to see.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mediaproof.config import Limits
from mediaproof.detection.errors import DetectorError
from mediaproof.detection.protocol import Detector, DetectorResult, FramesDetector, VideoFrame

AGGREGATE = "median"
AGGREGATE_WHY = (
    "the median of the frames' scores: one frame's error does not become the video's "
    "opinion, and a real video is not given one chance per frame to cross the threshold "
    "(a few generated seconds in a longer video can be outvoted: see each frame's score)"
)


def sample_frames(path: Path, count: int, limits: Limits | None = None,
                  duration_s: float | None = None) -> list[VideoFrame]:
    """Up to ``count`` frames evenly spaced over the video (the first one at 0 s).

    With the duration known, every ``duration / count`` seconds; without it, the first
    ``count`` frames one second apart. Raises MalformedMediaError / UnsupportedMediaError
    / LimitExceededError (mediaproof.errors) for files that are not decodable video."""
    from mediaproof.fingerprint.video import iter_frames

    if count < 1:
        raise ValueError("sample at least one frame")
    every = duration_s / count if duration_s and duration_s > 0 else 1.0
    out: list[VideoFrame] = []
    for n, ts, rgb in iter_frames(path, every, limits, max_side=None):
        out.append(VideoFrame(n, ts, np.ascontiguousarray(rgb, dtype=np.uint8)))
        if len(out) >= count:
            break
    return out


@dataclass(frozen=True)
class FrameScore:
    index: int
    timestamp_s: float
    probability: float | None
    abstain_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"frame": self.index, "timestamp_s": round(self.timestamp_s, 3),
                "probability": None if self.probability is None
                else round(self.probability, 4),
                "abstain_reason": self.abstain_reason}


@dataclass(frozen=True)
class VideoScore:
    """A detector's answer on a video: the result (aggregated for image detectors), and
    the frames it looked at with each frame's score where it gave one per frame."""

    result: DetectorResult
    frames: tuple[FrameScore, ...]
    aggregate: str  # "median" (image detector on frames) or "detector" (native)


def score_frames_with(det: Detector, frames: Sequence[VideoFrame]) -> VideoScore:
    """Score the sampled frames with one loaded detector. Raises DetectorError when
    it cannot answer on a frame; an image detector that abstains on every frame abstains."""
    if not frames:
        return VideoScore(DetectorResult.abstain("no frame could be sampled from the video"),
                          (), AGGREGATE)
    if det.modality == "video-frames":
        if not isinstance(det, FramesDetector):
            raise DetectorError(f"{det.id}: declares video-frames but has no score_frames")
        res = det.score_frames(frames)
        looked = tuple(FrameScore(f.index, f.timestamp_s, None, "scored with the others")
                       for f in frames)
        return VideoScore(res, looked, "detector")
    if det.modality != "image":
        raise DetectorError(f"{det.id}: a {det.modality} detector does not look at frames")
    scores: list[FrameScore] = []
    with tempfile.TemporaryDirectory(prefix="mediaproof-frames-") as tmp:
        for f in frames:
            p = Path(tmp) / f"frame-{f.index}.png"
            Image.fromarray(f.rgb).save(p, format="PNG", compress_level=1)
            r = det.score(p)
            p.unlink()
            scores.append(FrameScore(f.index, f.timestamp_s, r.probability, r.abstain_reason))
    probs = [s.probability for s in scores if s.probability is not None]
    if not probs:
        reasons = sorted({s.abstain_reason or "" for s in scores})
        return VideoScore(DetectorResult.abstain(
            "it abstained on every sampled frame (" + "; ".join(reasons) + ")"),
            tuple(scores), AGGREGATE)
    med = float(statistics.median(probs))
    res = DetectorResult(med, raw={"aggregate": AGGREGATE, "max": max(probs),
                                   "frames_scored": len(probs), "frames": len(scores)})
    return VideoScore(res, tuple(scores), AGGREGATE)
