"""C2PA through c2pa-python: sign, and read into a typed report.

Remote manifest and OCSP fetching are switched off: a file that names a URL never makes
us fetch it. Thumbnails are off (they cost most of the signing time and leak content into
the manifest).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import c2pa

from mediaproof import __version__
from mediaproof.errors import SigningError
from mediaproof.provenance import source_types
from mediaproof.provenance.codes import INFORMATIONAL, TRUST_CODES, explain
from mediaproof.provenance.keys import SigningMaterial
from mediaproof.provenance.trust import C2PA_EKU_CONFIG

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
# Bounds on walking the ingredient chain: a hostile store may nest or loop manifests.
MAX_CHAIN_DEPTH = 16
MAX_CHAIN_MANIFESTS = 256

SIGNABLE_MIME = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/tiff",
        "image/avif",
        "image/heic",
        "image/heif",
        "image/gif",
        "video/mp4",
        "video/quicktime",
        "audio/mp4",
        "audio/wav",
        "audio/mpeg",
        "audio/flac",
        "application/pdf",
        "image/svg+xml",
    }
)


class ProvenanceState(StrEnum):
    ABSENT = "absent"
    INVALID = "invalid"
    VALID = "valid"  # intact and signed, but the signer is not on our trust list
    TRUSTED = "trusted"


@dataclass
class StatusCode:
    code: str
    explanation: str
    kind: str  # failure | success | informational
    scope: str  # active | ingredient
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "explanation": self.explanation,
            "kind": self.kind,
            "scope": self.scope,
            "url": self.url,
        }


@dataclass
class ProvenanceReport:
    state: ProvenanceState
    codes: list[StatusCode] = field(default_factory=list)
    manifest_label: str | None = None
    title: str | None = None
    claim_generator: str | None = None
    signer: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    digital_source_type: str | None = None
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    assertion_labels: list[str] = field(default_factory=list)
    soft_bindings: list[dict[str, Any]] = field(default_factory=list)
    remote_url: str | None = None
    # every generative-AI declaration in the active manifest and its ingredient chain
    ai_steps: list[dict[str, Any]] = field(default_factory=list)
    ai_role: str = source_types.AiRole.NONE.value  # none | generated | contains
    chain: dict[str, Any] = field(default_factory=dict)  # how much of the chain was read
    error: str | None = None  # why credentials could not be read, when they could not

    @property
    def failure_codes(self) -> list[str]:
        return [c.code for c in self.codes if c.kind == "failure" and c.scope == "active"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "codes": [c.code for c in self.codes if c.kind == "failure"],
            "code_details": [c.as_dict() for c in self.codes],
            "manifest_label": self.manifest_label,
            "title": self.title,
            "claim_generator": self.claim_generator,
            "signer": self.signer,
            "actions": self.actions,
            "digital_source_type": self.digital_source_type,
            "digital_source_type_wording": (
                source_types.wording(self.digital_source_type) if self.digital_source_type else None
            ),
            "ai_role": self.ai_role,
            "ai_steps": self.ai_steps,
            "chain": self.chain,
            "ingredients": self.ingredients,
            "assertions": self.assertion_labels,
            "soft_bindings": self.soft_bindings,
            "remote_url": self.remote_url,
            "error": self.error,
        }


def c2pa_settings(trust_pem: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "version": 1,
        "verify": {
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
            "verify_trust": True,
        },
        "builder": {"thumbnail": {"enabled": False}},
    }
    if trust_pem:
        settings["trust"] = {"trust_anchors": trust_pem, "trust_config": C2PA_EKU_CONFIG}
    return settings


class C2paEngine:
    """One configured c2pa context (settings + trust), reused across calls."""

    def __init__(self, trust_pem: str | None = None) -> None:
        self.trust_pem = trust_pem or None
        self._ctx = c2pa.Context.from_dict(c2pa_settings(self.trust_pem))

    # --- reading -------------------------------------------------------------------

    def read(self, path: Path, mime: str, manifest_data: bytes | None = None) -> ProvenanceReport:
        """Validate the credentials in ``path`` (or ``manifest_data`` against it)."""
        try:
            with path.open("rb") as f:
                reader = c2pa.Reader(mime, f, manifest_data, context=self._ctx)
                try:
                    store = json.loads(reader.json())
                    state = reader.get_validation_state()
                finally:
                    reader.close()
        except c2pa.C2paError as e:
            report = _report_from_error(e)
            if report.state is ProvenanceState.ABSENT and report.remote_url is None:
                report.remote_url = _xmp_provenance_url(path)
            return report
        return _report_from_store(store, state)

    # --- signing -------------------------------------------------------------------

    def sign(
        self,
        src: Path,
        dest: Path,
        mime: str,
        material: SigningMaterial,
        manifest: dict[str, Any],
        parent: bool = False,
        parent_src: Path | None = None,
    ) -> bytes:
        """Sign ``src`` into ``dest``; returns the manifest store bytes (JUMBF).

        ``parent_src``: where the parent ingredient is read from when it is not ``src``
        itself (``src`` is a watermarked rendition of a file that carries credentials)."""
        if mime not in SIGNABLE_MIME:
            raise SigningError(
                f"cannot sign {mime} files", hint="supported: " + ", ".join(sorted(SIGNABLE_MIME))
            )
        try:
            signer = c2pa.Signer.from_info(
                c2pa.C2paSignerInfo(
                    material.alg.encode(), material.chain_pem, material.key_pem, None
                )
            )
        except c2pa.C2paError as e:
            raise SigningError(f"the signing key or certificate was refused: {e}") from e
        if parent:
            manifest = _link_parent(manifest)
        try:
            builder = c2pa.Builder(manifest, context=self._ctx)
            with src.open("rb") as fin:
                if parent:
                    with (parent_src or src).open("rb") as pin:
                        builder.add_ingredient(
                            {
                                "title": manifest.get("title", src.name),
                                "relationship": "parentOf",
                                "label": PARENT_LABEL,
                            },
                            mime,
                            pin,
                        )
                    fin.seek(0)
                buf = io.BytesIO()
                manifest_bytes = builder.sign(signer, mime, fin, buf)
            tmp = dest.with_name(dest.name + ".partial")
            tmp.write_bytes(buf.getbuffer())
            tmp.replace(dest)  # atomic: a crash never leaves a half-written output
        except c2pa.C2paError as e:
            raise SigningError(f"C2PA signing failed: {e}") from e
        finally:
            signer.close()
        return bytes(manifest_bytes)


PARENT_LABEL = "parent-ingredient"


def _link_parent(manifest: dict[str, Any]) -> dict[str, Any]:
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


# --- report construction -------------------------------------------------------------


def _report_from_error(e: Exception) -> ProvenanceReport:
    text = str(e)
    name = type(e).__name__
    if "ManifestNotFound" in name or "ManifestNotFound" in text:
        return ProvenanceReport(state=ProvenanceState.ABSENT)
    if "NotSupported" in name or text.startswith("NotSupported"):
        return ProvenanceReport(
            state=ProvenanceState.ABSENT,
            codes=[
                StatusCode(
                    "manifest.unsupported",
                    explain("manifest.unsupported"),
                    "informational",
                    "active",
                )
            ],
            error=text,
        )
    if text.startswith("Remote"):
        url = _clean_url(text.split("url", 1)[-1]) if "url" in text else None
        return ProvenanceReport(
            state=ProvenanceState.ABSENT,
            codes=[
                StatusCode(
                    "manifest.remote.notFetched",
                    explain("manifest.remote.notFetched"),
                    "informational",
                    "active",
                    url,
                )
            ],
            remote_url=url,
            error=text,
        )
    # Credentials exist but cannot be parsed or validated: that is an invalid claim.
    code = (
        "status.prerelease"
        if "prerelease" in text
        else ("algorithm.unsupported" if "unknown algorithm" in text else "manifest.unreadable")
    )
    return ProvenanceReport(
        state=ProvenanceState.INVALID,
        codes=[StatusCode(code, explain(code), "failure", "active")],
        error=text,
    )


def _status_list(results: dict[str, Any], scope: str) -> list[StatusCode]:
    out: list[StatusCode] = []
    for kind in ("failure", "informational", "success"):
        for item in results.get(kind, []) or []:
            code = item.get("code", "")
            k = "informational" if (kind == "failure" and code in INFORMATIONAL) else kind
            out.append(StatusCode(code, explain(code), k, scope, item.get("url")))
    return out


def _report_from_store(store: dict[str, Any], state: str | None) -> ProvenanceReport:
    label = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(label or "", {}) if label else {}
    results = store.get("validation_results") or {}
    codes = _status_list(results.get("activeManifest") or {}, "active")
    for ing in results.get("ingredientDeltas") or []:
        codes += _status_list(ing.get("validationDeltas") or {}, "ingredient")

    if state == "Trusted":
        pstate = ProvenanceState.TRUSTED
    elif state == "Valid":
        pstate = ProvenanceState.VALID
    elif state == "Invalid":
        pstate = ProvenanceState.INVALID
    else:  # no state from the SDK: fall back on the failures we can see
        active_fail = [c for c in codes if c.kind == "failure" and c.scope == "active"]
        pstate = (
            ProvenanceState.INVALID
            if any(c.code not in TRUST_CODES for c in active_fail)
            else ProvenanceState.VALID
        )

    actions: list[dict[str, Any]] = []
    soft: list[dict[str, Any]] = []
    labels: list[str] = []
    author: str | None = None
    for a in manifest.get("assertions") or []:
        lab = a.get("label", "")
        labels.append(lab)
        data = a.get("data") or {}
        if lab.startswith("c2pa.actions"):
            for act in data.get("actions") or []:
                actions.append(
                    {
                        "action": act.get("action"),
                        "digital_source_type": _short_source_type(act.get("digitalSourceType")),
                        "digital_source_type_wording": (
                            source_types.wording(act.get("digitalSourceType"))
                            if act.get("digitalSourceType")
                            else None
                        ),
                        "software_agent": _agent_name(act.get("softwareAgent")),
                        "when": act.get("when"),
                        "description": act.get("description"),
                    }
                )
        elif lab.startswith("c2pa.soft-binding"):
            soft.append({"alg": data.get("alg"), "blocks": len(data.get("blocks") or [])})
        elif lab == "stds.schema-org.CreativeWork":
            authors = data.get("author") or []
            if authors and isinstance(authors[0], dict):
                author = authors[0].get("name")
    # the file's own declared source: its created (or opened) action's type. A later
    # edit's type is not the file's source; every AI step is in ai_steps.
    dst = next(
        (
            a["digital_source_type"]
            for a in actions
            if str(a["action"] or "").split(".v", 1)[0] in ("c2pa.created", "c2pa.opened")
            and a["digital_source_type"]
        ),
        None,
    )
    sig = manifest.get("signature_info") or {}
    signer = (
        {
            "common_name": sig.get("common_name"),
            "issuer": sig.get("issuer"),
            "alg": sig.get("alg"),
            "time": sig.get("time"),
            "serial": sig.get("cert_serial_number"),
            "author": author,
        }
        if sig
        else None
    )
    ingredients = [
        {
            "title": i.get("title"),
            "format": i.get("format"),
            "relationship": i.get("relationship"),
            "has_credentials": bool(i.get("active_manifest") or i.get("manifest_data")),
            "validation": [s.get("code") for s in (i.get("validation_status") or [])],
        }
        for i in manifest.get("ingredients") or []
    ]
    chain = _walk_chain(store, label)
    gen = manifest.get("claim_generator")
    if not gen and manifest.get("claim_generator_info"):
        gen = " ".join(
            f"{g.get('name', '')}/{g.get('version', '')}".rstrip("/")
            for g in manifest["claim_generator_info"]
        )
    return ProvenanceReport(
        state=pstate,
        codes=codes,
        manifest_label=label,
        title=manifest.get("title"),
        claim_generator=gen,
        signer=signer,
        actions=actions,
        digital_source_type=dst,
        ingredients=ingredients,
        assertion_labels=labels,
        soft_bindings=soft,
        ai_steps=chain.steps,
        ai_role=chain.role.value,
        chain={"manifests_read": chain.read, "truncated": chain.truncated},
    )


def _short_source_type(value: Any) -> str | None:
    return source_types.short(value)


# --- the AI declarations of the whole chain ---------------------------------------------

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


def _walk_chain(store: dict[str, Any], active: str | None) -> _Chain:
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
            agent = _agent_name(act.get("softwareAgent"))
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


# --- remote credentials -----------------------------------------------------------------

_XMP_PROVENANCE_RE = re.compile(
    rb"dcterms:provenance(?:=[\"']|>)\s*([^<\"'\s]{1,2000})", re.IGNORECASE
)


def _clean_url(text: str) -> str | None:
    """A URL named inside a file, made safe to show: printable, no spaces, bounded."""
    url = text.strip().split()[0] if text.strip() else ""
    url = "".join(ch for ch in url if 33 <= ord(ch) < 127)[:500]
    return url or None


def _xmp_provenance_url(path: Path) -> str | None:
    """The remote manifest reference of XMP ``dcterms:provenance`` (never fetched), for
    files the SDK reported as carrying no credentials."""
    try:
        with path.open("rb") as f:
            head = f.read(2 * 1024 * 1024)
    except OSError:
        return None
    for m in _XMP_PROVENANCE_RE.finditer(head):
        url = _clean_url(m.group(1).decode("utf-8", "replace"))
        # only a remote reference: "self#jumbf=..." points into the file itself (left
        # behind when embedded credentials were stripped), which is not a remote store
        if url and url.lower().startswith(("https://", "http://")):
            return url
    return None


def _agent_name(agent: Any) -> str | None:
    if isinstance(agent, dict):
        return " ".join(str(agent.get(k)) for k in ("name", "version") if agent.get(k))
    return str(agent) if agent else None
