"""A detector's score on an upload opens a review case, only where the operator says so
(``MEDIAPROOF_DETECTORS_REVIEW_CASE_AT_LEAST``, per detector id; off by default).

The platform analyses an upload with verify (``verification.verify_file``, detectors
enabled) and hands the report here. When an enabled detector's score reaches the
operator's threshold for it, an automated notice is filed (source ``automated``, like a
near match against the bank): the case waits in the review queue with the verify report
attached, for a person to decide. Nothing is decided, removed or labelled here; without
the setting, nothing happens at all. A notice someone filed is always a case already:
its analysis shows every detector's score on the case page, and no rule is needed.
"""

from __future__ import annotations

import datetime as dt

from mediaproof.analysis.report import AnalysisReport
from mediaproof.cases.models import NoticeCategory, NoticeInput, Relationship
from mediaproof.config import DetectorSettings
from mediaproof.policy.detector_rule import reaching
from mediaproof.services.cases.results import Receipt
from mediaproof.services.cases.service import CaseService


def review_upload(
    cases: CaseService,
    settings: DetectorSettings,
    report: AnalysisReport,
    *,
    sha256: str,
    now: dt.datetime,
    content_url: str | None = None,
    location: str | None = None,
    fingerprints: dict[str, str] | None = None,
) -> Receipt | None:
    """Open a review case for this upload if the operator's rule says so; else None."""
    hit = reaching(report.evidence, settings.review_case_at_least)
    if hit is None:
        return None
    explanation = " ".join([
        f"Automated: the detector {hit.detector_id} scored {hit.probability:.2f} on this "
        f"upload, at or above the {hit.threshold:.2f} this instance's operator set for "
        "opening a review case. That is a detector's opinion that it is consistent with AI "
        "generation, a lead and not proof: nothing was removed or labelled, a reviewer "
        "decides.",
        *hit.context(),
    ])
    return cases.file_notice(
        NoticeInput(
            category=NoticeCategory.OTHER,
            explanation=explanation,
            reporter_name="",
            reporter_email="",
            relationship=Relationship.THIRD_PARTY,
            good_faith=True,
            signature="",
            media_sha256=sha256,
            content_url=content_url,
            location=location,
            fingerprints=dict(fingerprints or {}),
            mime=report.media.mime,
            analysis=report.as_dict(),
            automated=True,
        ),
        now,
    )
