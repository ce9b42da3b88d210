"""Every AI declaration in the labelled corpus is found and worded right; no file that
declares none is called AI; no raw IPTC code reaches a voter.

The corpus (tests/honesty/build_corpus.py) is signed with this instance's own keys, so its
C2PA files verify as trusted: a trusted signature must never hide an AI declaration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.provenance.source_types import VOCABULARY
from mediaproof.services.instance import Instance
from mediaproof.services.verification import verify_file
from tests.honesty.build_corpus import CONTAINS, GENERATED, NONE, REMOTE, Case, build

ORG = "Corpus Press Office"
SIGNER = f"{ORG} content signing"
AI_LABELS = {"ai_generated_declared", "contains_ai_content_declared"}
# words that claim AI; "not generative AI" (a source type's wording) is a denial
_AI_CLAIM = re.compile(
    # "detector of AI-generated pictures" is the answer saying which checks do not exist
    r"(?<!detector of )AI-generated|(?<!not )(?<!no )(?<!without )generative AI|generative-AI"
    r"|\bAI (?:image|tool|model)",
    re.IGNORECASE,
)
# the camelCase codes; "print" and "composite" are also plain English words
_RAW_CODE = re.compile(r"\b(" + "|".join(c for c in VOCABULARY if c != c.lower()) + r")\b")


@pytest.fixture(scope="module")
def verified(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[Case, dict[str, Any]]]]:
    root = tmp_path_factory.mktemp("honesty")
    inst = Instance(Settings(home=root / "instance"))
    material = init_keys(inst.keys_dir, ORG)
    cases = build(root / "corpus", material, SIGNER)
    try:
        yield [(c, verify_file(inst, c.path, likeness=False).as_dict()) for c in cases]
    finally:
        inst.close()


def _text(report: dict[str, Any]) -> str:
    a = report["assessment"]
    return "\n".join([a["headline"], *a["reasons"]])


def test_corpus_is_big_enough(verified: list[tuple[Case, dict[str, Any]]]) -> None:
    ai = [c for c, _ in verified if c.expect in (GENERATED, CONTAINS)]
    not_ai = [c for c, _ in verified if c.expect == NONE]
    assert len(ai) >= 25 and len(not_ai) >= 25
    assert any(c.expect == REMOTE for c, _ in verified)


def test_every_ai_declaration_is_found_and_worded(
    verified: list[tuple[Case, dict[str, Any]]],
) -> None:
    wrong = []
    for case, rep in verified:
        if case.expect not in (GENERATED, CONTAINS):
            continue
        a = rep["assessment"]
        label = (
            "ai_generated_declared" if case.expect == GENERATED else "contains_ai_content_declared"
        )
        opening = "AI-generated" if case.expect == GENERATED else "Contains AI-generated content"
        text = _text(rep)
        problems = []
        if a["label"] != label:
            problems.append(f"label {a['label']}")
        if not a["headline"].startswith(opening):
            problems.append(f"headline {a['headline']!r}")
        if case.headline is not None and a["headline"] != case.headline:
            problems.append(f"headline {a['headline']!r} != {case.headline!r}")
        problems += [f"missing {w!r}" for w in case.words if w not in text]
        if problems:
            wrong.append(f"{case.name}: {'; '.join(problems)}\n    {text}")
    assert not wrong, "\n".join(wrong)


def test_no_false_ai_claim(verified: list[tuple[Case, dict[str, Any]]]) -> None:
    wrong = []
    for case, rep in verified:
        if case.expect not in (NONE, REMOTE):
            continue
        a = rep["assessment"]
        text = _text(rep)
        if a["label"] in AI_LABELS or _AI_CLAIM.search(text):
            wrong.append(f"{case.name} ({case.how}): {a['label']}\n    {text}")
        gen = rep["evidence"]["generator"]["data"]
        if gen.get("declares_ai"):
            wrong.append(f"{case.name}: generator evidence declares AI: {gen['markers']}")
        if case.headline is not None and a["headline"] != case.headline:
            wrong.append(f"{case.name}: headline {a['headline']!r} != {case.headline!r}")
        wrong += [f"{case.name}: missing {w!r}\n    {text}" for w in case.words if w not in text]
    assert not wrong, "\n".join(wrong)


def test_no_raw_source_type_code_reaches_a_voter(
    verified: list[tuple[Case, dict[str, Any]]],
) -> None:
    leaks = [
        f"{c.name}: {m.group(0)}"
        for c, rep in verified
        for m in [_RAW_CODE.search(_text(rep))]
        if m
    ]
    assert not leaks, "\n".join(leaks)


def test_trusted_signature_never_opens_alone_when_ai_is_declared(
    verified: list[tuple[Case, dict[str, Any]]],
) -> None:
    for case, rep in verified:
        if case.name.startswith("c2pa-") and case.expect in (GENERATED, CONTAINS):
            assert rep["provenance"]["state"] == "trusted", case.name
            assert rep["assessment"]["headline"] != "Signed by a trusted signer and intact"
            # the signature is still told, after the declaration
            assert any("trusted signer" in r for r in rep["assessment"]["reasons"]), case.name
            steps = rep["provenance"]["ai_steps"]
            assert steps and all(s["signer"] == SIGNER for s in steps), case.name


def test_ai_steps_record_depth(verified: list[tuple[Case, dict[str, Any]]]) -> None:
    by_name = {c.name: rep for c, rep in verified}
    for depth in (1, 2, 3):
        steps = by_name[f"c2pa-genfill-depth{depth}.jpg"]["provenance"]["ai_steps"]
        assert [s["depth"] for s in steps] == [depth]
        assert steps[0]["digital_source_type"] == "trainedAlgorithmicMedia"
        assert steps[0]["action"] == "c2pa.edited"
    own = by_name["c2pa-capture-then-genfill.jpg"]["provenance"]
    assert own["ai_role"] == "contains" and own["ai_steps"][0]["depth"] == 0
    assert own["ai_steps"][0]["index"] == 1
    assert by_name["c2pa-generated-then-cropped.jpg"]["provenance"]["ai_role"] == "generated"


def test_remote_credentials_are_named_not_fetched(
    verified: list[tuple[Case, dict[str, Any]]],
) -> None:
    for case, rep in verified:
        if case.expect != REMOTE:
            continue
        a = rep["assessment"]
        assert a["label"] == "remote_credentials_not_fetched"
        assert "No Content Credentials" not in _text(rep)
        assert rep["provenance"]["remote_url"] in a["headline"]
