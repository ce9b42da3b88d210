"""What a notice, a case, a decision, an appeal and an action are (never database rows)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mediaproof.cases.errors import NoticeInvalidError


class NoticeCategory(StrEnum):
    DEEPFAKE_OF_CANDIDATE = "deepfake_of_candidate"
    FALSE_VOTING_INFORMATION = "false_voting_information"  # when, where or how to vote
    IMPERSONATION = "impersonation"
    NON_CONSENSUAL_INTIMATE_DEEPFAKE = "non_consensual_intimate_deepfake"
    OTHER = "other"


class Relationship(StrEnum):
    """How the reporter relates to the person depicted (TAKE IT DOWN asks for this)."""

    SELF = "self"  # the depicted person
    AUTHORISED_REPRESENTATIVE = "authorised_representative"  # e.g. campaign staff, lawyer
    THIRD_PARTY = "third_party"  # a voter, a fact-checker


class SourceType(StrEnum):
    """Where a case came from; maps onto the DSA source_type."""

    NOTICE = "notice"  # Art. 16 notice from anyone
    VERIFIED_CANDIDATE = "verified_candidate"  # a verified candidate's notice, with priority
    TRUSTED_FLAGGER = "trusted_flagger"
    AUTOMATED = "automated"  # our own initiative, e.g. a near match against the bank


class CaseState(StrEnum):
    OPEN = "open"  # awaiting a reviewer
    AWAITING_SECOND_REVIEW = "awaiting_second_review"  # a removal waits for a 2nd reviewer
    DECIDED = "decided"
    APPEALED = "appealed"
    RESOLVED = "resolved"  # the appeal was decided; internal redress is exhausted
    WITHDRAWN = "withdrawn"  # every notice was withdrawn before a decision


class Outcome(StrEnum):
    """What a reviewer may decide (the published policy names which apply per rule)."""

    LABEL = "label"  # label as manipulated / AI-generated
    REMOVE = "remove"
    RESTRICT = "restrict"  # reduced distribution / interaction restricted
    NO_ACTION = "no_action"


class ActionType(StrEnum):
    LABEL = "label"
    REMOVE = "remove"
    RESTRICT = "restrict"
    RESTORE = "restore"  # undo an earlier action after a reversal


class Party(StrEnum):
    UPLOADER = "uploader"
    REPORTER = "reporter"


class AppealOutcome(StrEnum):
    UPHELD = "upheld"  # the original decision stands
    REVERSED = "reversed"


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a second reviewer
    FINAL = "final"
    REJECTED = "rejected"  # the second reviewer did not confirm it


OUTCOME_ACTION: dict[Outcome, ActionType | None] = {
    Outcome.LABEL: ActionType.LABEL,
    Outcome.REMOVE: ActionType.REMOVE,
    Outcome.RESTRICT: ActionType.RESTRICT,
    Outcome.NO_ACTION: None,
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class NoticeInput:
    """A notice as filed. ``validate`` checks the TAKE IT DOWN and DSA Art. 16 elements."""

    category: NoticeCategory
    explanation: str
    reporter_name: str
    reporter_email: str
    relationship: Relationship
    good_faith: bool  # "I believe in good faith that..." was affirmed
    signature: str  # electronic signature: the typed full name
    media_sha256: str | None = None
    content_url: str | None = None
    location: str | None = None  # where it appears (platform, page, timestamp in a video)
    fingerprints: dict[str, str] = field(default_factory=dict)  # alg -> hex value
    mime: str | None = None  # sniffed from the bytes when the media was uploaded
    verified_candidate: bool = False  # set by the service from the account, never the form
    account_id: int | None = None  # the signed-in account filing it (lists its own notices)
    analysis: dict[str, Any] | None = None  # the verify report of the uploaded media
    trusted_flagger: bool = False
    automated: bool = False

    def validate(self) -> None:
        missing: list[str] = []
        if not (self.media_sha256 or self.content_url):
            missing.append("the content (a media digest or a URL)")
        if self.content_url and not self.location:
            missing.append("where the content appears")
        if len(self.explanation.strip()) < 10:
            missing.append("an explanation of why the content is deceptive or unlawful")
        if not self.automated:
            if not self.reporter_name.strip():
                missing.append("your name")
            if not _EMAIL.match(self.reporter_email.strip()):
                missing.append("a valid e-mail address")
            if not self.good_faith:
                missing.append("the good-faith statement")
            if not self.signature.strip():
                missing.append("your signature (type your full name)")
        if missing:
            raise NoticeInvalidError("the notice is missing " + "; ".join(missing))
        if self.media_sha256 is not None and not _SHA256.match(self.media_sha256):
            raise NoticeInvalidError("media_sha256 must be 64 lowercase hex characters")
        if self.content_url and not self.content_url.startswith(("http://", "https://")):
            raise NoticeInvalidError("the content URL must start with http:// or https://")
        if len(self.explanation) > 5000:
            raise NoticeInvalidError("the explanation is limited to 5000 characters")

    @property
    def source(self) -> SourceType:
        if self.automated:
            return SourceType.AUTOMATED
        if self.verified_candidate:
            return SourceType.VERIFIED_CANDIDATE
        if self.trusted_flagger:
            return SourceType.TRUSTED_FLAGGER
        return SourceType.NOTICE


@dataclass(frozen=True)
class Triage:
    priority: int  # 0 is most urgent
    due_at: dt.datetime
    clock: str  # why this due time, in words ("TAKE IT DOWN 48-hour removal clock")


@dataclass(frozen=True)
class CaseView:
    """What a reviewer sees of a case (no reporter contact details)."""

    id: int
    public_id: str
    number: str
    state: CaseState
    category: NoticeCategory
    priority: int
    due_at: dt.datetime
    media_sha256: str | None
    content_url: str | None
    platform: str | None
    version: int
    notice_count: int
    created_at: dt.datetime
    sources: tuple[SourceType, ...] = ()


@dataclass(frozen=True)
class DecisionView:
    id: int
    case_id: int
    outcome: Outcome
    rule_id: str
    policy_version: str
    explanation: str
    reviewer: str
    second_reviewer: str | None
    status: DecisionStatus
    automated: bool
    created_at: dt.datetime
    final_at: dt.datetime | None


@dataclass(frozen=True)
class AppealView:
    id: int
    public_id: str
    case_id: int
    decision_id: int
    party: Party
    grounds: str
    filed_at: dt.datetime
    outcome: AppealOutcome | None
    reviewer: str | None
    explanation: str | None
    decided_at: dt.datetime | None
