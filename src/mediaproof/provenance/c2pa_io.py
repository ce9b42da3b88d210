"""C2PA through c2pa-python: sign, and read into a typed report.

Remote manifest and OCSP fetching are switched off: a file that names a URL never makes
us fetch it. Thumbnails are off (they cost most of the signing time and leak content into
the manifest).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import c2pa

from mediaproof import __version__
from mediaproof.errors import SigningError
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
# Source types that declare generative AI involvement.
AI_SOURCE_TYPES = frozenset(
    {
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "compositeSynthetic",
        "algorithmicMedia",
    }
)

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
            return _report_from_error(e)
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
) -> dict[str, Any]:
    """A manifest definition: first action created/opened, IPTC source type, author."""
    first: dict[str, Any] = {
        "action": first_action,
        "softwareAgent": {"name": "mediaproof", "version": __version__},
    }
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
        url = text.split("url", 1)[-1].strip() if "url" in text else None
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
    dst = next((a["digital_source_type"] for a in actions if a["digital_source_type"]), None)
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
    )


def _short_source_type(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value.rsplit("/", 1)[-1]


def _agent_name(agent: Any) -> str | None:
    if isinstance(agent, dict):
        return " ".join(str(agent.get(k)) for k in ("name", "version") if agent.get(k))
    return str(agent) if agent else None
