"""Releases through the HTTP service: sign + register an upload, show and hand it back."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mediaproof.accounts.models import Principal
from mediaproof.errors import NotFoundError, RemoteManifestError, UsageError
from mediaproof.media.ingest import ingest_file
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import Published, SignRequest, sign_and_keep


class InclusionProofSource(Protocol):
    """Whatever keeps the transparency log answers this; the service only shows it."""

    def inclusion_proof(self, asset_id: int) -> Mapping[str, Any] | None: ...


MAX_TITLE = 500
MAX_AUTHOR = 300


def release_fields(fields: Mapping[str, str]) -> tuple[str, str | None, str]:
    """Title, author and source type from a publishing form, checked."""
    title = fields.get("title", "").strip()
    author = fields.get("author", "").strip() or None
    source_type = fields.get("source_type", "").strip() or "digitalCapture"
    if not title:
        raise UsageError("a title is required")
    if len(title) > MAX_TITLE or (author and len(author) > MAX_AUTHOR):
        raise UsageError(f"the title has at most {MAX_TITLE} characters, the author {MAX_AUTHOR}")
    return title, author, source_type


def publisher_of(who: Principal) -> str | None:
    """The publisher a release is idempotent for: the signed-in account."""
    return f"user:{who.user.id}" if who.user is not None else None


@dataclass(frozen=True)
class SignedFile:
    path: Path
    mime: str
    filename: str


def publish_upload(
    inst: Instance,
    upload: Path,
    *,
    title: str,
    author: str | None,
    source_type: str | None,
    publisher: str | None = None,
) -> Published:
    """Sign the uploaded file, register it, and keep the signed copy for download.

    The same file from the same ``publisher`` again returns the asset registered the
    first time (``created`` False) instead of a second asset (services.publishing)."""
    media = ingest_file(upload, inst.settings.limits)
    if inst.c2pa().read(upload, media.mime).remote_url:
        raise RemoteManifestError(
            "the file points to Content Credentials on a remote server; mediaproof does not "
            "fetch them, so it cannot record them as this release's history",
        )
    return sign_and_keep(
        inst,
        media.extension,
        lambda dest: SignRequest(
            src=upload,
            dest=dest,
            title=title,
            author=author,
            source_type=source_type,
            publisher=publisher,
        ),
    )


def asset_view(
    inst: Instance, asset_id: int, proofs: InclusionProofSource | None
) -> dict[str, Any]:
    """An asset's public record with its transparency-log proof, when a log is set up."""
    asset = inst.asset(asset_id)
    if asset is None:
        raise NotFoundError(f"no asset {asset_id}")
    proof = proofs.inclusion_proof(asset_id) if proofs is not None else None
    # a source may say it is not set up yet (the log is created by the first registration)
    configured = proofs is not None and bool(getattr(proofs, "configured", True))
    return {
        "asset": asset.public_dict(),
        "transparency": {
            "configured": configured,
            "inclusion_proof": dict(proof) if proof is not None else None,
        },
    }


def signed_file(inst: Instance, asset_id: int) -> SignedFile:
    """The signed release as registered (only signed assets are handed out)."""
    asset = inst.asset(asset_id)
    if asset is None or not asset.signed or not inst.blobs.exists(asset.sha256):
        raise NotFoundError(f"no signed file is kept for asset {asset_id}")
    ext = mimetypes.guess_extension(asset.mime) or ".bin"
    return SignedFile(inst.blobs.path(asset.sha256), asset.mime, f"asset-{asset.id}{ext}")
