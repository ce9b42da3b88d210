from __future__ import annotations

import pytest

from mediaproof.analysis.evidence import Evidence, EvidenceStatus
from mediaproof.policy.assessment import Label, assess

F, N = EvidenceStatus.FOUND, EvidenceStatus.NOT_FOUND


def prov(state: str, codes: list[str] | None = None, dst: str | None = None) -> Evidence:
    """Provenance evidence; ``dst`` declares that source type on the created action of
    the file's own manifest, as c2pa_io reports it."""
    status = N if state == "absent" else F
    data: dict[str, object] = {"state": state, "codes": codes or [], "digital_source_type": dst}
    if dst in ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"):
        role = "generated" if dst == "trainedAlgorithmicMedia" else "contains"
        data["ai_role"] = role
        data["ai_steps"] = [
            {
                "depth": 0,
                "index": 0,
                "signer": "Press Office content signing",
                "kind": "action",
                "action": "c2pa.created",
                "digital_source_type": dst,
                "ai_role": role,
                "step": "the first recorded step of this file's own credentials, its creation",
                "wording": "made with generative AI (a model trained on sampled content)",
            }
        ]
    return Evidence("provenance", status, f"provenance {state}", data)


def test_nothing_found_is_unknown_never_authentic() -> None:
    a = assess({"provenance": prov("absent"), "registry": Evidence("registry", N, "no")})
    assert a.label is Label.UNKNOWN
    assert any("nothing is known" in r for r in a.reasons)
    assert "authentic" not in a.headline.lower()


def test_data_hash_mismatch_is_altered() -> None:
    a = assess({"provenance": prov("invalid", ["assertion.dataHash.mismatch"])})
    assert a.label is Label.ALTERED


def test_other_invalid_is_invalid_credentials() -> None:
    assert (
        assess({"provenance": prov("invalid", ["claimSignature.mismatch"])}).label is Label.INVALID
    )


@pytest.mark.parametrize(
    ("state", "label"), [("trusted", Label.SIGNED_TRUSTED), ("valid", Label.SIGNED_UNTRUSTED)]
)
def test_signed(state: str, label: Label) -> None:
    assert assess({"provenance": prov(state)}).label is label


def test_ai_declaration_outranks_signature_and_keeps_both_reasons() -> None:
    a = assess({"provenance": prov("trusted", dst="trainedAlgorithmicMedia")})
    assert a.label is Label.AI_DECLARED
    assert a.headline == "AI-generated, declared by Press Office content signing"
    assert any("made with generative AI" in r for r in a.reasons)
    assert not any("trainedAlgorithmicMedia" in r for r in [a.headline, *a.reasons])
    assert "provenance trusted" in a.reasons


def test_ai_declaration_in_invalid_credentials_is_not_believed() -> None:
    a = assess(
        {"provenance": prov("invalid", ["assertion.dataHash.mismatch"], "trainedAlgorithmicMedia")}
    )
    assert a.label is Label.ALTERED


def test_generator_metadata_declares_ai() -> None:
    gen = Evidence(
        "generator",
        F,
        "metadata says AI",
        {"declares_ai": True, "ai_role": "generated", "ai_reasons": ["metadata says AI"]},
    )
    assert assess({"provenance": prov("absent"), "generator": gen}).label is Label.AI_DECLARED


def test_registered_original() -> None:
    reg = Evidence("registry", F, "registered as 3", {"asset_id": 3})
    assert assess({"provenance": prov("absent"), "registry": reg}).label is Label.REGISTERED


def test_errors_are_reported_not_hidden() -> None:
    err = Evidence("watermark", EvidenceStatus.ERROR, "decoder crashed")
    a = assess({"provenance": prov("absent"), "watermark": err})
    assert a.label is Label.UNKNOWN
    assert any("decoder crashed" in r for r in a.reasons)


def test_empty_policy_fails() -> None:
    with pytest.raises(ValueError):
        assess({}, rules=())


def test_a_near_match_alone_never_declares_authenticity() -> None:
    """Even a stripped copy of a trusted, validly signed original is only "a copy": the
    stored credentials vouch for the original, not for this file."""
    match = Evidence(
        "match",
        EvidenceStatus.FOUND,
        "This file is a copy of “X”, signed by Y on 2026-01-01; the credentials were removed.",
        {
            "matched_assets": ["1"],
            "stripped_copy": {
                "stored_manifest": {
                    "state": "trusted",
                    "failures": [],
                    "expected_mismatch": ["assertion.dataHash.mismatch"],
                }
            },
        },
    )
    absent = Evidence("provenance", EvidenceStatus.NOT_FOUND, "none", {"state": "absent"})
    a = assess({"provenance": absent, "match": match})
    assert a.label is Label.COPY
    assert a.label not in (Label.SIGNED_TRUSTED, Label.SIGNED_UNTRUSTED, Label.ALTERED)
    assert "A fingerprint match is a lead, not proof." in a.reasons


def test_ai_in_credentials_of_an_unverified_signer_does_not_name_it_as_verified() -> None:
    a = assess({"provenance": prov("valid", dst="compositeWithTrainedAlgorithmicMedia")})
    assert a.label is Label.AI_CONTENT_DECLARED
    assert a.headline == (
        "Contains AI-generated content, declared in credentials whose signer is not verified"
    )
    assert any("claims to be Press Office content signing (not verified)" in r for r in a.reasons)


def test_algorithmic_and_synthetic_source_types_are_not_ai() -> None:
    for dst in ("algorithmicMedia", "compositeSynthetic", "screenCapture"):
        assert assess({"provenance": prov("trusted", dst=dst)}).label is Label.SIGNED_TRUSTED


def test_generator_metadata_outranks_a_contains_headline() -> None:
    """Credentials say 'contains AI', metadata says the whole file was generated: the
    stronger claim leads, and both reasons are kept."""
    gen = Evidence(
        "generator",
        F,
        "g",
        {"declares_ai": True, "ai_role": "generated", "ai_reasons": ["The EXIF Software field"]},
    )
    a = assess(
        {
            "provenance": prov("trusted", dst="compositeWithTrainedAlgorithmicMedia"),
            "generator": gen,
        }
    )
    assert a.label is Label.AI_DECLARED
    assert a.headline == "AI-generated, by its own declaration"
    assert any("composite" in r or "record that" in r for r in a.reasons)


def test_remote_credentials_are_named() -> None:
    e = Evidence(
        "provenance",
        N,
        "This file says its Content Credentials are stored at https://x.example/m",
        {"state": "absent", "codes": [], "remote_url": "https://x.example/m"},
    )
    a = assess({"provenance": e})
    assert a.label is Label.REMOTE_CREDENTIALS
    assert a.headline.startswith("This file says its Content Credentials are stored at https://x")
