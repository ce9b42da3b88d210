"""The IPTC Digital Source Type vocabulary, each term in plain words.

Source: the IPTC NewsCodes scheme http://cv.iptc.org/newscodes/digitalsourcetype/ as
released 2024-10-23 (CC BY 4.0), including its retired terms, which still appear in older
files. C2PA actions and IPTC/XMP metadata carry a term as a URI
(``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia``, also seen with
``https://`` and a trailing slash) or as the bare code; :func:`parse` accepts all of them.

Only the trained-model terms are generative AI. ``algorithmicMedia`` is, in IPTC's words,
media "created purely by an algorithm not based on any sampled training data" (a fractal,
a procedural texture), and ``compositeSynthetic`` is a composite that includes synthetic
elements without saying they came from a trained model: neither is an AI claim. The raw
codes stay in the JSON data; people read :func:`wording`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class AiRole(StrEnum):
    """What a source type says about generative AI."""

    NONE = "none"  # no generative AI declared
    GENERATED = "generated"  # the whole content was made by a trained model
    CONTAINS = "contains"  # the content includes elements made by a trained model


@dataclass(frozen=True)
class SourceType:
    code: str
    iptc_name: str  # IPTC's own (en-GB) name, for the docs and the data
    wording: str  # what a voter reads: completes "declared as ..."
    ai: AiRole = AiRole.NONE
    retired: bool = False


_TERMS = (
    SourceType(
        "digitalCapture",
        "Digital capture sampled from real life",
        "captured from real life with a digital camera or recorder",
    ),
    SourceType(
        "computationalCapture",
        "Multi-frame computational capture sampled from real life",
        "captured from real life, several frames merged automatically by the camera "
        "(for example HDR), without generative AI",
    ),
    SourceType(
        "negativeFilm",
        "Digitised from a negative on film",
        "scanned from a film negative",
    ),
    SourceType(
        "positiveFilm",
        "Digitised from a positive on film",
        "scanned from a slide or other film positive",
    ),
    SourceType(
        "print",
        "Digitised from a print on non-transparent medium",
        "scanned from a print",
    ),
    SourceType(
        "minorHumanEdits",
        "Original media with minor human edits",
        "original media with minor edits by a person",
        retired=True,
    ),
    SourceType(
        "humanEdits",
        "Human-edited media",
        "edited by people with non-generative tools",
    ),
    SourceType(
        "algorithmicallyEnhanced",
        "Algorithmically-altered media",
        "corrected or enhanced by an algorithm without changing its main content "
        "(not generative AI)",
    ),
    SourceType(
        "softwareImage",
        "Created by software",
        "created with software (an older, retired term that does not say how)",
        retired=True,
    ),
    SourceType(
        "digitalArt",
        "Digital art",
        "created by a person with digital tools",
        retired=True,
    ),
    SourceType(
        "digitalCreation",
        "Digital creation",
        "created by a person with digital, non-generative tools",
    ),
    SourceType(
        "dataDrivenMedia",
        "Data-driven media",
        "produced by software from data, such as a chart, a map or a data visualisation",
    ),
    SourceType(
        "trainedAlgorithmicMedia",
        "Created using generative AI",
        "made with generative AI (a model trained on sampled content)",
        AiRole.GENERATED,
    ),
    SourceType(
        "algorithmicMedia",
        "Pure algorithmic media",
        "created purely by a computer algorithm that is not based on sampled training "
        "data (not generative AI)",
    ),
    SourceType(
        "screenCapture",
        "Screen capture",
        "a screenshot or screen recording",
    ),
    SourceType(
        "virtualRecording",
        "Virtual recording",
        "recorded inside a virtual environment, such as a video game",
    ),
    SourceType(
        "composite",
        "Composite of elements",
        "a composite of several elements",
    ),
    SourceType(
        "compositeCapture",
        "Composite of captured elements",
        "a composite of several real-life captures",
    ),
    SourceType(
        "compositeSynthetic",
        "Composite including synthetic elements",
        "a composite that includes synthetic, computer-made elements (no generative AI is "
        "declared)",
    ),
    SourceType(
        "compositeWithTrainedAlgorithmicMedia",
        "Composite with elements of trained algorithmic media",
        "a composite that contains AI-generated elements",
        AiRole.CONTAINS,
    ),
)

VOCABULARY: dict[str, SourceType] = {t.code: t for t in _TERMS}
"""Every IPTC digital source type, by its code."""

_BY_LOWER = {code.lower(): code for code in VOCABULARY}
# a URI of the scheme, http or https, with or without "www." and a trailing slash
_URI = re.compile(
    r"^https?://(?:www\.)?cv\.iptc\.org/newscodes/digitalsourcetype/([A-Za-z]+)/?$",
    re.IGNORECASE,
)


def parse(value: object) -> str | None:
    """The code of a known term, from a URI or a bare code; None for anything else
    (including C2PA's ``http://c2pa.org/digitalsourcetype/empty``)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _URI.match(text)
    if m:
        text = m.group(1)
    return _BY_LOWER.get(text.lower())


def short(value: object) -> str | None:
    """The code for data fields: a known term's code, else the last path segment of
    whatever the file declared (kept so nothing it said is lost), else None."""
    code = parse(value)
    if code is not None:
        return code
    if isinstance(value, str) and value.strip():
        return value.strip().rstrip("/").rsplit("/", 1)[-1][:120] or None
    return None


def ai_role(value: object) -> AiRole:
    code = parse(value)
    return VOCABULARY[code].ai if code else AiRole.NONE


def wording(value: object) -> str:
    """Plain words for a declared source type; an unknown value is called unknown, never
    shown raw."""
    code = parse(value)
    if code is None:
        return "an unrecognised source type"
    return VOCABULARY[code].wording
