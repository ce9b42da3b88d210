"""A notice as it arrives over HTTP: form fields, an optional upload, and who is asking.

The upload is analysed with the verify pipeline so the case carries the evidence a
reviewer needs; the file itself is not kept (its digest and report are). Video and long
audio are analysed after the notice is filed, as the verify page does (a reporter should
not wait minutes for a receipt). Whether the reporter is a verified candidate comes from
the account, never from the form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.accounts.models import Principal
from mediaproof.cases.errors import NoticeInvalidError
from mediaproof.cases.models import NoticeCategory, NoticeInput, Relationship
from mediaproof.errors import MediaproofError
from mediaproof.fingerprint.pdq import fingerprint_image
from mediaproof.media.sniff import MediaKind
from mediaproof.services import candidates
from mediaproof.services.cases import CaseService
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
TRUE = frozenset({"1", "true", "on", "yes"})


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
        if media.kind is MediaKind.IMAGE:
            prints = _image_prints(inst, upload)
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


def _image_prints(inst: Instance, path: Path) -> dict[str, str]:
    """PDQ of an image, so near copies join the case and the bank can match them later.
    A low-quality hash (flat images) matches too much to be used automatically."""
    try:
        fp = fingerprint_image(path, inst.settings.limits, dihedral=False)
    except MediaproofError:
        return {}  # the analysis reports what is wrong with the file
    return {"pdq": fp.pdq.hex} if fp.pdq.usable else {}


def analyse_into(inst: Instance, cases: CaseService, notice_id: str, path: Path) -> dict[str, Any]:
    """The background half for video and long audio: analyse, attach to the notice."""
    report = verify_file(inst, path).as_dict()
    cases.attach_analysis(notice_id, report)
    return {"notice_id": notice_id, "label": report["assessment"]["label"]}
