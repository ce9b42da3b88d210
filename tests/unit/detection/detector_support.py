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
from mediaproof.detection.onnx import OnnxImageDetector

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
