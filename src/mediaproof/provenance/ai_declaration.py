"""How a generative-AI declaration in Content Credentials is put into words.

Works on the provenance evidence data (``ProvenanceReport.as_dict()``): ``ai_role``,
``ai_steps`` (see docs/verify-report.md), ``state``, ``signer`` and ``code_details``. The
same words serve the provenance summary and the assessment, so a voter reads one story.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediaproof.provenance.source_types import AiRole

_UNTRUSTED = "signingCredential.untrusted"


def _first_step(data: Mapping[str, Any]) -> dict[str, Any] | None:
    steps = [s for s in data.get("ai_steps") or [] if isinstance(s, dict)]
    if not steps:
        return None
    # the file's own credentials first, then the nearest ingredient
    return min(steps, key=lambda s: (int(s.get("depth") or 0), int(s.get("index") or 0)))


def _step_signer_verified(data: Mapping[str, Any], step: Mapping[str, Any]) -> bool:
    if data.get("state") != "trusted":
        return False
    if int(step.get("depth") or 0) == 0:
        return True
    # an ingredient's own signer: verified unless an ingredient's signer was refused
    return not any(
        c.get("code") == _UNTRUSTED and c.get("scope") == "ingredient"
        for c in data.get("code_details") or []
        if isinstance(c, dict)
    )


def role(data: Mapping[str, Any]) -> AiRole:
    """The AI role the credentials declare, believed only when they are intact."""
    if data.get("state") not in ("valid", "trusted") or not data.get("ai_steps"):
        return AiRole.NONE
    try:
        return AiRole(data.get("ai_role") or "none")
    except ValueError:
        return AiRole.CONTAINS


def headline(data: Mapping[str, Any]) -> str | None:
    """The answer's first words, naming who declared it; None when nothing is declared."""
    r = role(data)
    step = _first_step(data)
    if r is AiRole.NONE or step is None:
        return None
    what = "AI-generated" if r is AiRole.GENERATED else "Contains AI-generated content"
    signer = step.get("signer")
    if signer and _step_signer_verified(data, step):
        return f"{what}, declared by {signer}"
    return f"{what}, declared in credentials whose signer is not verified"


def sentences(data: Mapping[str, Any]) -> list[str]:
    """One plain sentence per declared AI step (at most five, then a count)."""
    if role(data) is AiRole.NONE:
        return []
    steps = sorted(
        (s for s in data.get("ai_steps") or [] if isinstance(s, dict)),
        key=lambda s: (int(s.get("depth") or 0), int(s.get("index") or 0)),
    )
    out: list[str] = []
    for s in steps[:5]:
        signer = s.get("signer")
        if signer and _step_signer_verified(data, s):
            by = f"signed by {signer}"
        elif signer:
            by = f"signed by a signer that claims to be {signer} (not verified)"
        else:
            by = "signed by an unnamed signer"
        out.append(
            f"Its Content Credentials, {by}, record that {s.get('step')}, was {s.get('wording')}."
        )
    if len(steps) > 5:
        out.append(f"{len(steps) - 5} more AI steps are declared in its credentials.")
    return out


def summary(data: Mapping[str, Any]) -> str | None:
    """One short sentence for the provenance evidence; None when nothing is declared."""
    r = role(data)
    if r is AiRole.NONE:
        return None
    n = len(data.get("ai_steps") or [])
    what = (
        "that the content was made with generative AI"
        if r is AiRole.GENERATED
        else "that it contains AI-generated content"
    )
    return f"They record {what} ({n} declared AI step{'s' if n != 1 else ''})."
