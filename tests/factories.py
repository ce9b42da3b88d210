"""Factories for what tests build again and again: notices, cases and assets.

Each returns a complete, valid object with plain defaults; a test names only the fields
its assertions are about. Presets (mappings of fields) stack before the keyword
overrides, so a module can keep its own notice, e.g.::

    CLIP = {"media_sha256": SHA, "mime": "video/mp4"}
    notice_input(CLIP, explanation="...", reporter=VOTER)

The values are made up: example.org-style addresses and names, never real people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mediaproof.cases.models import NoticeCategory, NoticeInput, Outcome, Relationship

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaproof.registry.models import AssetRecord
    from mediaproof.services.cases import CaseService, DecisionResult, Receipt


@dataclass(frozen=True)
class Reporter:
    """Who files a notice: the name (also the typed signature), address and standing."""

    name: str
    email: str
    relationship: Relationship


CANDIDATE = Reporter("Ana Candidata", "ana@campaign.example", Relationship.SELF)
VOTER = Reporter("Bo Voter", "bo@voters.example", Relationship.THIRD_PARTY)

EXPLANATION = "A synthetic clip of the candidate announcing she quits the race."
CONTENT_URL = "https://video.example/watch/123"


def _notice_fields(
    presets: tuple[Mapping[str, Any], ...], reporter: Reporter, fields: Mapping[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "category": NoticeCategory.DEEPFAKE_OF_CANDIDATE,
        "explanation": EXPLANATION,
        "reporter_name": reporter.name,
        "reporter_email": reporter.email,
        "relationship": reporter.relationship,
        "good_faith": True,
        "signature": reporter.name,
        "content_url": CONTENT_URL,
        "location": "video.example",
    }
    for p in presets:
        out.update(p)
    out.update(fields)
    return out


def notice_input(
    *presets: Mapping[str, Any], reporter: Reporter = CANDIDATE, **fields: Any
) -> NoticeInput:
    """A notice as the case service takes it: a deepfake of a candidate, reported by
    ``reporter`` in good faith, about a clip at a URL. Passes ``validate``."""
    return NoticeInput(**_notice_fields(presets, reporter, fields))


def notice_form(
    *presets: Mapping[str, Any], reporter: Reporter = CANDIDATE, **fields: Any
) -> dict[str, Any]:
    """The same notice as the JSON body of ``POST /api/v1/notices``: only the fields a
    reporter fills in, enums as their string values."""
    out = _notice_fields(presets, reporter, fields)
    return {
        k: (v.value if isinstance(v, NoticeCategory | Relationship) else v) for k, v in out.items()
    }


def multipart_fields(form: Mapping[str, Any]) -> dict[str, Any]:
    """A form (``notice_form``) as multipart fields, for uploads and the ``/report``
    page: booleans as ``true`` / ``false``, the rest as they are."""
    return {k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}


@dataclass(frozen=True)
class DecidedCase:
    """A notice filed and decided (and confirmed by a second reviewer when asked)."""

    receipt: Receipt
    decision: DecisionResult

    @property
    def case_number(self) -> str:
        return self.receipt.case_number


def decided_case(
    svc: CaseService,
    notice: NoticeInput,
    *,
    filed_at: dt.datetime,
    outcome: Outcome,
    explanation: str,
    rule_id: str = "DM-1",
    reviewer: str = "alice",
    decided_at: dt.datetime | None = None,
    second_reviewer: str | None = None,
    confirmed_at: dt.datetime | None = None,
) -> DecidedCase:
    """File ``notice``, decide its case, and have ``second_reviewer`` confirm the
    decision when one is named (a removal needs four eyes unless the rule says not)."""
    receipt = svc.file_notice(notice, filed_at)
    decision = svc.decide(
        receipt.case_number,
        reviewer=reviewer,
        outcome=outcome,
        rule_id=rule_id,
        explanation=explanation,
        now=decided_at or filed_at,
    )
    if second_reviewer is not None:
        decision = svc.confirm(
            receipt.case_number,
            reviewer=second_reviewer,
            now=confirmed_at or decided_at or filed_at,
        )
    return DecidedCase(receipt, decision)


def asset_row(s: Session, **fields: Any) -> AssetRecord:
    """An asset row as the registry stores one (unsigned, a tiny PNG by its metadata);
    ``sha256`` must differ between the assets of one database."""
    from mediaproof.storage.sql.repos import AssetRepository

    base: dict[str, Any] = {
        "sha256": "a" * 64,
        "mime": "image/png",
        "size": 1,
        "title": "t",
        "signed": False,
    }
    return AssetRepository(s).add(**(base | fields))
