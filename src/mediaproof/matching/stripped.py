"""A copy without credentials that matches a signed original: say so in plain words.

Platforms strip Content Credentials on upload. When the match analyzer leads such a copy
back to a registered original that was signed, this module fetches the original's record
and its stored manifest store, validates that manifest and writes the sentence people
read: "a copy of X, signed by Y on Z; the credentials were removed and the content
differs from the original by N of 256 bits".

Validating the stored manifest: against the kept original's bytes when the instance
keeps originals (then every check must pass), otherwise against the copy itself. A copy
is different bytes by construction, so the manifest's data-hash check fails there; that
mismatch is *expected* and is never reported as tampering. Every other check (the claim
signature, the certificate chain and trust, the assertions' hashed links) still decides
whether the stored manifest is valid.

Nothing here turns a match into a verdict of authenticity: the stored manifest vouches
for the original, and the match only says the copy looks like it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mediaproof.provenance.c2pa_io import ProvenanceReport, ProvenanceState
from mediaproof.registry.models import AssetRecord

# the content bindings a copy cannot satisfy (c2pa: data, BMFF, boxes, collection hashes)
CONTENT_BINDING_CODES = frozenset(
    {
        "assertion.dataHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.boxesHash.mismatch",
        "assertion.collectionHash.mismatch",
    }
)


class SignedOriginals(Protocol):
    """What the stripped-copy check asks of the registry (``services.Instance`` fits)."""

    def asset(self, asset_id: int) -> AssetRecord | None: ...

    def manifest_store(self, asset_id: int) -> bytes | None: ...


class ManifestReader(Protocol):
    """``C2paEngine.read``: validate ``manifest_data`` against the bytes at ``path``."""

    def read(
        self, path: Path, mime: str, manifest_data: bytes | None = None
    ) -> ProvenanceReport: ...


@dataclass(frozen=True)
class StoredManifestCheck:
    """The stored manifest of a registered original, validated."""

    state: str  # trusted | valid | invalid | unreadable
    checked_against: str  # "registered original" | "this copy"
    failures: list[str]  # failure codes that count
    expected_mismatch: list[str]  # content-binding codes that a copy fails by construction
    signer: str | None
    signed_at: str | None  # from a time-stamp, when the manifest has one

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "checked_against": self.checked_against,
            "failures": self.failures,
            "expected_mismatch": self.expected_mismatch,
            "signer": self.signer,
            "signed_at": self.signed_at,
        }


def check_stored_manifest(
    reader: ManifestReader,
    manifest: bytes,
    original_mime: str,
    copy_path: Path,
    kept_original: Path | None,
) -> StoredManifestCheck:
    """Validate ``manifest`` against the kept original if there is one, else the copy."""
    target, against = (
        (kept_original, "registered original")
        if kept_original is not None
        else (copy_path, "this copy")
    )
    report = reader.read(target, original_mime, manifest)
    signer = report.signer or {}
    failures = report.failure_codes
    if report.state is ProvenanceState.ABSENT or report.error:
        return StoredManifestCheck(
            "unreadable", against, failures, [], signer.get("common_name"), signer.get("time")
        )
    expected: list[str] = []
    if kept_original is None:
        expected = sorted({c for c in failures if c in CONTENT_BINDING_CODES})
    counted = sorted({c for c in failures if c not in expected})
    if counted:
        state = "invalid"
    elif any(c.code == "signingCredential.trusted" for c in report.codes):
        state = "trusted"
    else:
        state = "valid"
    return StoredManifestCheck(
        state, against, counted, expected, signer.get("common_name"), signer.get("time")
    )


_VALIDITY = {
    "trusted": "Its stored Content Credentials are valid and the signer is trusted here.",
    "valid": (
        "Its stored Content Credentials are valid, but the signer is not on this "
        "instance's trust list."
    ),
    "invalid": "Its stored Content Credentials do not validate ({codes}).",
    "unreadable": "Its stored Content Credentials could not be read.",
}


def difference_phrase(candidate: dict[str, Any]) -> str:
    """How far the copy is from the original, in the unit of the signal that matched."""
    signal = candidate.get("signal")
    d = candidate.get("distance")
    if signal == "pdq":
        return f"the content differs from the original by {int(d or 0)} of 256 bits"
    if signal == "vpdq":
        return (
            f"{candidate.get('query_match_percent')} % of its video frames match the "
            f"original's (closest frame {int(d or 0)} of 256 bits apart)"
        )
    if signal == "chromaprint":
        return f"its sound differs from the original's by a bit-error rate of {float(d or 0):.3f}"
    return "the content is the same file as the original's apart from the credentials"


def describe_stripped_copy(
    registry: SignedOriginals,
    reader: ManifestReader,
    candidates: list[dict[str, Any]],
    copy_path: Path,
    kept_original: Callable[[AssetRecord], Path | None],
) -> dict[str, Any] | None:
    """For the best candidate that is a signed original with a stored manifest: the
    plain-words sentence and the stored manifest's validity. None when no candidate is
    a signed original (nothing to say beyond the match itself)."""
    for cand in _one_per_asset(candidates):
        aid = str(cand.get("asset_id", ""))
        if not aid.isdigit():
            continue
        asset = registry.asset(int(aid))
        if asset is None or not asset.signed or asset.status != "active":
            continue
        manifest = registry.manifest_store(asset.id)
        check = None
        if manifest is not None:
            check = check_stored_manifest(
                reader, manifest, asset.mime, copy_path, kept_original(asset)
            )
        signer = (check.signer if check else None) or _cn(asset.signer_subject) or "its signer"
        when = (check.signed_at if check else None) or asset.created_at.strftime("%Y-%m-%d")
        sentence = (
            f"This file is a copy of “{asset.title}” (registered asset {asset.id}), signed "
            f"by {signer} on {when}; the credentials were removed and "
            f"{difference_phrase(cand)}."
        )
        if check is None:
            validity = "The instance does not keep that original's credentials to check them."
        else:
            validity = _VALIDITY[check.state].format(codes=", ".join(check.failures))
            if check.expected_mismatch:
                validity += (
                    " Checked against this copy, the credentials' content hash does not "
                    "match: expected for a copy, and not a sign of tampering by itself."
                )
        return {
            "asset_id": aid,
            "title": asset.title,
            "signer": signer,
            "signed_on": when,
            "signal": cand.get("signal"),
            "distance": cand.get("distance"),
            "sentence": sentence,
            "validity": validity,
            "stored_manifest": check.as_dict() if check else None,
        }
    return None


_SIGNAL_ORDER = {"pdq": 0, "vpdq": 1, "chromaprint": 2, "md5": 3}


def _one_per_asset(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assets in the analyzer's order (best first); for each, the picture's signal
    when there is one (people compare what they see), else the sound's."""
    best: dict[str, dict[str, Any]] = {}
    for c in candidates:
        aid = str(c.get("asset_id", ""))
        prev = best.get(aid)
        rank = _SIGNAL_ORDER.get(str(c.get("signal")), 9)
        if prev is None or rank < _SIGNAL_ORDER.get(str(prev.get("signal")), 9):
            best[aid] = c
    return list(best.values())


def _cn(subject: str | None) -> str | None:
    """The common name of an RFC 4514 subject ("CN=x,O=y" -> "x")."""
    if not subject:
        return None
    for part in subject.split(","):
        if part.strip().upper().startswith("CN="):
            return part.split("=", 1)[1].strip()
    return subject
