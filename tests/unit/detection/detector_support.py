"""Small ONNX detectors built in the test (no downloaded weights) and their cards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from mediaproof.detection.card import ModelCard, parse_card
from mediaproof.detection.errors import DetectorError
from mediaproof.detection.onnx import OnnxImageDetector
from mediaproof.detection.protocol import DetectorResult, Modality

SIZE = 32


def redness_model(path: Path, *, embedding: bool = False) -> None:
    """x (N,3,32,32) -> channel means -> either an embedding (N,3) or
    sigmoid(4 * (mean_red - mean_blue)) as a probability (N,1): red images look 'AI'."""
    nodes = [helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0)]
    inits = [numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes")]
    if embedding:
        nodes.append(helper.make_node("Identity", ["m"], ["emb"]))
        out = helper.make_tensor_value_info("emb", TensorProto.FLOAT, ["N", 3])
    else:
        w = np.array([[4.0], [0.0], [-4.0]], dtype=np.float32)
        inits.append(numpy_helper.from_array(w, "w"))
        nodes += [
            helper.make_node("MatMul", ["m", "w"], ["z"]),
            helper.make_node("Sigmoid", ["z"], ["p"]),
        ]
        out = helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 1])
    graph = helper.make_graph(
        nodes, "redness",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [out], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def card_dict(
    base: Path, *, embedding: bool = False, det_id: str = "toy-redness"
) -> dict[str, Any]:
    weights = [{"path": "model.onnx", "sha256": sha(base / "model.onnx")}]
    onnx_spec: dict[str, Any] = {
        "model": "model.onnx",
        "input": {"name": "x", "size": SIZE, "resize": "shortest-side-center-crop",
                  "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]},
        "output": "emb" if embedding else "p",
        "output_kind": "embedding" if embedding else "probability",
    }
    if embedding:
        weights.append({"path": "head.json", "sha256": sha(base / "head.json")})
        onnx_spec["head"] = "head.json"
    return {
        "id": det_id, "version": "0.1", "modality": "image", "name": "toy redness",
        "licence": "CC0-1.0", "source": "built in the test",
        "weights": weights,
        "training_data": {"generators": ["red-gen"], "real_sources": ["blue-photos"],
                          "cutoff": "2026-01-01"},
        "intended_uses": ["tests"], "out_of_scope": ["everything real"],
        "calibration": {"method": "none", "fitted_on": "nothing"},
        "thresholds": {"not_consistent_at_most": 0.3, "consistent_at_least": 0.7,
                       "chosen_for": "tests"},
        "validated_for": {"formats": ["png", "jpeg"], "min_side": 32},
        "onnx": onnx_spec,
        "evaluation": None,
    }


def make_toy(base: Path, *, embedding: bool = False, det_id: str = "toy-redness"
             ) -> tuple[ModelCard, Path]:
    """Write the model (and head) under ``base`` and its card; return (card, card path)."""
    base.mkdir(parents=True, exist_ok=True)
    redness_model(base / "model.onnx", embedding=embedding)
    if embedding:
        (base / "head.json").write_text(json.dumps({"weights": [4.0, 0.0, -4.0], "bias": 0.0}))
    data = card_dict(base, embedding=embedding, det_id=det_id)
    card_path = base / "card.json"
    card_path.write_text(json.dumps(data))
    return parse_card(data), card_path


def toy_detector(base: Path, *, embedding: bool = False) -> OnnxImageDetector:
    card, _ = make_toy(base, embedding=embedding)
    return OnnxImageDetector(card, base)


def solid(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> Path:
    rng = np.random.default_rng(sum(rgb))
    arr = np.clip(np.array(rgb, dtype=np.int16) + rng.integers(-10, 10, (size[1], size[0], 3)),
                  0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path)
    return path


# --- a toy audio detector (a scripted score, not a model: it claims no accuracy) --------

def high_band_share(path: Path) -> float:
    """The share of a sound file's energy above 3 kHz, in [0, 1] (decoded through PyAV, so
    WAV, FLAC, MP3 and Opus alike). Raises ValueError when the file holds no audio."""
    from mediaproof.errors import MediaproofError
    from mediaproof.watermark.mediaio import load_audio

    try:
        x, rate = load_audio(path, max_seconds=30)
    except MediaproofError as e:
        raise ValueError(str(e)) from None
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1.0 / rate)
    total = float(spec.sum())
    if total <= 0.0:
        raise ValueError("silence")
    return float(np.clip(spec[freqs > 3000.0].sum() / total, 0.0, 1.0))


def audio_card_dict(det_id: str = "toy-highband") -> dict[str, Any]:
    """The card of an audio detector made in the test (no weights, no evaluation yet)."""
    return {
        "id": det_id, "version": "0.1", "modality": "audio", "name": "toy high band",
        "licence": "CC0-1.0", "source": "built in the test",
        "weights": [],
        "training_data": {"generators": ["tone-gen"], "real_sources": ["librispeech"],
                          "cutoff": "2026-01-01"},
        "intended_uses": ["tests"], "out_of_scope": ["everything real"],
        "calibration": {"method": "none", "fitted_on": "nothing"},
        "thresholds": {"not_consistent_at_most": 0.3, "consistent_at_least": 0.5,
                       "chosen_for": "tests"},
        "validated_for": {"formats": ["flac", "wav"], "min_side": 1},
        "onnx": None,
        "evaluation": None,
    }


class HighBandDetector:
    """An audio plug-in made in the test: 'AI' is energy above 3 kHz (a tone added to
    speech); a file with no audio is an abstention."""

    modality: Modality = "audio"

    def __init__(self, card: ModelCard) -> None:
        self._card = card
        self.id, self.version = card.id, card.version
        self._loaded = False

    @property
    def card(self) -> ModelCard:
        return self._card

    def load(self) -> None:
        self._loaded = True

    def score(self, media: Path) -> DetectorResult:
        if not self._loaded:
            raise DetectorError(f"{self.id}: not loaded")
        try:
            share = high_band_share(media)
        except ValueError as e:
            return DetectorResult.abstain(f"no audio it can read ({e})")
        return DetectorResult(min(1.0, 2.0 * share))


SPEECH = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora" / "likeness" / (
    "voices/librispeech_test-other")


def speech_files(n: int) -> list[Path]:
    """Real recorded speech (LibriSpeech test-other FLAC, ../shared/corpora/likeness)."""
    files = sorted(SPEECH.glob("*/*.flac"))[:n]
    assert len(files) == n, f"expected {n} FLAC files under {SPEECH}"
    return files


def with_tone(src: Path, dst: Path, hz: float = 5000.0, level: float = 0.3) -> Path:
    """The speech with a loud tone mixed in (the toy's stand-in for 'generated'), as WAV."""
    import soundfile as sf

    x, rate = sf.read(src, dtype="float32")
    t = np.arange(x.shape[0]) / rate
    sf.write(dst, (0.5 * x + level * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)
    return dst
