"""Statements of reasons: one for people (DSA Art. 17) and one for the DSA Transparency
Database (statement-of-reasons API v2 JSON), built from :class:`SorFacts`.

Statements never carry personal data: the service passes only opaque ids, digests and
reviewed texts scrubbed by :func:`scrub_personal_data` (``cases.scrub``: the case's
reporters' names and signatures, e-mail addresses, phone numbers, and people named with a
title or as a source). The v2 vocabularies, the validator for its field rules and the
batching live in ``cases.sor_rules``; both are re-exported here, the statement's one
public face.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mediaproof.cases.models import ActionType, Outcome, SourceType
from mediaproof.cases.policy import PolicyDocument, PolicyRule
from mediaproof.cases.scrub import (
    EMAIL_REMOVED,
    NAME_REMOVED,
    PHONE_REMOVED,
    scrub_personal_data,
)
from mediaproof.cases.sor_rules import (
    ACCOUNT_TYPES,
    AUTOMATED_DECISIONS,
    AUTOMATED_DETECTIONS,
    CONTENT_TYPES,
    DECISION_ACCOUNTS,
    DECISION_GROUNDS,
    DECISION_MONETARIES,
    DECISION_PROVISIONS,
    DECISION_VISIBILITIES,
    INCOMPATIBLE_CONTENT_ILLEGALS,
    KEYWORDS,
    MAX_PER_BATCH,
    SOURCE_TYPES,
    STATEMENT_CATEGORIES,
    TERRITORIES,
    SorProblem,
    batches,
    validate_record,
)

__all__ = [
    "ACCOUNT_TYPES",
    "AUTOMATED_DECISIONS",
    "AUTOMATED_DETECTIONS",
    "CONTENT_TYPES",
    "DECISION_ACCOUNTS",
    "DECISION_GROUNDS",
    "DECISION_MONETARIES",
    "DECISION_PROVISIONS",
    "DECISION_VISIBILITIES",
    "EMAIL_REMOVED",
    "INCOMPATIBLE_CONTENT_ILLEGALS",
    "KEYWORDS",
    "MAX_PER_BATCH",
    "NAME_REMOVED",
    "PHONE_REMOVED",
    "SOURCE_TYPES",
    "STATEMENT_CATEGORIES",
    "TERRITORIES",
    "SorFacts",
    "SorProblem",
    "batches",
    "build_record",
    "content_types",
    "human_statement",
    "scrub_personal_data",
    "validate_record",
]

_VISIBILITY_OF: dict[ActionType, str] = {
    ActionType.REMOVE: "DECISION_VISIBILITY_CONTENT_REMOVED",
    ActionType.LABEL: "DECISION_VISIBILITY_CONTENT_LABELLED",
    ActionType.RESTRICT: "DECISION_VISIBILITY_CONTENT_DEMOTED",
}

_SOURCE_OF: dict[SourceType, str] = {
    SourceType.NOTICE: "SOURCE_ARTICLE_16",
    SourceType.VERIFIED_CANDIDATE: "SOURCE_ARTICLE_16",
    SourceType.TRUSTED_FLAGGER: "SOURCE_TRUSTED_FLAGGER",
    SourceType.AUTOMATED: "SOURCE_VOLUNTARY",
}


@dataclass(frozen=True)
class SorFacts:
    """Everything a statement needs, with no personal data in it."""

    puid: str
    action: ActionType  # what was done (never RESTORE: a reversal has no restriction)
    rule: PolicyRule
    policy: PolicyDocument
    explanation: str  # the reviewer's written explanation, already scrubbed
    mime: str | None  # of the media, to pick the content types
    content_date: dt.date
    application_date: dt.date
    source: SourceType
    automated_detection: bool
    automated_decision: str  # one of AUTOMATED_DECISIONS
    case_number: str
    media_sha256: str | None
    end_date: dt.date | None = None
    appeal_note: str | None = None  # set when the statement follows an appeal


def content_types(mime: str | None) -> list[str]:
    kinds = ["CONTENT_TYPE_SYNTHETIC_MEDIA"]
    if mime:
        major = mime.split("/", 1)[0]
        extra = {"image": "CONTENT_TYPE_IMAGE", "video": "CONTENT_TYPE_VIDEO"}.get(major)
        extra = extra or ("CONTENT_TYPE_AUDIO" if major == "audio" else None)
        if extra:
            kinds.append(extra)
    return kinds


def build_record(f: SorFacts) -> dict[str, Any]:
    """The machine statement (DSA Transparency Database API v2 shape)."""
    if f.action is ActionType.RESTORE:
        raise ValueError("a restore lifts a restriction; it has no statement of reasons")
    facts = (
        f"Case {f.case_number}: media reported as {f.rule.title.lower()}"
        + (f" (sha256 {f.media_sha256})" if f.media_sha256 else "")
        + f". Reviewed under rule {f.rule.id} of policy version {f.policy.version}. "
        + f.explanation
    )
    if f.appeal_note:
        facts += " " + f.appeal_note
    rec: dict[str, Any] = {
        "decision_visibility": [_VISIBILITY_OF[f.action]],
        "decision_ground": (
            "DECISION_GROUND_ILLEGAL_CONTENT"
            if f.rule.ground == "illegal"
            else "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        ),
        "decision_ground_reference_url": f.policy.url,
        "content_type": content_types(f.mime),
        "category": f.rule.sor_category,
        "decision_facts": facts[:5000],
        "content_date": f.content_date.isoformat(),
        "application_date": f.application_date.isoformat(),
        "source_type": _SOURCE_OF[f.source],
        "automated_detection": "Yes" if f.automated_detection else "No",
        "automated_decision": f.automated_decision,
        "puid": f.puid,
    }
    if f.rule.keywords:
        rec["category_specification"] = list(f.rule.keywords)
    if f.policy.territorial_scope:
        rec["territorial_scope"] = list(f.policy.territorial_scope)
    if f.end_date is not None:
        rec["end_date_visibility_restriction"] = f.end_date.isoformat()
    if rec["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT":
        rec["illegal_content_legal_ground"] = f.rule.legal_ground[:500]
        rec["illegal_content_explanation"] = f.explanation[:2000]
    else:
        rec["incompatible_content_ground"] = f.rule.legal_ground[:500]
        rec["incompatible_content_explanation"] = f.explanation[:2000]
        rec["incompatible_content_illegal"] = "No"
    return rec


# --- the statement for people --------------------------------------------------------

_ACTION_WORDS = {
    ActionType.REMOVE: "The content was removed.",
    # the label names the rule the content breaks (label_text), never more: a label on
    # false voting information must not call the content AI-generated
    ActionType.LABEL: "The content stays available with a label naming the rule of our "
    "published policy that it breaks.",
    ActionType.RESTRICT: "The content stays available, but its distribution is reduced and "
    "interaction with it is restricted.",
}


def label_text(rule: PolicyRule, policy: PolicyDocument, case_number: str) -> str:
    """The words a platform shows beside an identical copy of media a review found to
    break ``rule``: the rule's own title and where to read it, nothing the decision did
    not say (the rule is the reviewer's finding; "AI" appears only if its title says so)."""
    return (
        f"Identical to media that a review found to break the rule \u201c{rule.title}\u201d "
        f"({rule.id}, policy version {policy.version}: {policy.url}); case {case_number}."
    )


def human_statement(
    f: SorFacts | None,
    *,
    outcome: Outcome,
    case_number: str,
    decided_on: dt.date,
    rule: PolicyRule,
    policy: PolicyDocument,
    explanation: str,
    automated_detection: bool,
    automated_decision: bool,
    appeal_until: dt.date,
    notice_based: bool,
    out_of_court: Iterable[str] = (),
    may_appeal: str | None = None,
) -> str:
    """Plain-text statement of reasons for the uploader and the reporter (Art. 17(3)).
    ``may_appeal`` names who may lodge the internal complaint (:func:`appellants`), so
    the statement promises it to nobody the workflow would refuse."""
    lines = [f"Decision on case {case_number}, {decided_on.isoformat()}", ""]
    if outcome is Outcome.NO_ACTION:
        lines.append("Restriction: none. The content stays available without a label.")
    else:
        lines.append(f"Restriction: {_ACTION_WORDS[ActionType(outcome.value)]}")
        lines.append(
            "Scope: this item and identical copies"
            + (
                f" in {', '.join(policy.territorial_scope)}."
                if policy.territorial_scope
                else " wherever the service is offered."
            )
        )
        if f is not None and f.end_date is not None:
            lines.append(f"Duration: until {f.end_date.isoformat()}.")
        else:
            lines.append("Duration: until the decision is changed on appeal or review.")
    lines.append(
        "Facts: "
        + (
            "the decision followed a notice from a third party. "
            if notice_based
            else "the decision was taken on our own initiative. "
        )
        + explanation
    )
    lines.append(
        "Automated means: "
        + (
            "the content was detected by automated means; "
            if automated_detection
            else "the content was not detected by automated means; "
        )
        + (
            "the decision was taken with automated means."
            if automated_decision
            else "the decision was taken by a human reviewer."
        )
    )
    ground = "the law" if rule.ground == "illegal" else "our terms"
    lines.append(
        f"Ground: {ground}: {rule.legal_ground}; rule {rule.id} “{rule.title}” of the "
        f"published policy version {policy.version} ({policy.url})."
    )
    lines.append("")
    lines.append("Your options for redress:")
    lines.append(
        f"- Internal complaint: {may_appeal or 'the uploader and each reporter'} may "
        f"appeal this decision once, free of charge, until {appeal_until.isoformat()}; a "
        "reviewer who took no part in it will decide."
    )
    bodies = list(out_of_court) or [
        "a certified out-of-court dispute settlement body (DSA Art. 21)"
    ]
    lines.append(f"- Out-of-court settlement: {'; '.join(bodies)}.")
    lines.append("- Court: you may bring the matter before a competent court at any time.")
    return "\n".join(lines)


def appellants(*, outcome: Outcome, copy: bool, on_appeal: bool) -> str:
    """Who may appeal a decision (each once, whatever other parties do): the uploader
    where content was restricted (only the copy's, for the bank's decision on an
    identical copy, which the reporters did not receive), and each reporter, except
    the one whose appeal this decision answers (their internal redress is exhausted)."""
    if copy:
        return "the uploader of this copy (with its appeal token)"
    reporters = (
        "each reporter who did not lodge the appeal this decision answers (with their status token)"
        if on_appeal
        else "each reporter (with their status token)"
    )
    if outcome is Outcome.NO_ACTION:
        return reporters
    return f"the uploader (with the appeal token) and {reporters}"
