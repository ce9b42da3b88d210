"""The DSA Transparency Database's statement-of-reasons API v2: its vocabularies, its
field rules as a validator, and the batches it takes.

Field rules follow the Transparency Database's own validation (digital-services-act/
transparency-database, GroupedSubmissionsService multi_rules and the v2 API docs): at least
one restriction; enums; text limits (500 / 2000 / 5000); conditional fields by
decision_ground; dates as YYYY-MM-DD; puid ``[A-Za-z0-9_-]{1,500}``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
