"""The published review policy: a versioned document, plus triage (priority and due time).

The policy is data (JSON), so an operator publishes exactly what reviewers apply, and every
decision names the version it was taken under. ``DEFAULT_POLICY`` is the built-in starting
point; ``PolicyDocument.from_dict`` reads an operator's own file. See docs/workflow.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mediaproof.cases.errors import ReviewRuleError
from mediaproof.cases.models import NoticeCategory, Outcome, SourceType, Triage
from mediaproof.errors import ConfigError

# TAKE IT DOWN Act: remove a non-consensual intimate depiction within 48 hours of a valid
# request. A policy may shorten this clock, never lengthen it.
NCII_MAX_HOURS = 48


@dataclass(frozen=True)
class PolicyRule:
    id: str
    title: str
    text: str  # the rule as published
    categories: frozenset[NoticeCategory]
    outcomes: frozenset[Outcome]  # outcomes a reviewer may choose under this rule
    ground: str  # "incompatible" (terms) or "illegal" (law)
    legal_ground: str  # the law or terms clause relied on, for the SoR
    sor_category: str  # DSA STATEMENT_CATEGORY_*
    keywords: tuple[str, ...] = ()  # DSA KEYWORD_*


@dataclass(frozen=True)
class PolicyDocument:
    version: str
    title: str
    url: str  # where the policy is published (decision_ground_reference_url)
    rules: tuple[PolicyRule, ...]
    second_review_for: frozenset[Outcome]
    sla_hours: Mapping[NoticeCategory, int]
    verified_candidate_hours: int
    appeal_window_days: int
    restrict_days: int | None  # how long a restriction lasts (None: until reviewed again)
    territorial_scope: tuple[str, ...]

    def rule(self, rule_id: str) -> PolicyRule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise ReviewRuleError(f"policy {self.version} has no rule {rule_id!r}")

    def check_outcome(self, rule_id: str, outcome: Outcome) -> PolicyRule:
        r = self.rule(rule_id)
        if outcome not in r.outcomes:
            allowed = ", ".join(sorted(o.value for o in r.outcomes))
            raise ReviewRuleError(
                f"rule {rule_id} of policy {self.version} allows {allowed}, not {outcome.value}"
            )
        return r

    @property
    def appeal_window(self) -> dt.timedelta:
        return dt.timedelta(days=self.appeal_window_days)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PolicyDocument:
        try:
            rules = tuple(
                PolicyRule(
                    id=str(r["id"]),
                    title=str(r["title"]),
                    text=str(r["text"]),
                    categories=frozenset(NoticeCategory(c) for c in r["categories"]),
                    outcomes=frozenset(Outcome(o) for o in r["outcomes"]),
                    ground=str(r.get("ground", "incompatible")),
                    legal_ground=str(r["legal_ground"]),
                    sor_category=str(r["sor_category"]),
                    keywords=tuple(r.get("keywords", ())),
                )
                for r in d["rules"]
            )
            review = d.get("review", {})
            triage = d.get("triage", {})
            doc = cls(
                version=str(d["version"]),
                title=str(d.get("title", "Review policy")),
                url=str(d["url"]),
                rules=rules,
                second_review_for=frozenset(
                    Outcome(o) for o in review.get("second_review_for", ["remove"])
                ),
                sla_hours={
                    NoticeCategory(k): int(v) for k, v in triage.get("sla_hours", {}).items()
                },
                verified_candidate_hours=int(triage.get("verified_candidate_hours", 12)),
                appeal_window_days=int(d.get("appeal_window_days", 183)),
                restrict_days=d.get("restrict_days"),
                territorial_scope=tuple(d.get("territorial_scope", ())),
            )
        except (KeyError, ValueError, TypeError) as e:
            raise ConfigError(f"the review policy document is not valid: {e!r}") from e
        doc.validate()
        return doc

    def validate(self) -> None:
        if not self.rules:
            raise ConfigError("a review policy needs at least one rule")
        if len({r.id for r in self.rules}) != len(self.rules):
            raise ConfigError("rule ids in a review policy must be unique")
        for r in self.rules:
            if r.ground not in ("incompatible", "illegal"):
                raise ConfigError(f"rule {r.id}: ground must be 'incompatible' or 'illegal'")
        if self.appeal_window_days < 183:
            raise ConfigError("DSA Art. 20 requires an appeal window of at least six months")
        covered = {c for r in self.rules for c in r.categories}
        if missing := set(NoticeCategory) - covered:
            names = ", ".join(sorted(c.value for c in missing))
            raise ConfigError(f"no rule covers the categories: {names}")

    def rules_for(self, category: NoticeCategory) -> list[PolicyRule]:
        return [r for r in self.rules if category in r.categories]


def triage(
    policy: PolicyDocument,
    category: NoticeCategory,
    source: SourceType,
    received_at: dt.datetime,
) -> Triage:
    """Priority (0 most urgent) and due time for a notice.

    The tightest applicable clock wins: the category's SLA, the verified-candidate SLA,
    and for non-consensual intimate deepfakes the statutory 48 hours, which no policy
    setting can extend.
    """
    hours = policy.sla_hours.get(category, 72)
    clock = f"policy {policy.version}: {category.value} within {hours} h"
    if source is SourceType.VERIFIED_CANDIDATE and policy.verified_candidate_hours < hours:
        hours = policy.verified_candidate_hours
        clock = f"policy {policy.version}: verified candidate within {hours} h"
    if category is NoticeCategory.NON_CONSENSUAL_INTIMATE_DEEPFAKE and hours >= NCII_MAX_HOURS:
        hours = NCII_MAX_HOURS
        clock = "TAKE IT DOWN Act: removal within 48 h of a valid request"
    priority = 0 if hours <= 12 else 1 if hours <= 24 else 2 if hours <= 48 else 3
    if source is SourceType.VERIFIED_CANDIDATE:
        priority = max(0, priority - 1)  # candidates report with priority within any clock
    return Triage(priority=priority, due_at=received_at + dt.timedelta(hours=hours), clock=clock)


DEFAULT_POLICY_DICT: dict[str, Any] = {
    "version": "2026-11-01",
    "title": "mediaproof review policy for deceptive synthetic media",
    "url": "https://example.org/policy/deceptive-media/2026-11-01",
    "appeal_window_days": 183,
    "restrict_days": 30,
    "territorial_scope": [],
    "review": {"second_review_for": ["remove"]},
    "triage": {
        "verified_candidate_hours": 12,
        "sla_hours": {
            "non_consensual_intimate_deepfake": 24,
            "false_voting_information": 12,
            "deepfake_of_candidate": 24,
            "impersonation": 48,
            "other": 72,
        },
    },
    "rules": [
        {
            "id": "DM-1",
            "title": "Deceptive synthetic media of candidates and officials",
            "text": "Realistic synthetic or manipulated media that falsely shows a candidate or "
            "official saying or doing something, shared without a clear disclosure, is "
            "labelled; where it is likely to deceive voters about a material fact it is "
            "removed or its distribution restricted.",
            "categories": ["deepfake_of_candidate", "impersonation", "other"],
            "outcomes": ["label", "restrict", "remove", "no_action"],
            "ground": "incompatible",
            "legal_ground": "Terms of service, section 4.1: deceptive synthetic media",
            "sor_category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
            "keywords": ["KEYWORD_MISINFORMATION_DISINFORMATION"],
        },
        {
            "id": "DM-2",
            "title": "False information about when, where or how to vote",
            "text": "Media giving false information about voting times, places, methods or "
            "eligibility is removed; borderline cases are labelled with official sources.",
            "categories": ["false_voting_information"],
            "outcomes": ["label", "remove", "no_action"],
            "ground": "incompatible",
            "legal_ground": "Terms of service, section 4.2: voter suppression",
            "sor_category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
            "keywords": ["KEYWORD_MISINFORMATION_DISINFORMATION"],
        },
        {
            "id": "DM-3",
            "title": "Non-consensual intimate deepfakes",
            "text": "Intimate imagery of a real, identifiable person made or altered without "
            "their consent is removed, with identical copies, within 48 hours.",
            "categories": ["non_consensual_intimate_deepfake"],
            "outcomes": ["remove", "no_action"],
            "ground": "illegal",
            "legal_ground": "TAKE IT DOWN Act (47 U.S.C. 223(h)); national law on "
            "non-consensual intimate images",
            "sor_category": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
            "keywords": ["KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE"],
        },
        {
            "id": "DM-4",
            "title": "Impersonation of a person or an election office",
            "text": "Media that impersonates a real person or an election authority in a way "
            "likely to deceive is labelled or removed.",
            "categories": ["impersonation"],
            "outcomes": ["label", "remove", "no_action"],
            "ground": "incompatible",
            "legal_ground": "Terms of service, section 4.3: impersonation",
            "sor_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            "keywords": ["KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING"],
        },
    ],
}

DEFAULT_POLICY = PolicyDocument.from_dict(DEFAULT_POLICY_DICT)
