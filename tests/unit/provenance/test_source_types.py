from __future__ import annotations

import pytest

from mediaproof.provenance import source_types
from mediaproof.provenance.source_types import VOCABULARY, AiRole

# the IPTC NewsCodes digitalsourcetype scheme as released 2024-10-23, retired terms included
IPTC_2024 = {
    "digitalCapture",
    "computationalCapture",
    "negativeFilm",
    "positiveFilm",
    "print",
    "minorHumanEdits",
    "humanEdits",
    "algorithmicallyEnhanced",
    "softwareImage",
    "digitalArt",
    "digitalCreation",
    "dataDrivenMedia",
    "trainedAlgorithmicMedia",
    "algorithmicMedia",
    "screenCapture",
    "virtualRecording",
    "composite",
    "compositeCapture",
    "compositeSynthetic",
    "compositeWithTrainedAlgorithmicMedia",
}


def test_the_whole_vocabulary_has_its_own_words() -> None:
    assert set(VOCABULARY) == IPTC_2024
    wordings = [t.wording for t in VOCABULARY.values()]
    assert len(set(wordings)) == len(wordings)
    for t in VOCABULARY.values():
        if t.code != t.code.lower():  # "print", "composite" are plain words
            assert t.code not in t.wording  # a voter never reads the raw code


def test_only_trained_model_types_are_generative_ai() -> None:
    ai = {c: t.ai for c, t in VOCABULARY.items() if t.ai is not AiRole.NONE}
    assert ai == {
        "trainedAlgorithmicMedia": AiRole.GENERATED,
        "compositeWithTrainedAlgorithmicMedia": AiRole.CONTAINS,
    }
    assert "not generative AI" in source_types.wording("algorithmicMedia")
    assert "no generative AI" in source_types.wording("compositeSynthetic")
    assert "contains AI-generated elements" in source_types.wording(
        "compositeWithTrainedAlgorithmicMedia"
    )


@pytest.mark.parametrize(
    "value",
    [
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia/",
        "http://www.cv.iptc.org/newscodes/digitalsourcetype/TRAINEDALGORITHMICMEDIA",
        "trainedAlgorithmicMedia",
        "  trainedalgorithmicmedia ",
    ],
)
def test_uri_forms(value: str) -> None:
    assert source_types.parse(value) == "trainedAlgorithmicMedia"
    assert source_types.ai_role(value) is AiRole.GENERATED


@pytest.mark.parametrize(
    "value",
    [
        "http://c2pa.org/digitalsourcetype/empty",
        "http://example.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        "trainedAlgorithmicMediaX",
        "",
        None,
        42,
    ],
)
def test_unknown_values_are_not_ai_and_not_shown_raw(value: object) -> None:
    assert source_types.parse(value) is None
    assert source_types.ai_role(value) is AiRole.NONE
    assert source_types.wording(value) == "an unrecognised source type"
