"""A notice as it arrives over HTTP: form fields, an optional upload, and who is asking.

The upload is analysed with the verify pipeline so the case carries the evidence a
reviewer needs, and fingerprinted (PDQ, vPDQ, Chromaprint) so near copies join the case
and the bank can match them; the file itself is kept for reviewers when the instance
keeps notice media (``services.notice_media``). Video and long audio are analysed and
fingerprinted after the notice is filed, as the verify page does (a reporter should not
wait minutes for a receipt); the Chromaprint of their opening is taken at once, so a
copy with the same sound joins the case before the frames are hashed. Whether the
reporter is a verified candidate comes from the account, never from the form.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.accounts.models import Principal
from mediaproof.cases.errors import NoticeInvalidError
from mediaproof.cases.models import NoticeCategory, NoticeInput, Relationship
from mediaproof.errors import MediaproofError
from mediaproof.fingerprint.audio import fingerprint_audio
from mediaproof.fingerprint.fingerprints import Fingerprints, fingerprint_file
from mediaproof.matching.media_bank import fingerprint_map
from mediaproof.media.sniff import MediaKind, sniff
from mediaproof.services import candidates
from mediaproof.services.cases.service import CaseService
from mediaproof.services.image_reads import FINGERPRINTS_CACHE_KEY
from mediaproof.services.instance import Instance
from mediaproof.services.public_verify import inspect_upload, runs_as_job
from mediaproof.services.verification import verify_file

FIELDS = (
    "category",
    "explanation",
    "reporter_name",
    "reporter_email",
    "relationship",
    "good_faith",
    "signature",
    "content_url",
    "location",
)
log = logging.getLogger(__name__)
TRUE = frozenset({"1", "true", "on", "yes"})
# audio notices are matched on their opening: every notice the same way, fast at intake
INTAKE_AUDIO_S = 120.0


def _enum(kind: type[NoticeCategory] | type[Relationship], value: str, name: str) -> str:
    allowed = [m.value for m in kind]
    if value not in allowed:
        raise NoticeInvalidError(f"{name} must be one of: {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Intake:
    notice: NoticeInput
    analyse_later: bool = False  # video or long audio: see :func:`analyse_into`


def notice_input(
    inst: Instance,
    fields: Mapping[str, object],
    who: Principal,
    upload: Path | None = None,
) -> Intake:
    """Build and validate the notice, then run the verify pipeline on a quick ``upload``."""

    def text(name: str) -> str:
        v = fields.get(name)
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else ""
        return str(v).strip()

    sha256 = mime = None
    later = False
    prints: dict[str, str] = {}
    if upload is not None:
        media = inspect_upload(inst, upload)  # refuses types mediaproof cannot analyse
        sha256, mime, later = media.sha256, media.mime, runs_as_job(inst, media)
        if not later:
            prints = media_prints(inst, upload, media.kind)
        elif media.kind in (MediaKind.AUDIO, MediaKind.VIDEO):
            # Chromaprint of the opening is quick even for long audio or a video's
            # soundtrack, so a notice about the same recording joins the case at once
            # (a video's frames are hashed by the background job and added then)
            prints = sound_prints(upload, audio_s=INTAKE_AUDIO_S)
    user = who.user
    inp = NoticeInput(
        category=NoticeCategory(_enum(NoticeCategory, text("category"), "category")),
        explanation=text("explanation"),
        reporter_name=text("reporter_name"),
        reporter_email=text("reporter_email"),
        relationship=Relationship(
            _enum(Relationship, text("relationship") or "third_party", "relationship")
        ),
        good_faith=text("good_faith").lower() in TRUE,
        signature=text("signature"),
        media_sha256=sha256,
        content_url=text("content_url") or None,
        location=text("location") or None,
        mime=mime,
        verified_candidate=user is not None and candidates.is_verified(inst, user.id),
        account_id=user.id if user is not None else None,
        fingerprints=prints,
    )
    inp.validate()  # before the analysis: a notice with a missing element fails fast
    if upload is not None and not later:
        inp = dataclasses.replace(inp, analysis=verify_file(inst, upload).as_dict())
    return Intake(inp, later)


def sound_prints(path: Path, *, audio_s: float = INTAKE_AUDIO_S) -> dict[str, str]:
    """Chromaprint of the first ``audio_s`` seconds of a recording or a video's
    soundtrack; empty for silence, no sound track or an unreadable file."""
    try:
        fp = fingerprint_audio(path, max_seconds=audio_s)
    except MediaproofError:
        return {}  # the analysis reports what is wrong with the file (or a missing tool)
    return _as_map(Fingerprints(MediaKind.AUDIO, "", audio=fp))


def _as_map(fps: Fingerprints) -> dict[str, str]:
    """The ``alg -> text`` map without the file digest (matched by SHA-256 already)."""
    out = fingerprint_map(fps, dihedral=False)
    out.pop("md5", None)
    return out


def media_prints(
    inst: Instance,
    path: Path,
    kind: MediaKind,
    *,
    audio_s: float = INTAKE_AUDIO_S,
    known: Fingerprints | None = None,
) -> dict[str, str]:
    """PDQ of an image, vPDQ frames (and the soundtrack's Chromaprint) of a video,
    Chromaprint of the first ``audio_s`` seconds of audio, as the ``alg -> text`` map
    cases and the bank match on. Unusable hashes (flat images, silence) are left out:
    they would match too much. ``known``: the file's fingerprints read already (the
    parts of a split job), used instead of decoding it again."""
    if kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
        return {}
    if kind is MediaKind.AUDIO:
        return sound_prints(path, audio_s=audio_s)
    if known is not None and known.kind is kind:
        return _as_map(known)
    try:
        fps = fingerprint_file(path, kind=kind, limits=inst.settings.limits)
    except MediaproofError:
        return {}  # the analysis reports what is wrong with the file (or a missing tool)
    return _as_map(fps)


def analyse_into(
    inst: Instance,
    cases: CaseService,
    notice_id: str,
    path: Path,
    cache: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The background half for video and long audio: analyse and fingerprint, attach
    both to the notice, and match a video's frames (vPDQ) against the signals received
    from exchange peers (its sound was matched at intake). ``cache``: what the parts of
    a long video's job read (services.job_parts): the report and the fingerprints are
    those of the whole file, without decoding its frames again."""
    from mediaproof.services import exchange_match  # it imports the case service

    report = verify_file(inst, path, cache=dict(cache) if cache else None).as_dict()
    with path.open("rb") as f:
        kind = sniff(f.read(4096)).kind
    known = (cache or {}).get(FINGERPRINTS_CACHE_KEY)
    prints = media_prints(
        inst, path, kind, known=known if isinstance(known, Fingerprints) else None
    )
    media = cases.attach_analysis(notice_id, report, fingerprints=prints)
    if prints.get("vpdq") and media.sha256:
        try:
            exchange_match.check_upload(
                inst,
                cases,
                sha256=media.sha256,
                fingerprints={"vpdq": prints["vpdq"]},
                content_url=media.content_url,
                location=media.location,
                mime=media.mime,
            )
        except MediaproofError as e:  # the analysis is attached; the match is a lead
            log.warning("exchange: matching a video's frames against received signals: %s", e)
    return {"notice_id": notice_id, "label": report["assessment"]["label"]}
