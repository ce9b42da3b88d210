"""A notice as it arrives over HTTP: form fields, an optional upload, and who is asking.

The upload is analysed with the verify pipeline so the case carries the evidence a
reviewer needs; the file itself is not kept (its digest and report are). Whether the
reporter is a verified candidate comes from the account, never from the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mediaproof.accounts.models import Principal
from mediaproof.cases.errors import NoticeInvalidError
from mediaproof.cases.models import NoticeCategory, NoticeInput, Relationship
from mediaproof.services import candidates
from mediaproof.services.instance import Instance
from mediaproof.services.public_verify import inspect_upload
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


def notice_input(
    inst: Instance,
    fields: Mapping[str, object],
    who: Principal,
    upload: Path | None = None,
) -> NoticeInput:
    """Build (and validate) the notice; runs the verify pipeline on ``upload``."""

    def text(name: str) -> str:
        v = fields.get(name)
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else ""
        return str(v).strip()

    sha256 = mime = None
    analysis = None
    if upload is not None:
        inspect_upload(inst, upload)  # refuses types mediaproof cannot analyse
        report = verify_file(inst, upload).as_dict()
        sha256, mime, analysis = report["media"]["sha256"], report["media"]["type"], report
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
        analysis=analysis,
    )
    inp.validate()
    return inp
