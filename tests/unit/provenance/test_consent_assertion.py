"""The active manifest's org.mediaproof.consent assertion is read back into the report
(ids and log indexes of consent records); other manifests' and malformed ones are not."""

from __future__ import annotations

from typing import Any

from mediaproof.provenance.c2pa_report import CONSENT_LABEL, report_from_store


def _store(
    assertions: list[dict[str, Any]], other: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "active_manifest": "urn:active",
        "manifests": {
            "urn:active": {"assertions": assertions, "claim_generator": "mediaproof"},
            "urn:older": {"assertions": other or []},
        },
        "validation_results": {},
    }


def test_the_consent_assertion_is_read_from_the_active_manifest() -> None:
    data = {"consent_records": [{"id": "consent-ab12", "log_index": 7}], "policy": "p1"}
    rep = report_from_store(_store([{"label": CONSENT_LABEL, "data": data}]), "Valid")
    assert rep.consent == data
    out = rep.as_dict()
    assert out["consent_assertion"] == data and CONSENT_LABEL in out["assertions"]


def test_no_or_malformed_or_inherited_assertion_reads_as_none() -> None:
    assert report_from_store(_store([]), "Valid").as_dict()["consent_assertion"] is None
    bad = [{"label": CONSENT_LABEL, "data": ["consent-ab12"]}]
    assert report_from_store(_store(bad), "Valid").consent is None
    older = [{"label": CONSENT_LABEL, "data": {"consent_records": []}}]
    assert report_from_store(_store([], older), "Valid").consent is None
