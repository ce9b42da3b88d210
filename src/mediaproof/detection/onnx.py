"""The ONNX adapter: runs a model described by a card's ``onnx`` section with onnxruntime.

onnxruntime is the optional extra ``detectors`` (``pip install mediaproof[detectors]``);
without it, loading an ONNX detector is a clear load error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from mediaproof.detection.card import ModelCard, OnnxSpec, verify_weights
from mediaproof.detection.errors import CardError, DetectorError, DetectorLoadError
from mediaproof.detection.protocol import DetectorResult, Modality, Region

Array = npt.NDArray[np.float32]


def preprocess(img: Image.Image, spec: OnnxSpec) -> tuple[Array, Region]:
    """RGB image -> (1, 3, S, S) float32 tensor, and the region of the image it covers."""
    inp = spec.input
    s = inp.size
    w, h = img.size
    if inp.resize == "stretch":
        crop = img.resize((s, s), Image.Resampling.BICUBIC)
        region = Region(0.0, 0.0, 1.0, 1.0, "whole image, resized")
    else:
        scale = s / min(w, h)
        nw, nh = max(s, round(w * scale)), max(s, round(h * scale))
        resized = img.resize((nw, nh), Image.Resampling.BICUBIC)
        left, top = (nw - s) // 2, (nh - s) // 2
        crop = resized.crop((left, top, left + s, top + s))
        region = Region(left / nw, top / nh, s / nw, s / nh, "centre crop, resized")
    arr = np.asarray(crop, dtype=np.float32) / 255.0
    arr = np.transpose(arr, (2, 0, 1))[np.newaxis, ...]
    mean = np.asarray(inp.mean, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(inp.std, dtype=np.float32).reshape(1, 3, 1, 1)
    return ((arr - mean) / std).astype(np.float32), region


def open_rgb(path: Path) -> Image.Image:
    """Decode an image (EXIF orientation applied) as RGB; DetectorError if it cannot."""
    try:
        with Image.open(path) as im:
            return ImageOps.exif_transpose(im).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise DetectorError(f"the image could not be decoded for the detector ({e})") from None


class OnnxImageDetector:
    """An image detector whose card has an ``onnx`` section."""

    modality: Modality = "image"

    def __init__(self, card: ModelCard, base_dir: Path, *, threads: int = 1) -> None:
        if card.onnx is None:
            raise CardError(f"{card.id}: the card has no 'onnx' section")
        if card.modality != "image":
            raise CardError(f"{card.id}: the ONNX adapter handles images only")
        self._card = card
        self.id = card.id
        self.version = card.version
        self.base_dir = base_dir
        self.threads = threads
        self._session: Any = None
        self._head: tuple[Array, float] | None = None

    @property
    def card(self) -> ModelCard:
        return self._card

    def load(self) -> None:
        if self._session is not None:
            return
        spec = self._card.onnx
        assert spec is not None
        files = verify_weights(self._card, self.base_dir)
        try:
            import onnxruntime as ort
        except ImportError:
            raise DetectorLoadError(
                f"{self.id}: onnxruntime is not installed",
                hint="pip install 'mediaproof[detectors]'",
            ) from None
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                str(files[spec.model]), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise DetectorLoadError(f"{self.id}: the ONNX model does not load ({e})") from None
        names = [i.name for i in session.get_inputs()]
        outs = [o.name for o in session.get_outputs()]
        if spec.input.name not in names:
            raise DetectorLoadError(f"{self.id}: the model has no input {spec.input.name!r}")
        if spec.output not in outs:
            raise DetectorLoadError(f"{self.id}: the model has no output {spec.output!r}")
        if spec.head is not None:
            self._head = _load_head(files[spec.head], self.id)
        self._session = session
        # one run on a blank input catches a model/card/head mismatch at load, not later
        blank = np.zeros((1, 3, spec.input.size, spec.input.size), dtype=np.float32)
        try:
            self._raw(blank)
        except DetectorError as e:
            self._session = None
            raise DetectorLoadError(f"{self.id}: {e.message}") from None

    def _raw(self, tensor: Array) -> float:
        spec = self._card.onnx
        assert spec is not None and self._session is not None
        try:
            out = self._session.run([spec.output], {spec.input.name: tensor})[0]
        except Exception as e:
            raise DetectorError(f"{self.id}: the model failed on this input ({e})") from None
        y = np.asarray(out, dtype=np.float64).reshape(-1)
        if spec.output_kind == "embedding":
            assert self._head is not None
            w, b = self._head
            if y.shape != w.shape:
                raise DetectorError(
                    f"{self.id}: the model emits {y.size} values, the head expects {w.size}"
                )
            y = y / max(float(np.linalg.norm(y)), 1e-12)
            z = float(np.dot(y, w)) + b
            p = 1.0 / (1.0 + math.exp(-z))
        else:
            if y.size != 1:
                raise DetectorError(f"{self.id}: expected one output value, got {y.size}")
            v = float(y[0])
            p = v if spec.output_kind == "probability" else 1.0 / (1.0 + math.exp(-v))
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise DetectorError(f"{self.id}: the model returned {p!r}, not a probability")
        return p

    def score(self, media: Path) -> DetectorResult:
        if self._session is None:
            raise DetectorError(f"{self.id}: not loaded")
        spec = self._card.onnx
        assert spec is not None
        img = open_rgb(media)
        if min(img.size) < 16:
            return DetectorResult.abstain("the image is too small to look at (under 16 px)")
        tensor, region = preprocess(img, spec)
        raw = self._raw(tensor)
        p = float(self._card.calibration.apply(raw))
        return DetectorResult(p, regions=(region,), raw={"uncalibrated": raw})


def _load_head(path: Path, det_id: str) -> tuple[Array, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        w = np.asarray(data["weights"], dtype=np.float64)
        b = float(data.get("bias", 0.0))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DetectorLoadError(f"{det_id}: the linear head is not readable ({e})") from None
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all() or not math.isfinite(b):
        raise DetectorLoadError(f"{det_id}: the linear head is malformed")
    if float(np.linalg.norm(w)) < 1e-8:
        # an all-zero head scores every image the same: a constant, which we refuse
        raise DetectorLoadError(f"{det_id}: the linear head is all zeros")
    return w.astype(np.float32), b
