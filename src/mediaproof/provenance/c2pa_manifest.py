"""C2PA manifest definitions that mediaproof signs: actions, IPTC source type, author."""

from __future__ import annotations

import json
from typing import Any

from mediaproof import __version__
from mediaproof.errors import SigningError
from mediaproof.provenance import source_types

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
DIGITAL_SOURCE_TYPES = (
    "digitalCapture",
    "computationalCapture",
    "negativeFilm",
    "positiveFilm",
    "print",
    "humanEdits",
    "compositeCapture",
    "algorithmicallyEnhanced",
    "digitalCreation",
    "dataDrivenMedia",
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia",
    "screenCapture",
    "virtualRecording",
    "composite",
    "compositeSynthetic",
)
# Source types that declare generative AI (a trained model): see source_types. Pure
# algorithmic media and synthetic composites are not generative AI.
AI_SOURCE_TYPES = frozenset(
    code for code, t in source_types.VOCABULARY.items() if t.ai is not source_types.AiRole.NONE
)


PARENT_LABEL = "parent-ingredient"


def link_parent(manifest: dict[str, Any]) -> dict[str, Any]:
    """A copy whose c2pa.opened action names the parent ingredient: C2PA requires opened
    actions to reference their ingredient, and signing fails validation without it."""
    out: dict[str, Any] = json.loads(json.dumps(manifest))  # a deep copy
    for a in out.get("assertions", []):
        if str(a.get("label", "")).startswith("c2pa.actions"):
            for act in a.get("data", {}).get("actions", []):
                if act.get("action") == "c2pa.opened":
                    act.setdefault("parameters", {})["ingredientIds"] = [PARENT_LABEL]
    return out


def build_manifest(
    *,
    title: str,
    mime: str,
    author: str | None = None,
    source_type: str | None = "digitalCapture",
    first_action: str = "c2pa.created",
    extra_actions: list[dict[str, Any]] | None = None,
    custom_assertions: dict[str, Any] | None = None,
    software_agent: str | None = None,
) -> dict[str, Any]:
    """A manifest definition: first action created/opened, IPTC source type, author.
    ``software_agent`` names what made the content (a generation tool) where that is not
    mediaproof; the claim generator stays mediaproof, which signs."""
    agent: dict[str, Any] = (
        {"name": software_agent}
        if software_agent
        else {"name": "mediaproof", "version": __version__}
    )
    first: dict[str, Any] = {"action": first_action, "softwareAgent": agent}
    if source_type:
        if source_type not in DIGITAL_SOURCE_TYPES:
            raise SigningError(
                f"unknown digital source type {source_type!r}",
                hint="one of: " + ", ".join(DIGITAL_SOURCE_TYPES),
            )
        first["digitalSourceType"] = IPTC + source_type
    assertions: list[dict[str, Any]] = [
        {"label": "c2pa.actions.v2", "data": {"actions": [first, *(extra_actions or [])]}}
    ]
    if author:
        assertions.append(
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "http://schema.org/",
                    "@type": "CreativeWork",
                    "author": [{"@type": "Person", "name": author}],
                },
                "kind": "Json",
            }
        )
    for label, data in (custom_assertions or {}).items():
        assertions.append({"label": label, "data": data})
    return {
        "claim_generator_info": [{"name": "mediaproof", "version": __version__}],
        "title": title,
        "format": mime,
        "assertions": assertions,
    }
