"""Statements of reasons: one for people (DSA Art. 17) and one for the DSA Transparency
Database (statement-of-reasons API v2 JSON), with a validator for the v2 field rules.

Field rules follow the Transparency Database's own validation (digital-services-act/
transparency-database, GroupedSubmissionsService multi_rules and the v2 API docs): at least
one restriction; enums; text limits (500 / 2000 / 5000); conditional fields by
decision_ground; dates as YYYY-MM-DD; puid ``[A-Za-z0-9_-]{1,500}``. Statements never carry
personal data: the service passes only opaque ids, digests and reviewed texts scrubbed by
:func:`scrub_personal_data` (the case's reporters' names and signatures, e-mail addresses,
phone numbers, and people named with a title or as a source).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mediaproof.cases.models import ActionType, Outcome, SourceType
from mediaproof.cases.policy import PolicyDocument, PolicyRule

EMAIL_REMOVED, PHONE_REMOVED, NAME_REMOVED = "[e-mail removed]", "[phone removed]", "[name removed]"
_EMAIL = re.compile(r"[^@\s<>\"'(),;:]+@[^@\s<>\"'(),;:]+\.[A-Za-z]{2,}")
# a run of digit groups: +CC / 00CC / (area) prefixes, separators space . - / ; the
# lookarounds keep it off parts of words, hex digests, case numbers (C-2026-000123),
# decimals and clock times (the checks in _is_phone do the rest)
_PHONE = re.compile(
    r"(?<![\w+\-/.:])(?:\+|\b00)?(?:\(\d{1,5}\)[\s.\-]?)?\d{1,15}"
    r"(?:(?:[ .\-/]|\s?\(\d{1,4}\)\s?)\d{1,10}){0,7}"
    r"(?![\w\-/:+]|[.,]\d)"
)
_NANP = re.compile(r"\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}")
_DATE_LIKE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}")
# people named with a title, or as the source of something ("reported by Jane Roe")
_WORD = r"[A-Z][a-z\u00df-\u00ff'\-]+"
_NAME = _WORD + r"(?:\s+(?:(?:van|von|de|da|del|di|le|la)\s+)?" + _WORD + r"){0,2}"
_TITLES = r"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Sr|Sra)"
_TITLED = re.compile(rf"\b(?P<lead>{_TITLES}\.?\s+)" + _NAME)
_SOURCED = re.compile(
    r"\b(?P<lead>(?i:(?:reported|filed|flagged|sent|forwarded|submitted|posted|uploaded|"
    r"recorded|filmed|shared|signed) by\s+|(?:according to|on behalf of|contacted|"
    r"phoned|called|e-?mailed|spoke (?:to|with)|interviewed|witness)\s+))"
    rf"(?!{_TITLES}\b)" + _NAME
)
# "Jane Roe told us": a capitalised name before a verb of saying (not "The Candidate said")
_SAYS = re.compile(
    r"\b(?!(?:The|This|That|A|An|Our|Their|His|Her|Its|My|Your|We|They|He|She|It|I)\b)"
    + _WORD
    + r"\s+"
    + r"(?!(?:Office|Ministry|Commission|Committee|Campaign|Party|Council|Court|Police|"
    + r"Department|Board|Agency|News|Times|Post|Press|University|Government|Team)\b)"
    + _WORD
    + r"(?=\s+(?:told|said|says|confirmed|wrote|writes|claimed|claims|stated)\b)"
)


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or _DATE_LIKE.fullmatch(candidate):
        return False
    international = candidate.startswith(("+", "00", "("))
    trunk = candidate[0] == "0"  # national numbers: 030 1234567, 06 12 34 56 78
    return international or trunk or _NANP.fullmatch(candidate) is not None


def _scrub_phones(text: str) -> str:
    return _PHONE.sub(lambda m: PHONE_REMOVED if _is_phone(m.group(0)) else m.group(0), text)


def scrub_personal_data(text: str, known: Iterable[str] = ()) -> str:
    """``text`` without personal data of people other than the subject: the case's known
    identities (``known``: reporters' names, signatures and addresses, each whole and, for
    names, each part of three letters or more), any e-mail address, phone numbers in
    international and common national formats, and people named with a title or as a
    source. Dates, times, case numbers, digests, counts and rule ids stay."""
    out = _EMAIL.sub(EMAIL_REMOVED, text)
    names = sorted({k.strip() for k in known if k and len(k.strip()) >= 3}, key=len, reverse=True)
    for k in names:
        out = re.sub(rf"(?<!\w){re.escape(k)}(?!\w)", NAME_REMOVED, out, flags=re.IGNORECASE)
    parts = {
        p for k in names if "@" not in k for p in re.split(r"[\s,]+", k) if len(p) >= 3
    } - _NOT_NAMES
    for p in sorted(parts, key=len, reverse=True):
        # a lone surname: matched as a capitalised word only, so "Rose" goes, "rose" stays
        cap = p[:1].upper() + p[1:]
        out = re.sub(rf"(?<!\w){re.escape(cap)}(?!\w)", NAME_REMOVED, out)
    out = _scrub_phones(out)
    out = _TITLED.sub(lambda m: m.group("lead") + NAME_REMOVED, out)
    out = _SOURCED.sub(lambda m: m.group("lead") + NAME_REMOVED, out)
    out = _SAYS.sub(NAME_REMOVED, out)
    return out


# words a signature or a name field may hold that are not names
_NOT_NAMES = frozenset(
    {"the", "and", "for", "von", "van", "der", "del", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."}
)

DECISION_VISIBILITIES = frozenset(
    {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "DECISION_VISIBILITY_OTHER",
    }
)
DECISION_MONETARIES = frozenset(
    {"DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"}
)
DECISION_PROVISIONS = frozenset(
    {
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    }
)
DECISION_ACCOUNTS = frozenset({"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"})
ACCOUNT_TYPES = frozenset({"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"})
DECISION_GROUNDS = frozenset(
    {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
)
CONTENT_TYPES = frozenset(
    {
        "CONTENT_TYPE_APP",
        "CONTENT_TYPE_AUDIO",
        "CONTENT_TYPE_IMAGE",
        "CONTENT_TYPE_PRODUCT",
        "CONTENT_TYPE_SYNTHETIC_MEDIA",
        "CONTENT_TYPE_TEXT",
        "CONTENT_TYPE_VIDEO",
        "CONTENT_TYPE_OTHER",
    }
)
# v2 categories (since 2025-07-01), as listed in the v2 API documentation.
STATEMENT_CATEGORIES = frozenset(
    "STATEMENT_CATEGORY_" + c
    for c in (
        "ANIMAL_WELFARE",
        "CONSUMER_INFORMATION",
        "CYBER_VIOLENCE",
        "CYBER_VIOLENCE_AGAINST_WOMEN",
        "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        "ILLEGAL_OR_HARMFUL_SPEECH",
        "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "NOT_SPECIFIED_NOTICE",
        "OTHER_VIOLATION_TC",
        "PROTECTION_OF_MINORS",
        "RISK_FOR_PUBLIC_SECURITY",
        "SCAMS_AND_FRAUD",
        "SELF_HARM",
        "UNSAFE_AND_PROHIBITED_PRODUCTS",
        "VIOLENCE",
    )
)
# v2 keywords seen in the v2 documentation and client libraries (category_specification).
KEYWORDS = frozenset(
    "KEYWORD_" + k
    for k in [
        "ADULT_SEXUAL_MATERIAL",
        "AGE_SPECIFIC_RESTRICTIONS",
        "AGE_SPECIFIC_RESTRICTIONS_MINORS",
        "ANIMAL_HARM",
        "BIOMETRIC_DATA_BREACH",
        "BULLYING_AGAINST_GIRLS",
        "CHILD_SEXUAL_ABUSE_MATERIAL",
        "CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
        "CONTENT_PROMOTING_EATING_DISORDERS",
        "COORDINATED_HARM",
        "COPYRIGHT_INFRINGEMENT",
        "CYBER_BULLYING_INTIMIDATION",
        "CYBER_HARASSMENT",
        "CYBER_HARASSMENT_AGAINST_WOMEN",
        "CYBER_INCITEMENT",
        "CYBER_STALKING",
        "CYBER_STALKING_AGAINST_WOMEN",
        "DATA_FALSIFICATION",
        "DEFAMATION",
        "DESIGN_INFRINGEMENT",
        "DISCRIMINATION",
        "ENVIRONMENTAL_DAMAGE",
        "FEMALE_GENDERED_DISINFORMATION",
        "GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
        "GEOGRAPHICAL_REQUIREMENTS",
        "GOODS_SERVICES_NOT_PERMITTED",
        "GROOMING_SEXUAL_ENTICEMENT_MINORS",
        "HATE_SPEECH",
        "HIDDEN_ADVERTISEMENT",
        "HUMAN_EXPLOITATION",
        "HUMAN_TRAFFICKING",
        "ILLEGAL_ORGANIZATIONS",
        "IMPERSONATION_ACCOUNT_HIJACKING",
        "INAUTHENTIC_ACCOUNTS",
        "INAUTHENTIC_LISTINGS",
        "INAUTHENTIC_USER_REVIEWS",
        "INCITEMENT_AGAINST_WOMEN",
        "INCITEMENT_VIOLENCE_HATRED",
        "INSUFFICIENT_INFORMATION_ON_TRADERS",
        "LANGUAGE_REQUIREMENTS",
        "MISINFORMATION_DISINFORMATION",
        "MISLEADING_INFO_CONSUMER_RIGHTS",
        "MISLEADING_INFO_GOODS_SERVICES",
        "MISSING_PROCESSING_GROUND",
        "NON_CONSENSUAL_IMAGE_SHARING",
        "NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
        "NON_CONSENSUAL_MATERIAL_DEEPFAKE",
        "NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
        "NONCOMPLIANCE_PRICING",
        "NUDITY",
        "OTHER_NUDITY_SEXUAL_ACTIVITY",
        "OTHER_SEXUAL_HARASSMENT",
        "PATENT_INFRINGEMENT",
        "PHISHING",
        "PROHIBITED_PRODUCTS",
        "PYRAMID_SCHEMES",
        "RIGHT_TO_BE_FORGOTTEN",
        "RISK_PUBLIC_HEALTH",
        "SELF_MUTILATION",
        "SUICIDE",
        "TERRORIST_CONTENT",
        "TRADE_SECRET_INFRINGEMENT",
        "TRADEMARK_INFRINGEMENT",
        "UNLAWFUL_SALE_ANIMALS",
        "VIOLATION_EU_LAW",
        "VIOLATION_NATIONAL_LAW",
        "OTHER",
    ]
)
SOURCE_TYPES = frozenset(
    {
        "SOURCE_ARTICLE_16",
        "SOURCE_TRUSTED_FLAGGER",
        "SOURCE_TYPE_OTHER_NOTIFICATION",
        "SOURCE_VOLUNTARY",
    }
)
AUTOMATED_DETECTIONS = frozenset({"Yes", "No"})
AUTOMATED_DECISIONS = frozenset(
    {"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"}
)
INCOMPATIBLE_CONTENT_ILLEGALS = frozenset({"Yes", "No"})
# EU member states plus the EEA countries the database accepts.
TERRITORIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)

MAX_PER_BATCH = 100  # POST /api/v2/statements takes at most 100 statements per call

_PUID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANG = re.compile(r"^[A-Z]{2}$")

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


# --- validation --------------------------------------------------------------------


@dataclass(frozen=True)
class SorProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def validate_record(rec: Mapping[str, Any]) -> list[SorProblem]:
    """Every v2 rule that applies to ``rec``; an empty list means the database would
    accept it as far as these rules go."""
    p: list[SorProblem] = []

    def bad(field: str, message: str) -> None:
        p.append(SorProblem(field, message))

    def present(key: str) -> bool:
        v = rec.get(key)
        return v is not None and v != "" and v != []

    def text(key: str, limit: int, required: bool) -> None:
        v = rec.get(key)
        if v is None or v == "":
            if required:
                bad(key, "is required")
            return
        if not isinstance(v, str):
            bad(key, "must be a string")
        elif len(v) > limit:
            bad(key, f"is limited to {limit} characters")

    def one_of(key: str, allowed: frozenset[str], required: bool) -> None:
        v = rec.get(key)
        if v is None or v == "":
            if required:
                bad(key, "is required")
            return
        if v not in allowed:
            bad(key, f"{v!r} is not an allowed value")

    def many_of(key: str, allowed: frozenset[str], required: bool) -> list[str]:
        v = rec.get(key)
        if v is None or v == []:
            if required:
                bad(key, "is required (an array with at least one value)")
            return []
        if not isinstance(v, list):
            bad(key, "must be an array")
            return []
        for item in v:
            if item not in allowed:
                bad(key, f"{item!r} is not an allowed value")
        return [str(x) for x in v]

    def date(key: str, required: bool, lo: str | None, hi: str = "2038-01-01") -> None:
        v = rec.get(key)
        if v is None or v == "":
            if required:
                bad(key, "is required")
            return
        if not isinstance(v, str) or not _DATE.match(v):
            bad(key, "must be a date YYYY-MM-DD")
            return
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            bad(key, "is not a real date")
            return
        if lo and v < lo:
            bad(key, f"must be on or after {lo}")
        if v > hi:
            bad(key, f"must be on or before {hi}")

    # restrictions: at least one of the four
    if not any(
        present(k)
        for k in (
            "decision_visibility",
            "decision_monetary",
            "decision_provision",
            "decision_account",
        )
    ):
        bad(
            "decision_visibility",
            "at least one restriction (visibility, monetary, provision or account) is required",
        )
    vis = many_of("decision_visibility", DECISION_VISIBILITIES, required=False)
    if "DECISION_VISIBILITY_OTHER" in vis:
        text("decision_visibility_other", 500, required=True)
    one_of("decision_monetary", DECISION_MONETARIES, required=False)
    if rec.get("decision_monetary") == "DECISION_MONETARY_OTHER":
        text("decision_monetary_other", 500, required=True)
    one_of("decision_provision", DECISION_PROVISIONS, required=False)
    one_of("decision_account", DECISION_ACCOUNTS, required=False)
    one_of("account_type", ACCOUNT_TYPES, required=False)

    one_of("decision_ground", DECISION_GROUNDS, required=True)
    text("decision_ground_reference_url", 500, required=False)
    url = rec.get("decision_ground_reference_url")
    if isinstance(url, str) and url and not url.startswith(("http://", "https://")):
        bad("decision_ground_reference_url", "must be a URL")
    ground = rec.get("decision_ground")
    if ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        text("illegal_content_legal_ground", 500, required=True)
        text("illegal_content_explanation", 2000, required=True)
    elif ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        text("incompatible_content_ground", 500, required=True)
        text("incompatible_content_explanation", 2000, required=True)
        one_of("incompatible_content_illegal", INCOMPATIBLE_CONTENT_ILLEGALS, required=False)

    kinds = many_of("content_type", CONTENT_TYPES, required=True)
    if "CONTENT_TYPE_OTHER" in kinds:
        text("content_type_other", 500, required=True)
    one_of("category", STATEMENT_CATEGORIES, required=True)
    many_of("category_addition", STATEMENT_CATEGORIES, required=False)
    keywords = many_of("category_specification", KEYWORDS, required=False)
    if "KEYWORD_OTHER" in keywords:
        text("category_specification_other", 500, required=True)
    many_of("territorial_scope", TERRITORIES, required=False)
    lang = rec.get("content_language")
    if lang is not None and (not isinstance(lang, str) or not _LANG.match(lang)):
        bad("content_language", "must be a two-letter ISO 639-1 code in capitals")

    date("content_date", required=True, lo="2000-01-01")
    date("application_date", required=True, lo="2020-01-01")
    for k in (
        "end_date_account_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_visibility_restriction",
    ):
        date(k, required=False, lo=None)

    text("decision_facts", 5000, required=True)
    one_of("source_type", SOURCE_TYPES, required=True)
    text("source_identity", 500, required=False)
    one_of("automated_detection", AUTOMATED_DETECTIONS, required=True)
    one_of("automated_decision", AUTOMATED_DECISIONS, required=True)
    puid = rec.get("puid")
    if puid is None or puid == "":
        bad("puid", "is required")
    elif not isinstance(puid, str) or not _PUID.match(puid):
        bad("puid", "must be 1-500 characters of A-Z, a-z, 0-9, '-' or '_'")
    return p


def batches(records: Sequence[Mapping[str, Any]]) -> list[dict[str, list[dict[str, Any]]]]:
    """Bodies for ``POST /api/v2/statements``: ``{"statements": [...]}``, at most 100 each."""
    return [
        {"statements": [dict(r) for r in records[i : i + MAX_PER_BATCH]]}
        for i in range(0, len(records), MAX_PER_BATCH)
    ]


# --- the statement for people --------------------------------------------------------

_ACTION_WORDS = {
    ActionType.REMOVE: "The content was removed.",
    ActionType.LABEL: "The content stays available with a label saying it is manipulated or "
    "AI-generated.",
    ActionType.RESTRICT: "The content stays available, but its distribution is reduced and "
    "interaction with it is restricted.",
}


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
) -> str:
    """Plain-text statement of reasons for the uploader and the reporter (Art. 17(3))."""
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
        f"- Internal complaint: appeal free of charge until {appeal_until.isoformat()} with "
        "your status or appeal token; a different reviewer will decide."
    )
    bodies = list(out_of_court) or [
        "a certified out-of-court dispute settlement body (DSA Art. 21)"
    ]
    lines.append(f"- Out-of-court settlement: {'; '.join(bodies)}.")
    lines.append("- Court: you may bring the matter before a competent court at any time.")
    return "\n".join(lines)
