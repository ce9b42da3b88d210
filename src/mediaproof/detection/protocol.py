"""The contract every detector implements.

To add a detector: implement :class:`Detector` (usually by wrapping a model card with
:class:`~mediaproof.detection.onnx.OnnxImageDetector`), expose a zero-argument factory in
the ``mediaproof.detectors`` entry-point group of your own package, and subclass
``mediaproof.testing.detector_contract.DetectorContract`` in your tests.

``load`` raises :class:`~mediaproof.detection.errors.DetectorLoadError` when anything is
wrong (missing weights, digest mismatch, broken model); ``score`` returns a probability
in [0, 1] or an explicit abstention with a reason, never a made-up constant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from mediaproof.detection.card import ModelCard

Modality = Literal["image", "audio", "video-frames"]
MODALITIES: tuple[Modality, ...] = ("image", "audio", "video-frames")


@dataclass(frozen=True)
class Region:
    """The part of an image a detector looked at, as fractions of width and height."""

    x: float
    y: float
    width: float
    height: float
    note: str = ""

    def __post_init__(self) -> None:
        for v in (self.x, self.y, self.width, self.height):
            if not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise ValueError("region coordinates are fractions in [0, 1]")

    def as_dict(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height,
                "note": self.note}


@dataclass(frozen=True)
class Segment:
    """The stretch of audio or video a detector looked at, in seconds."""

    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.start_s <= self.end_s):
            raise ValueError("a segment needs 0 <= start <= end")

    def as_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s}


@dataclass(frozen=True)
class DetectorResult:
    """Either a probability that the media is AI-generated, or an abstention."""

    probability: float | None
    abstain_reason: str | None = None
    regions: tuple[Region, ...] = ()
    segments: tuple[Segment, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)  # detector-specific extras, JSON-safe

    def __post_init__(self) -> None:
        if (self.probability is None) == (self.abstain_reason is None):
            raise ValueError("a result is either a probability or an abstention with a reason")
        p = self.probability
        if p is not None and not (isinstance(p, float) and math.isfinite(p) and 0.0 <= p <= 1.0):
            raise ValueError(f"probability must be a float in [0, 1], got {p!r}")

    @classmethod
    def abstain(cls, reason: str) -> DetectorResult:
        return cls(None, reason)

    @property
    def abstained(self) -> bool:
        return self.probability is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "abstain_reason": self.abstain_reason,
            "regions": [r.as_dict() for r in self.regions],
            "segments": [s.as_dict() for s in self.segments],
            "raw": self.raw,
        }


@dataclass(frozen=True)
class VideoFrame:
    """One frame sampled from a video: its number in decode order, its time, its pixels
    (RGB, uint8, height x width x 3)."""

    index: int
    timestamp_s: float
    rgb: npt.NDArray[np.uint8]


@runtime_checkable
class Detector(Protocol):
    id: str
    version: str
    modality: Modality

    @property
    def card(self) -> ModelCard: ...

    def load(self) -> None:
        """Load and verify weights; raise DetectorLoadError on any problem. Idempotent."""
        ...

    def score(self, media: Path) -> DetectorResult:
        """Score one file. Raises DetectorError when it cannot answer (not loaded, the
        service failed); returns an abstention when the file is outside what it handles."""
        ...


@runtime_checkable
class FramesDetector(Detector, Protocol):
    """A detector of modality ``video-frames``: it receives the frames mediaproof sampled
    from a video (:func:`mediaproof.detection.frames.sample_frames`) and answers once for
    all of them. ``score(path)`` of such a detector scores a video file (it may sample the
    frames itself); verify calls ``score_frames`` so every detector sees the same frames.
    An image detector (modality ``image``) is given each frame as a still instead."""

    def score_frames(self, frames: Sequence[VideoFrame]) -> DetectorResult:
        """One answer for the frames; raises DetectorError like ``score``."""
        ...
