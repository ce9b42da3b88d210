"""The generative-AI declarations of a C2PA manifest store, across its ingredient chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediaproof.provenance import source_types

# Bounds on walking the ingredient chain: a hostile store may nest or loop manifests.
MAX_CHAIN_DEPTH = 16
MAX_CHAIN_MANIFESTS = 256


_ACTION_WORDS = {
    "c2pa.created": "its creation",
    "c2pa.opened": "its opening",
    "c2pa.placed": "an element placed into it",
    "c2pa.edited": "an edit",
    "c2pa.edited.metadata": "a metadata edit",
    "c2pa.converted": "a conversion",
    "c2pa.cropped": "a crop",
    "c2pa.filtered": "a filter",
    "c2pa.color_adjustments": "a colour adjustment",
    "c2pa.resized": "a resize",
    "c2pa.drawing": "a drawing",
    "c2pa.published": "its publication",
    "c2pa.repackaged": "a repackaging",
    "c2pa.transcoded": "a transcoding",
    "c2pa.removed": "a removal",
}
_ORDINAL = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
_IPTC_DST_KEYS = ("Iptc4xmpExt:DigitalSourceType", "DigitalSourceType", "digitalSourceType")


def _action_words(action: Any) -> str:
    if not isinstance(action, str):
        return "a step"
    base = action.split(".v", 1)[0]  # c2pa.edited.v2 style variants
    if base in _ACTION_WORDS:
        return _ACTION_WORDS[base]
    tail = base.rsplit(".", 1)[-1][:40]
    return f"a step named “{tail}”"


@dataclass
class _Chain:
    steps: list[dict[str, Any]] = field(default_factory=list)
    role: source_types.AiRole = source_types.AiRole.NONE
    read: int = 0
    truncated: bool = False


def _signer_name(manifest: dict[str, Any]) -> str | None:
    sig = manifest.get("signature_info") or {}
    name = sig.get("common_name") or sig.get("issuer")
    return str(name) if name else None


def _manifest_actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in manifest.get("assertions") or []:
        if str(a.get("label", "")).startswith("c2pa.actions"):
            acts = (a.get("data") or {}).get("actions") or []
            out += [act for act in acts if isinstance(act, dict)]
    return out


def _iptc_source_types(manifest: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for a in manifest.get("assertions") or []:
        if str(a.get("label", "")).startswith("stds.iptc"):
            data = a.get("data") or {}
            if isinstance(data, dict):
                out += [data[k] for k in _IPTC_DST_KEYS if k in data]
    return out


def _ingredient_link(ing: dict[str, Any]) -> str | None:
    link = ing.get("active_manifest") or ing.get("manifest")
    return link if isinstance(link, str) else None


def walk_chain(store: dict[str, Any], active: str | None) -> _Chain:
    """Every generative-AI declaration in the active manifest and, at any depth, in the
    manifests of its parentOf/componentOf ingredients. Each manifest is read once (a
    store may loop), at most MAX_CHAIN_DEPTH deep and MAX_CHAIN_MANIFESTS in all.

    The role is ``generated`` when the content's origin (the created action at the end of
    the parentOf chain) declares a trained model, ``contains`` for any other AI step."""
    manifests = store.get("manifests") or {}
    chain = _Chain()
    if not isinstance(manifests, dict) or not active:
        return chain
    seen: set[str] = set()
    origin_role: source_types.AiRole | None = None  # the created action on the parent line
    # (label, depth, path of ingredient titles, still on the parentOf line from the file)
    todo: list[tuple[str, int, tuple[str, ...], bool]] = [(active, 0, (), True)]
    while todo:
        label, depth, path, on_parent_line = todo.pop(0)
        if label in seen:
            continue
        if depth > MAX_CHAIN_DEPTH or len(seen) >= MAX_CHAIN_MANIFESTS:
            chain.truncated = True
            continue
        manifest = manifests.get(label)
        if not isinstance(manifest, dict):
            continue
        seen.add(label)
        signer = _signer_name(manifest)
        where = (
            "this file's own credentials"
            if depth == 0
            else "the credentials of its ingredient " + " → ".join(f"“{t}”" for t in path)
        )
        actions = _manifest_actions(manifest)
        for i, act in enumerate(actions):
            dst = act.get("digitalSourceType")
            role = source_types.ai_role(dst)
            base = str(act.get("action") or "").split(".v", 1)[0]
            if on_parent_line and base == "c2pa.created" and origin_role is None:
                origin_role = role
            if role is source_types.AiRole.NONE:
                continue
            agent = agent_name(act.get("softwareAgent"))
            n = _ORDINAL[i] if i < len(_ORDINAL) else f"#{i + 1}"
            step = f"the {n} recorded step of {where}, {_action_words(act.get('action'))}"
            if agent:
                step += f" with “{agent[:80]}”"
            chain.steps.append(
                {
                    "manifest_label": label,
                    "depth": depth,
                    "ingredient_path": list(path),
                    "signer": signer,
                    "kind": "action",
                    "action": act.get("action"),
                    "index": i,
                    "software_agent": agent,
                    "digital_source_type": source_types.short(dst),
                    "ai_role": role.value,
                    "step": step,
                    "wording": source_types.wording(dst),
                }
            )
        for dst in _iptc_source_types(manifest):
            role = source_types.ai_role(dst)
            if role is source_types.AiRole.NONE:
                continue
            chain.steps.append(
                {
                    "manifest_label": label,
                    "depth": depth,
                    "ingredient_path": list(path),
                    "signer": signer,
                    "kind": "iptc_assertion",
                    "action": None,
                    "index": None,
                    "software_agent": None,
                    "digital_source_type": source_types.short(dst),
                    "ai_role": role.value,
                    "step": f"the content, by the IPTC metadata in {where}",
                    "wording": source_types.wording(dst),
                }
            )
        for ing in manifest.get("ingredients") or []:
            if not isinstance(ing, dict):
                continue
            rel = ing.get("relationship")
            link = _ingredient_link(ing)
            if rel == "inputTo" or link is None:
                continue  # an input is not part of the content; no link, no credentials
            title = str(ing.get("title") or "untitled")[:80]
            todo.append((link, depth + 1, (*path, title), on_parent_line and rel == "parentOf"))
    chain.read = len(seen)
    if origin_role is source_types.AiRole.GENERATED:
        chain.role = source_types.AiRole.GENERATED
    elif chain.steps:
        chain.role = source_types.AiRole.CONTAINS
    return chain


def agent_name(agent: Any) -> str | None:
    if isinstance(agent, dict):
        return " ".join(str(agent.get(k)) for k in ("name", "version") if agent.get(k))
    return str(agent) if agent else None
