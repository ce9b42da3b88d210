"""Sign and register official media; register existing originals."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes

from mediaproof.errors import ConflictError, UsageError
from mediaproof.media.ingest import MediaInfo, ingest_file
from mediaproof.provenance.c2pa_io import ProvenanceState, build_manifest
from mediaproof.registry.models import AssetRecord
from mediaproof.services.fingerprints import fingerprint_entries
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import (
    asset_registered_entry,
    fingerprint_digests,
    record_event,
)
from mediaproof.services.watermarking import (
    apply_watermark,
    can_watermark,
    manifest_additions,
    new_watermark_id,
    scratch_dir,
)
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository


@dataclass(frozen=True)
class SignRequest:
    src: Path
    dest: Path
    title: str
    author: str | None = None
    source_type: str | None = "digitalCapture"
    assertions: dict[str, Any] | None = None
    watermark: bool = True  # embed the invisible watermark where the format allows


@dataclass(frozen=True)
class Published:
    asset: AssetRecord
    output: Path
    media: MediaInfo


def parse_assertions(items: list[str]) -> dict[str, Any]:
    """``LABEL=JSON`` pairs from the command line into custom assertions."""
    out: dict[str, Any] = {}
    for item in items:
        label, sep, raw = item.partition("=")
        if not sep or not label.strip():
            raise UsageError(f"--assert expects LABEL=JSON, got {item!r}")
        if label.startswith("c2pa."):
            raise UsageError(f"{label}: labels starting with c2pa. are reserved for the standard")
        try:
            out[label.strip()] = json.loads(raw)
        except json.JSONDecodeError as e:
            raise UsageError(f"--assert {label}: the value is not JSON ({e.msg})") from e
    return out


def sign_and_register(inst: Instance, req: SignRequest) -> Published:
    material = inst.require_keys()
    media = ingest_file(req.src, inst.settings.limits)
    if req.dest.resolve() == req.src.resolve():
        raise UsageError("the output must be a different file from the input")
    if not req.title.strip():
        raise UsageError("a title is required")
    engine = inst.c2pa()
    existing = engine.read(req.src, media.mime)
    has_parent = existing.state is not ProvenanceState.ABSENT
    with scratch_dir() as scratch:
        to_sign, extra_actions, custom = req.src, [], dict(req.assertions or {})
        marked = None
        # A file that already carries credentials is marked too: the marked rendition is
        # signed and the untouched input stays its parent ingredient (read from req.src).
        if req.watermark and can_watermark(media):
            marked = apply_watermark(inst.home, media, new_watermark_id(inst), Path(scratch))
            action, soft = manifest_additions(marked)
            to_sign = marked.path
            extra_actions.append(action)
            custom["c2pa.soft-binding"] = soft
        manifest = build_manifest(
            title=req.title,
            mime=media.mime,
            author=req.author,
            source_type=req.source_type,
            first_action="c2pa.opened" if has_parent else "c2pa.created",
            extra_actions=extra_actions,
            custom_assertions=custom,
        )
        req.dest.parent.mkdir(parents=True, exist_ok=True)
        manifest_store = engine.sign(
            to_sign,
            req.dest,
            media.mime,
            material,
            manifest,
            parent=has_parent,
            parent_src=req.src if has_parent else None,
        )
    signed = ingest_file(req.dest, inst.settings.limits)
    cert = material.certificate
    asset = _register(
        inst,
        signed,
        log_signer="x509-sha256:" + cert.fingerprint(hashes.SHA256()).hex(),
        title=req.title,
        author=req.author,
        source_type=req.source_type,
        signed_flag=True,
        signer_subject=cert.subject.rfc4514_string(),
        signer_issuer=cert.issuer.rfc4514_string(),
        manifest_store=manifest_store,
        manifest_label=engine.read(req.dest, signed.mime).manifest_label,
        watermark_id=marked.watermark_id if marked else None,
    )
    return Published(asset=asset, output=req.dest, media=signed)


def register_existing(
    inst: Instance,
    path: Path,
    *,
    title: str | None = None,
    author: str | None = None,
    source_type: str | None = None,
) -> AssetRecord:
    """Register an original without signing it (e.g. media signed elsewhere)."""
    media = ingest_file(path, inst.settings.limits)
    prov = inst.c2pa().read(path, media.mime)
    signer = prov.signer or {}
    return _register(
        inst,
        media,
        log_signer="external",  # signed elsewhere, or not at all: we vouch for no signer
        title=title or prov.title or path.name,
        author=author,
        source_type=source_type or prov.digital_source_type,
        signed_flag=prov.state in (ProvenanceState.VALID, ProvenanceState.TRUSTED),
        signer_subject=signer.get("common_name"),
        signer_issuer=signer.get("issuer"),
        manifest_store=None,
        manifest_label=prov.manifest_label,
    )


def _register(
    inst: Instance,
    media: MediaInfo,
    *,
    log_signer: str,
    title: str,
    author: str | None,
    source_type: str | None,
    signed_flag: bool,
    signer_subject: str | None,
    signer_issuer: str | None,
    manifest_store: bytes | None,
    manifest_label: str | None,
    watermark_id: int | None = None,
) -> AssetRecord:
    # computed before anything is written, so a failure leaves no half-registered asset
    fingerprints = fingerprint_entries(media, inst.settings.limits)
    blob = None
    if inst.settings.keep_original_pixels:
        blob = inst.blobs.put_file(media.path, media.sha256)
    with inst.db.session() as s:
        repo = AssetRepository(s)
        if repo.by_sha256(media.sha256) is not None:
            raise ConflictError(
                f"this exact file is already registered (sha256 {media.sha256[:12]}…)"
            )
        asset = repo.add(
            sha256=media.sha256,
            mime=media.mime,
            size=media.size,
            width=media.width,
            height=media.height,
            duration_s=media.duration_s,
            title=title[:500],
            author=author,
            source_type=source_type,
            signed=signed_flag,
            signer_subject=signer_subject,
            signer_issuer=signer_issuer,
            manifest_store=manifest_store,
            manifest_label=manifest_label,
            original_blob=blob,
            watermark_id=watermark_id,
        )
        FingerprintRepository(s).add_many(asset.id, fingerprints)
    if "fingerprint_lookup" in inst.__dict__:  # this process serves lookups: match at once
        inst.fingerprint_lookup.refresh(force=True)
    # After the commit: the public log records only registrations that happened, and a
    # log failure queues the entry instead of undoing the registration.
    record_event(
        inst,
        asset_registered_entry(
            asset,
            signer=log_signer,
            manifest_sha256=hashlib.sha256(manifest_store).hexdigest() if manifest_store else None,
            fingerprints=fingerprint_digests(fingerprints),
        ),
    )
    return asset


__all__ = ["Published", "SignRequest", "parse_assertions", "register_existing", "sign_and_register"]
