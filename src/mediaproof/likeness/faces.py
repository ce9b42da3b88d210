"""Faces: dlib's HOG detector, 5-point alignment and the 128-d ResNet embedding.

Model files come from the face_recognition_models package; they are located on disk
without importing that package (its __init__ needs pkg_resources) and nothing is ever
downloaded. Images are worked on at most ``work_px`` on their long side: the embedding
uses a 150 px aligned chip, so larger inputs only cost time; face sizes are reported in
the original image's pixels.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from mediaproof.likeness.errors import LikenessError
from mediaproof.likeness.models import Vector, normalise

RGB = npt.NDArray[np.uint8]


def _model_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise LikenessError(
            "face models are not installed",
            hint="install the face-recognition-models package (it ships the model files)",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class DetectedFace:
    box: tuple[int, int, int, int]  # left, top, right, bottom in original-image pixels
    size_px: int  # the box's shorter side, original pixels
    detector_score: float
    vector: Vector | None  # None when the face is too small to compare

    def where(self) -> dict[str, Any]:
        return {"box": list(self.box), "size_px": self.size_px}


class FaceEngine:
    """Detect and embed faces. Models load on first use; calls are serialised because
    dlib's networks keep per-call state."""

    def __init__(self, *, work_px: int = 1024, upsample: int = 1) -> None:
        self.work_px = work_px
        self.upsample = upsample
        self._lock = threading.Lock()
        self._run = threading.Lock()
        self._models: tuple[Any, Any, Any] | None = None

    def _load(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._models is None:
                import dlib  # local: heavy, only when faces are needed

                d = _model_dir()
                self._models = (
                    dlib.get_frontal_face_detector(),
                    dlib.shape_predictor(str(d / "shape_predictor_5_face_landmarks.dat")),
                    dlib.face_recognition_model_v1(
                        str(d / "dlib_face_recognition_resnet_model_v1.dat")
                    ),
                )
            return self._models

    def faces(self, rgb: RGB, *, min_face_px: int) -> list[DetectedFace]:
        """Every face in ``rgb`` (H x W x 3, uint8), largest first. Faces whose shorter
        side is under ``min_face_px`` are returned without a vector."""
        h, w = rgb.shape[:2]
        scale = min(1.0, self.work_px / max(h, w))
        work = rgb
        if scale < 1.0:
            im = Image.fromarray(rgb).resize(
                (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR
            )
            work = np.asarray(im)
        work = np.ascontiguousarray(work)
        with self._run:
            return self._faces(work, scale, w, h, min_face_px)

    def _faces(
        self, work: RGB, scale: float, w: int, h: int, min_face_px: int
    ) -> list[DetectedFace]:
        detector, aligner, encoder = self._load()
        dets, scores, _ = detector.run(work, self.upsample, 0.0)
        out: list[DetectedFace] = []
        for rect, score in zip(dets, scores, strict=True):
            box = (
                max(0, round(rect.left() / scale)),
                max(0, round(rect.top() / scale)),
                min(w, round(rect.right() / scale)),
                min(h, round(rect.bottom() / scale)),
            )
            size = min(box[2] - box[0], box[3] - box[1])
            vector = None
            if size >= min_face_px:
                shape = aligner(work, rect)
                vector = normalise(np.array(encoder.compute_face_descriptor(work, shape, 0)))
            out.append(DetectedFace(box, size, float(score), vector))
        out.sort(key=lambda f: f.size_px, reverse=True)
        return out


def load_rgb(path: Path) -> RGB:
    """Decode an image upright (EXIF orientation applied) as RGB. Callers check pixel
    limits first (media.ingest)."""
    with Image.open(path) as im:
        im.draft("RGB", (2048, 2048))  # JPEG: decode at a reduced scale when large
        upright = ImageOps.exif_transpose(im)
        return np.asarray(upright.convert("RGB"))
