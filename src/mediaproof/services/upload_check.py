"""A platform checks an upload: the bank of media our reviewers confirmed, then the
signals received from exchange peers (issue 18: "one platform's confirmed fake is caught
at the next platform's upload").

The platform sends the file, or only its hashes (SHA-256, PDQ, the MD5 of a video's
bytes, a video's vPDQ, a recording's Chromaprint) so the media never leaves it. A file
is hashed here: PDQ for a picture, vPDQ (one frame a second, as python-threatexchange
hashes a query) and the soundtrack's Chromaprint for a video, Chromaprint for audio.
The answer says what to do:

- ``label`` (or ``remove`` / ``restrict``): the upload is identical (SHA-256) to media
  a final decision acted on; the bank rules applied the confirmed outcome as an
  automated decision of its own, with its statement of reasons, on the confirmed case;
- ``review``: a near copy of confirmed media, a confirmed signal a trusted peer disputed,
  or a match on a signal pulled from a peer: a case is opened (or joined) for our
  reviewers and nothing is applied (a match is a lead, not proof);
- ``none``: nothing matched, or only a known-benign or quarantined signal did.

Checking the same item again (same bytes, same address) adds nothing: the decision taken
on it stands, and a near copy's notice joins the case it opened before. Where our bank
acted, received signals are not matched as well: our own reviewers' decision stands, and
a third party's signal would only open a review of what is already decided.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediaproof.cases.bank import BankAction
from mediaproof.cases.models import Outcome
from mediaproof.cases.sor import label_text
from mediaproof.errors import UsageError
from mediaproof.exchange import media_signals
from mediaproof.exchange.incoming import Gate, gate
from mediaproof.media.sniff import MediaKind
from mediaproof.services import exchange_match
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.intake_form import media_prints
from mediaproof.services.instance import Instance
from mediaproof.services.public_verify import check_decodes, inspect_upload

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
PDQ_RE = re.compile(r"^[0-9a-f]{64}$")
MD5_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_URL = 2000  # the action row's column
MAX_LOCATION = 500


class InvalidHashError(UsageError, code="invalid_hash", http_status=422):
    """A hash a platform sent is not one: wrong length, not lower-case hex, or flat."""


@dataclass(frozen=True)
class UploadHashes:
    """What a platform may send instead of the file: lower-case hex, checked here."""

    sha256: str
    pdq: str | None = None
    video_md5: str | None = None
    vpdq: str | None = None  # ours (comma-separated frames) or python-threatexchange's
    chromaprint: str | None = None  # raw items, hex of little-endian uint32

    def __post_init__(self) -> None:
        if not SHA256_RE.match(self.sha256):
            raise InvalidHashError("sha256 must be 64 lower-case hex characters")
        if self.pdq is not None:
            if not PDQ_RE.match(self.pdq):
                raise InvalidHashError("pdq must be 64 lower-case hex characters (256 bits)")
            if gate("pdq", self.pdq, None) is Gate.FLAT:
                raise InvalidHashError(
                    "the pdq hash is flat (a blank or uniform picture): it would match "
                    "unrelated media",
                    hint="leave pdq out for such a picture; the sha256 is still matched",
                )
        if self.video_md5 is not None and not MD5_RE.match(self.video_md5):
            raise InvalidHashError("video_md5 must be 32 lower-case hex characters")
        try:  # the canonical forms (frozen: set through object.__setattr__)
            if self.vpdq is not None:
                object.__setattr__(self, "vpdq", media_signals.parse_vpdq(self.vpdq))
            if self.chromaprint is not None:
                cp = media_signals.parse_chromaprint(self.chromaprint)
                object.__setattr__(self, "chromaprint", cp)
        except UsageError as e:
            raise InvalidHashError(e.message, hint=e.hint) from e

    def fingerprints(self) -> dict[str, str]:
        out = {"pdq": self.pdq, "vpdq": self.vpdq, "chromaprint": self.chromaprint}
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class UploadCheck:
    action: str  # label | remove | restrict | review | none
    sha256: str
    checked: tuple[str, ...]
    case_number: str | None = None
    applied: str | None = None
    label_text: str | None = None
    automated_decision: bool = False
    repeated: bool = False
    action_id: str | None = None
    uploader_appeal_url: str | None = None
    uploader_appeal_token: str | None = None
    bank_match: dict[str, Any] | None = None
    received: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "case_number": self.case_number,
            "applied": self.applied,
            "label_text": self.label_text,
            "automated_decision": self.automated_decision,
            "repeated": self.repeated,
            "action_id": self.action_id,
            "uploader_appeal_url": self.uploader_appeal_url,
            "uploader_appeal_token": self.uploader_appeal_token,
            "bank_match": self.bank_match,
            "received": list(self.received),
            "sha256": self.sha256,
            "checked": list(self.checked),
        }


def check_place(content_url: str | None, location: str | None) -> tuple[str | None, str | None]:
    """The optional address of the upload and where it appears, checked (400)."""
    url = (content_url or "").strip() or None
    loc = (location or "").strip() or None
    if url is not None:
        if len(url) > MAX_URL:
            raise UsageError(f"content_url is limited to {MAX_URL} characters")
        if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
            raise UsageError("content_url must be an http:// or https:// address")
    if loc is not None and len(loc) > MAX_LOCATION:
        raise UsageError(f"location is limited to {MAX_LOCATION} characters")
    for name, value in (("content_url", url), ("location", loc)):
        if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise UsageError(f"{name} contains control characters")
    return url, loc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _file_hashes(inst: Instance, path: Path) -> tuple[str, dict[str, str], str | None, str | None]:
    """(sha256, fingerprints, md5, mime) of an upload: the type sniffed from the bytes
    and refused when unknown or over the limits; an image that cannot be decoded is
    refused (422) rather than answered "nothing matched"."""
    media = inspect_upload(inst, path)
    prints: dict[str, str] = {}
    if media.kind is MediaKind.IMAGE:
        check_decodes(path)
        prints = media_prints(inst, path, media.kind)
    elif media.kind in (MediaKind.AUDIO, MediaKind.VIDEO):
        # audio: Chromaprint of the opening; video: vPDQ at one frame a second (a query's
        # rate, python-threatexchange's default) and its soundtrack's Chromaprint
        prints = media_prints(inst, path, media.kind)
    # and a video's MD5 of its bytes (python-threatexchange's video_md5)
    md5 = exchange_match.file_md5(path) if media.kind is MediaKind.VIDEO else None
    return media.sha256, prints, md5, media.mime


def check_file(
    inst: Instance,
    cases: CaseService,
    path: Path,
    *,
    content_url: str | None = None,
    location: str | None = None,
    base_url: str | None = None,
    now: dt.datetime | None = None,
) -> UploadCheck:
    """Fingerprint an uploaded file and check it (see the module's docstring)."""
    url, loc = check_place(content_url, location)
    sha256, prints, md5, mime = _file_hashes(inst, path)
    return _check(inst, cases, sha256, prints, md5, mime, url, loc, base_url, now)


def check_hashes(
    inst: Instance,
    cases: CaseService,
    hashes: UploadHashes,
    *,
    content_url: str | None = None,
    location: str | None = None,
    base_url: str | None = None,
    now: dt.datetime | None = None,
) -> UploadCheck:
    """Check an upload the platform hashed itself: nothing of the media but its hashes."""
    url, loc = check_place(content_url, location)
    return _check(
        inst,
        cases,
        hashes.sha256,
        hashes.fingerprints(),
        hashes.video_md5,
        None,
        url,
        loc,
        base_url,
        now,
    )


def _check(
    inst: Instance,
    cases: CaseService,
    sha256: str,
    prints: Mapping[str, str],
    md5: str | None,
    mime: str | None,
    content_url: str | None,
    location: str | None,
    base_url: str | None,
    now: dt.datetime | None,
) -> UploadCheck:
    now = now or _now()
    checked = ("sha256", *sorted(prints), *(("video_md5",) if md5 else ()))
    bank = cases.check_upload(
        sha256,
        now=now,
        fingerprints=prints,
        content_url=content_url,
        location=location,
        base_url=base_url,
    )
    match = (
        {
            "kind": bank.kind,
            "alg": bank.alg if bank.kind == "near" else None,
            "distance": bank.distance,
            "confirmed_case": bank.matched_case,
        }
        if bank.action is not BankAction.IGNORE
        else None
    )
    if bank.action is BankAction.LABEL and bank.applied is not None:
        text = None
        if bank.applied is Outcome.LABEL and bank.rule_id and bank.matched_case:
            policy = cases.policy
            text = label_text(policy.rule(bank.rule_id), policy, bank.matched_case)
        return UploadCheck(
            bank.applied.value,
            sha256,
            checked,
            case_number=bank.matched_case,
            applied=bank.applied.value,
            label_text=text,
            automated_decision=True,
            repeated=bank.repeated,
            action_id=bank.action_id,
            uploader_appeal_url=bank.uploader_appeal_url,
            uploader_appeal_token=bank.uploader_token,
            bank_match=match,
        )
    case_number = bank.receipt.case_number if bank.receipt is not None else None
    received = exchange_match.check_upload(
        inst,
        cases,
        sha256=sha256,
        fingerprints=prints,
        md5=md5,
        content_url=content_url,
        location=location,
        mime=mime,
        now=now,
    )
    opened = tuple(
        {
            "source": h["source"],
            "collection": h["collection"],
            "signal_type": h["signal_type"],
            "distance": h["distance"],
            "log_index": h["log_index"],
        }
        for h in received.opened
    )
    case_number = case_number or received.case_number
    return UploadCheck(
        "review" if case_number else "none",
        sha256,
        checked,
        case_number=case_number,
        bank_match=match,
        received=opened,
    )
