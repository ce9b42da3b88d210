"""The ONNX adapter with detectors built in the test: the contract, and every way a
card or its weights can be wrong turning into a load error (never a constant score)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mediaproof.detection.card import Calibration, load_card, parse_card
from mediaproof.detection.errors import CardError, DetectorLoadError
from mediaproof.detection.onnx import OnnxImageDetector
from mediaproof.testing.detector_contract import DetectorContract
from tests.unit.detection.detector_support import card_dict, make_toy, solid, toy_detector


@pytest.fixture
def media(tmp_path: Path) -> list[Path]:
    return [
        solid(tmp_path / "red.png", (220, 30, 30)),
        solid(tmp_path / "blue.png", (30, 30, 220)),
        solid(tmp_path / "grey.jpg", (128, 128, 128)),
    ]


class TestProbabilityModel(DetectorContract):
    @pytest.fixture
    def detector(self, tmp_path: Path) -> OnnxImageDetector:
        return toy_detector(tmp_path / "det")


class TestEmbeddingWithHead(DetectorContract):
    @pytest.fixture
    def detector(self, tmp_path: Path) -> OnnxImageDetector:
        return toy_detector(tmp_path / "det", embedding=True)


def test_scores_follow_the_model(tmp_path: Path, media: list[Path]) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    red, blue, grey = (det.score(m).probability for m in media)
    assert red is not None and blue is not None and grey is not None
    assert red > 0.9 and blue < 0.1 and abs(grey - 0.5) < 0.05


def test_region_is_the_centre_crop(tmp_path: Path) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    wide = solid(tmp_path / "wide.png", (200, 10, 10), size=(200, 50))
    (region,) = det.score(wide).regions
    assert region.width == pytest.approx(0.25, abs=0.01) and region.height == 1.0
    assert region.x == pytest.approx(0.375, abs=0.01)


def test_tiny_image_abstains(tmp_path: Path) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    r = det.score(solid(tmp_path / "tiny.png", (200, 0, 0), size=(10, 10)))
    assert r.probability is None and r.abstain_reason and "too small" in r.abstain_reason


def test_tampered_weights_refuse_to_load(tmp_path: Path) -> None:
    det = toy_detector(tmp_path / "det")
    with (tmp_path / "det" / "model.onnx").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(CardError, match="does not match its card"):
        det.load()


def test_missing_weights_refuse_to_load(tmp_path: Path) -> None:
    det = toy_detector(tmp_path / "det")
    (tmp_path / "det" / "model.onnx").unlink()
    with pytest.raises(CardError, match="missing"):
        det.load()


def test_broken_model_with_matching_digest_is_a_load_error(tmp_path: Path) -> None:
    base = tmp_path / "det"
    make_toy(base)
    (base / "model.onnx").write_bytes(b"not an onnx model")
    card = parse_card(card_dict(base))  # digest now matches the broken file
    with pytest.raises(DetectorLoadError, match="does not load"):
        OnnxImageDetector(card, base).load()


def test_zero_head_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "det"
    make_toy(base, embedding=True)
    (base / "head.json").write_text(json.dumps({"weights": [0.0, 0.0, 0.0], "bias": 0.3}))
    card = parse_card(card_dict(base, embedding=True))
    with pytest.raises(DetectorLoadError, match="all zeros"):
        OnnxImageDetector(card, base).load()


def test_head_of_the_wrong_width_fails_at_load(tmp_path: Path) -> None:
    base = tmp_path / "det"
    make_toy(base, embedding=True)
    (base / "head.json").write_text(json.dumps({"weights": [1.0, 2.0], "bias": 0.0}))
    card = parse_card(card_dict(base, embedding=True))
    with pytest.raises(DetectorLoadError, match="head expects 2"):
        OnnxImageDetector(card, base).load()


def test_card_naming_a_missing_input_fails_at_load(tmp_path: Path) -> None:
    base = tmp_path / "det"
    make_toy(base)
    data = card_dict(base)
    data["onnx"]["input"]["name"] = "pixel_values"
    with pytest.raises(DetectorLoadError, match="no input 'pixel_values'"):
        OnnxImageDetector(parse_card(data), base).load()


def _bad(base: Path, change: Any) -> dict[str, Any]:
    data = card_dict(base)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.pop("licence"), "licence"),
        (lambda d: d["training_data"].pop("cutoff"), "training_data.cutoff"),
        (lambda d: d.update(out_of_scope=[]), "out_of_scope"),
        (lambda d: d["thresholds"].update(consistent_at_least=0.2), "thresholds"),
        (lambda d: d["weights"][0].update(path="../escape.onnx"), "weights.0.path"),
        (lambda d: d["weights"][0].update(sha256="abc"), "weights.0.sha256"),
        (lambda d: d["onnx"].update(model="other.onnx"), "(top level)"),
        (lambda d: d.update(surprise=1), "surprise"),
        (lambda d: d["onnx"].update(output_kind="embedding"), "onnx"),
    ],
)
def test_malformed_cards_are_refused(tmp_path: Path, change: Any, where: str) -> None:
    base = tmp_path / "det"
    make_toy(base)
    with pytest.raises(CardError, match=re.escape(f"card: {where}")):
        parse_card(_bad(base, change))


def test_card_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CardError, match="not found"):
        load_card(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(CardError, match="not readable JSON"):
        load_card(tmp_path / "x.json")


def test_platt_calibration() -> None:
    cal = Calibration(method="platt", a=2.0, b=0.0, fitted_on="t")
    assert cal.apply(0.5) == pytest.approx(0.5)
    assert cal.apply(0.75) == pytest.approx(0.9)  # odds 3 -> 9
    assert Calibration(method="none", fitted_on="t").apply(0.3) == 0.3
