"""Sign and register official media; register existing originals.

Publishing is idempotent per publisher: the same file (by the SHA-256 of the bytes handed
in, before signing) from the same publisher is the same release, so a retry, e.g. after
a lost response or a crash, returns the asset already registered instead of signing and
registering a second one (``Published.created`` is then False). The database enforces it
(a unique ``(publisher, source_sha256)``), so two concurrent publishes of one file make
one asset. A registration's log entry is staged in the same transaction (see
services.transparency), and signing works in ``<home>/tmp/sign-<pid>-*`` folders that
:func:`clean_signing_dirs` removes at start-up once their process is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes

from mediaproof.display_text import check_display_text
from mediaproof.errors import ConflictError, MalformedMediaError, UsageError
from mediaproof.fingerprint.pdq import ImageFingerprint
from mediaproof.media.children import pid_alive
from mediaproof.media.ingest import MediaInfo, ingest_file, read_signed
from mediaproof.provenance.c2pa_io import ProvenanceState, build_manifest
from mediaproof.provenance.jumbf import active_manifest_label
from mediaproof.registry.models import AssetRecord
from mediaproof.services.fingerprints import fingerprint_entries
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import (
    asset_registered_entry,
    fingerprint_digests,
    land_staged,
    recover,
    stage_entry,
)
from mediaproof.services.watermarking import (
    apply_watermark,
    can_watermark,
    manifest_additions,
    new_watermark_id,
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
    # Who publishes ("user:<id>" over HTTP, "local" for the operator's CLI): the same
    # file from the same publisher returns the existing asset. None: no such check.
    publisher: str | None = "local"
    # what made the content, for the first action's softwareAgent (a generation tool's
    # name); None: mediaproof
    software_agent: str | None = None


@dataclass(frozen=True)
class Published:
    asset: AssetRecord
    output: Path
    media: MediaInfo
    created: bool = True  # False: this publisher had published this file already


_log = logging.getLogger(__name__)
SIGN_PREFIX = "sign-"
# a signed file up to this size is read once into memory for its digests and the blob
# store's copy (a 12 MP JPEG: ~4 MB); larger ones (video) are streamed, as before
SIGNED_IN_MEMORY = 64 * 1024 * 1024


def signing_dir(inst: Instance) -> tempfile.TemporaryDirectory[str]:
    """A private work folder for one signing, named after this process so that a folder
    left by a crash can be told from one in use (see :func:`clean_signing_dirs`)."""
    work = inst.home / "tmp"
    work.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=work, prefix=f"{SIGN_PREFIX}{os.getpid()}-")


STALE_LEGACY_S = 24 * 3600


def clean_signing_dirs(inst: Instance) -> int:
    """Remove signing folders whose process is gone, and unnamed ``tmp*`` signing folders
    of earlier versions older than a day. Returns how many were removed. (Uploads a crash
    left are public_verify.clear_stale_uploads's.)"""
    work = inst.home / "tmp"
    if not work.is_dir():
        return 0
    removed = 0
    now = time.time()
    for p in work.iterdir():
        name = p.name
        stale = False
        if name.startswith(SIGN_PREFIX):
            pid = name[len(SIGN_PREFIX) :].split("-", 1)[0]
            stale = not pid.isdigit() or not pid_alive(int(pid))
        elif name.startswith("tmp"):
            with contextlib.suppress(OSError):
                stale = now - p.lstat().st_mtime > STALE_LEGACY_S
        if not stale:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        removed += 1
    if removed:
        _log.info("removed %d work file(s) left by a crash in %s", removed, work)
    return removed


def _existing_release(inst: Instance, publisher: str, source_sha256: str) -> AssetRecord | None:
    with inst.db.session() as s:
        return AssetRepository(s).by_publisher_source(publisher, source_sha256)


def _hand_back(inst: Instance, asset: AssetRecord, req: SignRequest) -> Published:
    """A retried publish: the asset already registered, its signed file at ``req.dest``."""
    if asset.status != "active":
        raise ConflictError(
            f"this file was published as asset {asset.id}, which was {asset.status}",
            hint="a withdrawn release is not published again under the same publisher",
        )
    if not inst.blobs.exists(asset.sha256):
        raise ConflictError(
            f"this file was already published as asset {asset.id}",
            hint="its signed copy is not kept here; use the file written the first time",
        )
    req.dest.parent.mkdir(parents=True, exist_ok=True)
    inst.blobs.copy_to(asset.sha256, req.dest)
    return Published(
        asset=asset,
        output=req.dest,
        media=ingest_file(req.dest, inst.settings.limits),
        created=False,
    )


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


def sign_and_keep(
    inst: Instance, extension: str, request: Callable[[Path], SignRequest]
) -> Published:
    """Sign and register in a private work folder (``request(dest)`` is the request
    whose signed copy goes to ``dest`` there, a ``.extension`` file), then keep the
    signed copy in the instance's blobs, where downloads are served from (it is there
    already when originals are kept)."""
    with signing_dir(inst) as d:
        dest = Path(d) / f"signed.{extension}"
        pub = sign_and_register(inst, request(dest))
        if not inst.blobs.exists(pub.media.sha256):
            inst.blobs.put_file(dest, pub.media.sha256)
    return pub


def check_release_text(**fields: str | None) -> None:
    """Refuse a release's title or author that holds a character which reorders or hides
    text on display (signed into the release's Content Credentials and shown on public
    pages; see mediaproof.display_text)."""
    check_display_text("a release's credentials must read as they are shown", **fields)


def sign_and_register(inst: Instance, req: SignRequest) -> Published:
    material = inst.require_keys()
    if req.dest.resolve() == req.src.resolve():
        raise UsageError("the output must be a different file from the input")
    if not req.title.strip():
        raise UsageError("a title is required")
    check_release_text(title=req.title, author=req.author)
    media = ingest_file(req.src, inst.settings.limits)
    if req.publisher is not None:
        again = _existing_release(inst, req.publisher, media.sha256)
        if again is not None:
            return _hand_back(inst, again, req)
    engine = inst.c2pa()
    existing = engine.read(req.src, media.mime)
    has_parent = existing.state is not ProvenanceState.ABSENT
    with signing_dir(inst) as scratch:
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
            software_agent=req.software_agent,
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
    # one read of the signed file (up to SIGNED_IN_MEMORY): its SHA-256, its MD5 and the
    # bytes the blob store keeps
    signed, content = read_signed(req.dest, inst.settings.limits, SIGNED_IN_MEMORY)
    cert = material.certificate
    try:
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
            # the store just embedded names it; the SDK re-reads the file only where
            # that store does not parse
            manifest_label=active_manifest_label(manifest_store)
            or engine.read(req.dest, signed.mime).manifest_label,
            watermark_id=marked.watermark_id if marked else None,
            image=marked.image if marked else None,
            publisher=req.publisher,
            source_sha256=media.sha256 if req.publisher is not None else None,
            content=content,
        )
    except MalformedMediaError:
        req.dest.unlink(missing_ok=True)  # no signed output of a refused release is left
        raise
    except ConflictError:
        # Another publish of the same file by the same publisher committed first.
        again = _existing_release(inst, req.publisher, media.sha256) if req.publisher else None
        if again is None:
            raise
        if inst.blobs.exists(signed.sha256) and signed.sha256 != again.sha256:
            inst.blobs.delete(signed.sha256)  # our signed copy lost the race
        return _hand_back(inst, again, req)
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
    title = title or prov.title or path.name
    check_release_text(title=title, author=author)
    return _register(
        inst,
        media,
        log_signer="external",  # signed elsewhere, or not at all: we vouch for no signer
        title=title,
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
    image: ImageFingerprint | None = None,
    publisher: str | None = None,
    source_sha256: str | None = None,
    content: bytes | None = None,
) -> AssetRecord:
    """``content``: the file's bytes, read once with ``media``'s digests
    (:func:`read_signed`), kept as they are instead of read and hashed again."""
    # computed before anything is written, so a failure leaves no half-registered asset;
    # strict: a release that does not decode is refused, not registered untraceable
    fingerprints = fingerprint_entries(media, inst.settings.limits, image, strict=True)
    blob = None
    if inst.settings.keep_original_pixels:
        if content is not None:
            blob = inst.blobs.put_bytes(content, media.sha256)
        else:
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
            publisher=publisher,
            source_sha256=source_sha256,
        )
        FingerprintRepository(s).add_many(asset.id, fingerprints)
        # Staged in the registration's own transaction: the log hears of every asset
        # that committed, even if the process dies right after the commit.
        stage_entry(
            s,
            asset_registered_entry(
                asset,
                signer=log_signer,
                manifest_sha256=(
                    hashlib.sha256(manifest_store).hexdigest() if manifest_store else None
                ),
                fingerprints=fingerprint_digests(fingerprints),
            ),
            asset_id=asset.id,
        )
    if "fingerprint_lookup" in inst.__dict__:  # this process serves lookups: match at once
        inst.fingerprint_lookup.refresh(force=True)
    # A log that cannot be written now leaves the entry staged, never undoes the asset.
    land_staged(inst)
    return asset


def recover_at_startup(inst: Instance) -> None:
    """What a crash left: signing folders go, staged log entries land, and registered
    assets missing from the log are staged (services.transparency.recover)."""
    clean_signing_dirs(inst)
    recover(inst)


__all__ = [
    "Published",
    "SignRequest",
    "clean_signing_dirs",
    "parse_assertions",
    "recover_at_startup",
    "register_existing",
    "sign_and_register",
    "signing_dir",
]
