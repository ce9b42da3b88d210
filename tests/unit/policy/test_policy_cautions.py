"""Issue 14's caution labels in the policy: what outranks what, and the caution flag."""

from __future__ import annotations

from typing import Any

from mediaproof.analysis.evidence import Evidence, EvidenceStatus
from mediaproof.policy.assessment import Label, assess

CHANGED = {"changed_fraction": 0.1, "percent": 10, "where": ["top left"], "regions": 1}


def _ev(name: str, status: str = "found", **data: Any) -> Evidence:
    return Evidence(name, EvidenceStatus(status), f"{name} summary", data)


def _assess(*evs: Evidence, kind: str = "image") -> Any:
    return assess({e.analyzer: e for e in evs}, media_kind=kind)


def test_changed_copy_outranks_an_unverified_signer_not_a_trusted_one() -> None:
    match = _ev("match", matched_assets=["1"], changed=CHANGED)
    a = _assess(match, _ev("provenance", state="valid"))
    assert a.label is Label.CHANGED_COPY and a.caution
    a = _assess(match, _ev("provenance", state="trusted"))
    assert a.label is Label.SIGNED_TRUSTED and not a.caution
    assert "match summary" in a.reasons  # the warning is still said


def test_refused_marks_are_cautions_and_never_copies() -> None:
    for mark, label in (
        ("refused_differs", Label.MARK_ON_OTHER_CONTENT),
        ("refused_unchecked", Label.MARK_UNCHECKED),
        ("changed_copy", Label.CHANGED_COPY),
    ):
        wm = _ev("watermark", mark=mark, asset_id=None, claimed_asset_id=1)
        a = _assess(wm)
        assert a.label is label and a.caution and a.as_dict()["caution"] is True
        # a fingerprint lead to another asset does not turn the refused mark into a copy
        a = _assess(wm, _ev("match", matched_assets=["2"]))
        assert a.label is label


def test_counted_mark_is_a_copy() -> None:
    a = _assess(_ev("watermark", mark="counted", asset_id=1))
    assert a.label is Label.COPY and not a.caution


def test_lookalike_signer_outranks_an_ai_declaration_and_is_flagged() -> None:
    prov = _ev("provenance", state="valid", lookalike_signer={"known_name": "X"})
    a = _assess(prov, _ev("generator", declares_ai=True))
    assert a.label is Label.SIGNER_LOOKALIKE and a.caution
    assert a.as_dict()["headline"].startswith("Warning:")


def test_unknown_lists_checks_and_what_does_not_exist() -> None:
    a = _assess(
        _ev("provenance", "not_found"),
        _ev("registry", "not_found"),
        _ev("match", "not_found", signals={"chromaprint": {}}),
        _ev("watermark", "not_found", key_present=True),
        _ev("generator", "not_applicable"),
        kind="audio",
    )
    assert a.label is Label.UNKNOWN and not a.caution
    d = a.as_dict()
    assert [c["result"] for c in d["checks"]][-1] == "does_not_exist"
    names = [c["check"] for c in d["checks"] if c["ran"]]
    assert "this instance's soundtrack watermark" in names
    assert "audio fingerprint (Chromaprint) against registered originals" in names
    assert any("no AI-voice detector" in r for r in d["reasons"])
    assert any(r.startswith("Not checked: generator metadata") for r in d["reasons"])


def test_an_enabled_detector_is_listed_and_the_no_detector_sentence_goes() -> None:
    evs = (
        _ev("provenance", "not_found"),
        _ev("registry", "not_found"),
        _ev("match", "not_found"),
        _ev("watermark", "not_found", key_present=True),
        _ev("generator", "not_found"),
    )
    without = _assess(*evs).as_dict()
    assert without["checks"][-1]["result"] == "does_not_exist"
    assert any("No detector of AI-generated pictures ran" in r for r in without["reasons"])

    # an operator-enabled detector gave an opinion: it is a check that ran, the label
    # stays unknown (a score alone never labels), and "no detector ran" is not said
    a = _assess(*evs, _ev("detector", "found", detectors=[{"opinion": "consistent"}]))
    d = a.as_dict()
    assert a.label is Label.UNKNOWN
    last = d["checks"][-1]
    assert last["check"].startswith("learned AI-image detectors") and last["ran"]
    assert not any("No detector of AI-generated pictures" in r for r in d["reasons"])
