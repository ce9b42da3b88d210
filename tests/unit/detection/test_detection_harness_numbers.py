"""The harness's numbers on scores we chose, so every one is known by hand: per-generator
AUC, the sections kept apart (never averaged), the abstain rate, the calibration error,
the true-positive rate at a false-positive budget, and the Markdown card showing them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mediaproof.detection.card import ModelCard, parse_card
from mediaproof.detection.evaluate import evaluate, render_markdown
from mediaproof.detection.protocol import DetectorResult, Modality
from tests.unit.detection.detector_support import card_dict, make_toy, solid

# file name -> the score the scripted detector gives it (None: it abstains)
IN_DIST: dict[str, list[float | None]] = {
    "a": [0.9, 0.8, 0.85, 0.95, 0.7, None],  # generator A: 29 of 30 pairs above the reals
    "b": [0.5, 0.15, 0.35, 0.6, 0.25],  # generator B: 19 of 30
    "r": [0.1, 0.2, 0.3, 0.4, 0.75, 0.05],  # real photos
}
# perfectly separated, each score 0.05 off its class: the calibration error is 0.05
UNSEEN: dict[str, list[float | None]] = {"c": [0.95] * 5, "s": [0.05] * 5}


class Scripted:
    """A detector whose answers are the table above (found by file name)."""

    modality: Modality = "image"

    def __init__(self, card: ModelCard, scores: dict[str, float | None]) -> None:
        self._card, self.id, self.version, self.scores = card, card.id, card.version, scores

    @property
    def card(self) -> ModelCard:
        return self._card

    def load(self) -> None:
        pass

    def score(self, media: Path) -> DetectorResult:
        p = self.scores[media.name]
        return DetectorResult.abstain("scripted") if p is None else DetectorResult(p)


@pytest.fixture
def report(tmp_path: Path) -> dict[str, Any]:
    d = tmp_path / "set"
    d.mkdir()
    scores: dict[str, float | None] = {}
    rows = []
    for split, table in (("in-distribution", IN_DIST), ("unseen-generator", UNSEEN)):
        for prefix, values in table.items():
            real = prefix in ("r", "s")
            for i, v in enumerate(values):
                name = f"{prefix}{i}.png"
                solid(d / name, (10 * i, 20, 30))
                scores[name] = v
                rows.append({"path": name, "label": "real" if real else "ai",
                             "generator": None if real else prefix.upper(),
                             "source": "cam" if real else "gen", "split": split})
    (d / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    make_toy(tmp_path / "c")
    data = card_dict(tmp_path / "c", det_id="scripted")
    data.update(onnx=None, weights=[])
    det = Scripted(parse_card(data), scores)
    return evaluate(det, d / "m.jsonl", transforms=[], bootstrap=200)


def test_per_generator_auc_and_overall_auc_are_the_hand_counted_ones(
    report: dict[str, Any]
) -> None:
    o = report["sections"]["in-distribution"]["original"]
    assert o["files"] == {"ai": 11, "real": 6} and o["scored"] == 16
    assert o["per_generator"]["A"]["auc"] == pytest.approx(29 / 30)
    assert o["per_generator"]["B"]["auc"] == pytest.approx(19 / 30)
    assert o["per_generator"]["A"]["files"] == 5  # the abstention is not scored
    assert o["per_generator"]["A"]["seen_in_training"] is False
    assert o["auc"] == pytest.approx(48 / 60)
    lo, hi = o["auc_ci95"]
    assert lo < 48 / 60 < hi
    # 6 real files cannot resolve 1 %: no false positive allowed, above the highest real
    t1 = o["tpr_at_fpr"]["1%"]
    assert t1["threshold"] == 0.75 and (t1["tpr"]["k"], t1["tpr"]["n"]) == (4, 10)
    assert (t1["fpr"]["k"], o["abstain_rate"]["k"], o["abstain_rate"]["n"]) == (0, 1, 17)


def test_sections_are_kept_apart_and_calibration_error_is_measured(
    report: dict[str, Any]
) -> None:
    sections = report["sections"]
    u = sections["unseen-generator"]["original"]
    assert u["auc"] == 1.0 and u["calibration_error"] == pytest.approx(0.05)
    assert u["abstain_rate"]["k"] == 0
    assert sections["in-distribution"]["original"]["auc"] == pytest.approx(0.8)  # not 0.9
    assert report["cost_per_file_s"]["mean"] >= 0


def test_the_markdown_card_shows_every_number(report: dict[str, Any]) -> None:
    md = render_markdown(report)
    assert "#### in-distribution" in md and "#### unseen-generator" in md
    assert "| ROC AUC | 0.800 [" in md
    assert "| A | 5 | no | 0.967 [" in md and "| B | 5 | no | 0.633 [" in md
    assert "abstained 1/17 = 5.9% [" in md
    assert "| AI caught at 1% false positives | 4/10 = 40.0% [" in md
    assert "| calibration error (ECE, 10 bins) | 0.050 |" in md
    assert "Cost per file: mean " in md
