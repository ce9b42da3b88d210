"""The case workflow's JSON: what reporters, reviewers and admins are shown.

Every answer is built field by field from the service's views: the reporter's name,
e-mail address and signature are in none of them, and a field added to a view is not
published until it is named here. Reporters never see which staff member decided.

Each model's field list is that allow-list, written out on purpose: ``copied`` fills a
model from a view by the names the model declares and reads nothing else. That the
names repeat those of the records in cases/models.py and the rows of
storage/sql/repos_cases.py is deliberate (``duplicates`` pairs them): deriving a model
from a record would publish whatever the record gains.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from mediaproof.api.params import VersionField
from mediaproof.api.schemas.common import copied, iso, iso_or_none
from mediaproof.cases.models import (
    AppealOutcome,
    AppealView,
    CaseState,
    CaseView,
    DecisionStatus,
    DecisionView,
    NoticeCategory,
    Outcome,
    Party,
    Relationship,
    SourceType,
)
from mediaproof.cases.policy import PolicyDocument, PolicyRule
from mediaproof.services.candidates import Candidate
from mediaproof.services.cases import (
    AppealResult,
    CaseDetail,
    DecisionResult,
    NoticeSummary,
    Receipt,
    ReporterStatus,
)

# --- requests --------------------------------------------------------------------------


class DecisionIn(BaseModel):
    outcome: Outcome
    rule_id: str = Field(max_length=50)
    explanation: str = Field(max_length=5000)
    version: VersionField | None = Field(
        default=None, description="the case version you reviewed; a newer one answers 409"
    )


class AppealIn(BaseModel):
    token: str = Field(max_length=200, description="status token or uploader appeal token")
    grounds: str = Field(max_length=5000)


class AppealDecisionIn(BaseModel):
    outcome: AppealOutcome
    explanation: str = Field(max_length=5000)
    new_outcome: Outcome | None = None
    rule_id: str | None = Field(default=None, max_length=50)


class EndpointIn(BaseModel):
    platform: str = Field(min_length=1, max_length=255, description="host name, or * for all")
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=500)


class CandidateIn(BaseModel):
    username: str = Field(max_length=64)


# --- reporters -------------------------------------------------------------------------


class ReceiptOut(BaseModel):
    """The acknowledgement of a notice; ``status_token`` is shown this once."""

    case_number: str
    notice_id: str
    status_token: str = Field(description="the reporter's own secret: keep it")
    status_url: str
    received_at: str
    priority: int = Field(description="0 is most urgent")
    due_at: str
    clock: str = Field(description="why this due time, in words")
    joined_existing_case: bool

    @classmethod
    def of(cls, r: Receipt, base_url: str) -> ReceiptOut:
        return copied(
            cls,
            r,
            status_url=f"{base_url}/status/{r.status_token}",
            received_at=iso(r.received_at),
            priority=r.triage.priority,
            due_at=iso(r.triage.due_at),
            clock=r.triage.clock,
        )


class ReporterAppealOut(BaseModel):
    """An appeal as a reporter sees it: the outcome, not which staff member decided."""

    id: int
    public_id: str
    case_id: int
    decision_id: int
    party: Party
    grounds: str
    filed_at: str
    outcome: AppealOutcome | None
    explanation: str | None
    decided_at: str | None

    @classmethod
    def of(cls, a: AppealView) -> Self:
        return copied(cls, a, filed_at=iso(a.filed_at), decided_at=iso_or_none(a.decided_at))


class ReporterStatusOut(BaseModel):
    """What a status token shows: this reporter's own notice and the case's outcome."""

    case_number: str
    state: CaseState
    notice_id: str
    notice_status: str
    category: NoticeCategory
    received_at: str
    due_at: str
    statements: list[str] = Field(description="statements of reasons, oldest first")
    appeals: list[ReporterAppealOut] = Field(description="this reporter's own appeals")
    appealable: bool
    appeal_until: str | None = Field(
        default=None, description="the last day to appeal (YYYY-MM-DD), while appealable"
    )
    not_appealable: str | None = Field(
        default=None,
        description="why this reporter cannot appeal the decision (e.g. already appealed it)",
    )

    @classmethod
    def of(cls, st: ReporterStatus) -> ReporterStatusOut:
        return copied(
            cls,
            st,
            appeal_until=st.appeal_until.isoformat() if st.appeal_until else None,
            received_at=iso(st.received_at),
            due_at=iso(st.due_at),
            statements=list(st.statements),
            appeals=[ReporterAppealOut.of(a) for a in st.appeals],
        )


class AppealFiledOut(BaseModel):
    appeal_id: str
    party: Party
    filed_at: str


class PolicyRuleOut(BaseModel):
    id: str
    title: str
    text: str
    categories: list[NoticeCategory]
    outcomes: list[Outcome]
    ground: str = Field(description="incompatible (terms) or illegal (law)")
    legal_ground: str
    sor_category: str
    keywords: list[str]

    @classmethod
    def of(cls, r: PolicyRule) -> PolicyRuleOut:
        return copied(
            cls,
            r,
            categories=sorted(r.categories),
            outcomes=sorted(r.outcomes),
            keywords=list(r.keywords),
        )


class PolicyOut(BaseModel):
    """The published review policy."""

    version: str
    title: str
    url: str
    rules: list[PolicyRuleOut]
    second_review_for: list[Outcome]
    sla_hours: dict[NoticeCategory, int]
    verified_candidate_hours: int
    appeal_window_days: int
    restrict_days: int | None
    territorial_scope: list[str]

    @classmethod
    def of(cls, p: PolicyDocument) -> PolicyOut:
        return copied(
            cls,
            p,
            rules=[PolicyRuleOut.of(r) for r in p.rules],
            second_review_for=sorted(p.second_review_for),
            sla_hours=dict(p.sla_hours),
            territorial_scope=list(p.territorial_scope),
        )


# --- reviewers -------------------------------------------------------------------------


class CaseOut(BaseModel):
    """A case as a reviewer sees it (no reporter contact details)."""

    id: int
    public_id: str
    number: str
    state: CaseState
    category: NoticeCategory
    priority: int
    due_at: str
    media_sha256: str | None
    content_url: str | None
    platform: str | None
    version: int
    notice_count: int
    created_at: str
    sources: list[SourceType]
    time_left_s: int = Field(description="seconds to the due time; negative when overdue")

    @classmethod
    def of(cls, c: CaseView, now: dt.datetime) -> CaseOut:
        return copied(
            cls,
            c,
            due_at=iso(c.due_at),
            created_at=iso(c.created_at),
            sources=list(c.sources),
            time_left_s=round((c.due_at - now).total_seconds()),
        )


class QueueOut(BaseModel):
    cases: list[CaseOut]
    appealed: list[CaseOut]


class NoticeSummaryOut(BaseModel):
    """A notice as a reviewer sees it: no name, e-mail or signature."""

    id: str
    category: NoticeCategory
    source: SourceType
    relationship: Relationship
    explanation: str
    location: str | None
    content_url: str | None
    media_sha256: str | None
    received_at: str
    status: str
    media_kept: bool
    analysis_state: Literal["done", "pending", "failed"] | None = Field(
        default=None,
        description="the analysis of the notice's media: its report is on the case "
        "(done), none yet (pending: video and long audio are analysed in the background), "
        "or it failed (analysis_error says why; the file stays for reviewers); null "
        "without media",
    )
    analysis_error: str | None = Field(
        default=None,
        description="why the analysis failed, for a reviewer (no claim about the content)",
    )
    analysis_error_code: str | None = Field(
        default=None, description="a short code: analysis_timeout, analysis_crashed, job_lost, ..."
    )

    @classmethod
    def of(cls, n: NoticeSummary) -> NoticeSummaryOut:
        return copied(cls, n, received_at=iso(n.received_at))


class CaseDecisionOut(BaseModel):
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
    created_at: str
    final_at: str | None

    @classmethod
    def of(cls, d: DecisionView) -> CaseDecisionOut:
        return copied(cls, d, created_at=iso(d.created_at), final_at=iso_or_none(d.final_at))


class AppealOut(ReporterAppealOut):
    """An appeal as staff see it: with the reviewer who decided it."""

    reviewer: str | None


class ActionOut(BaseModel):
    id: str
    action: str
    ground: str
    automated: bool
    at: str


class StatementOut(BaseModel):
    puid: str
    record: dict[str, Any] | None = Field(
        description="the DSA Transparency Database statement (cases/sor.py builds it)"
    )
    human: str | None


class CaseDetailOut(BaseModel):
    case: CaseOut
    notices: list[NoticeSummaryOut]
    decisions: list[CaseDecisionOut]
    appeals: list[AppealOut]
    actions: list[ActionOut]
    statements: list[StatementOut]
    analysis: dict[str, Any] | None = Field(description="the newest notice's verify report")

    @classmethod
    def of(cls, d: CaseDetail, now: dt.datetime) -> CaseDetailOut:
        return cls(
            case=CaseOut.of(d.case, now),
            notices=[NoticeSummaryOut.of(n) for n in d.notices],
            decisions=[CaseDecisionOut.of(x) for x in d.decisions],
            appeals=[AppealOut.of(a) for a in d.appeals],
            actions=[ActionOut.model_validate(a) for a in d.actions],
            statements=[StatementOut.model_validate(s) for s in d.statements],
            analysis=d.analysis,
        )


class DecisionResultOut(BaseModel):
    case: CaseOut
    decision: CaseDecisionOut
    action_ids: list[str]
    statement_puid: str | None
    uploader_token: str | None = Field(
        description="for the operator to hand to the uploader when no platform endpoint exists"
    )
    uploader_appeal_url: str | None

    @classmethod
    def of(cls, r: DecisionResult, now: dt.datetime) -> DecisionResultOut:
        return copied(
            cls,
            r,
            case=CaseOut.of(r.case, now),
            decision=CaseDecisionOut.of(r.decision),
            action_ids=list(r.action_ids),
        )


class AppealResultOut(BaseModel):
    case: CaseOut
    appeal: AppealOut
    restore_action_id: str | None
    new_decision: CaseDecisionOut | None
    uploader_token: str | None = Field(
        default=None,
        description="a reversal of 'no action' into an action with no platform endpoint: "
        "for the operator to hand to the uploader",
    )
    uploader_appeal_url: str | None = None

    @classmethod
    def of(cls, r: AppealResult, now: dt.datetime) -> AppealResultOut:
        return copied(
            cls,
            r,
            case=CaseOut.of(r.case, now),
            appeal=AppealOut.of(r.appeal),
            new_decision=None if r.new_decision is None else CaseDecisionOut.of(r.new_decision),
        )


# --- exports and admins --------------------------------------------------------------


class StatementBatchOut(BaseModel):
    """One body for ``POST /api/v2/statements`` of the DSA Transparency Database."""

    statements: list[dict[str, Any]]


class EndpointOut(BaseModel):
    """A webhook endpoint, never its secret."""

    platform: str
    url: str
    active: bool


class DeadLetterOut(BaseModel):
    delivery_id: str
    event: str
    attempts: int
    last_error: str | None
    created_at: str


class DeliveryRetryOut(BaseModel):
    delivery_id: str
    status: str


class CandidateOut(BaseModel):
    username: str
    approved_by: str
    approved_at: str

    @classmethod
    def of(cls, c: Candidate) -> CandidateOut:
        return cls(username=c.username, approved_by=c.approved_by, approved_at=iso(c.approved_at))


class CandidateRevokedOut(BaseModel):
    username: str
    verified: bool


def _notice_fields(good_faith: dict[str, Any], content_url: str) -> dict[str, Any]:
    return {
        "category": {"type": "string", "enum": [c.value for c in NoticeCategory]},
        "explanation": {
            "type": "string",
            "maxLength": 5000,
            "description": "why the content is deceptive or unlawful (10 characters or more)",
        },
        "reporter_name": {"type": "string"},
        "reporter_email": {"type": "string", "format": "email"},
        "relationship": {
            "type": "string",
            "enum": [r.value for r in Relationship],
            "default": Relationship.THIRD_PARTY.value,
        },
        "good_faith": good_faith,
        "signature": {"type": "string", "description": "the reporter's typed full name"},
        "content_url": {"type": "string", "description": content_url},
        "location": {
            "type": "string",
            "description": "where the content appears (needed with content_url)",
        },
    }


_SIGNED = ["category", "explanation", "reporter_name", "reporter_email", "good_faith", "signature"]
# POST /api/v1/notices reads its body itself (it streams the media to disk), so the
# document is written here; services/cases/intake_form.py reads these fields
NOTICE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "NoticeIn",
                    "type": "object",
                    "properties": _notice_fields(
                        {"type": "boolean", "description": "the good-faith statement"},
                        "the content's address (http or https)",
                    ),
                    "required": [*_SIGNED, "content_url", "location"],
                    "maxProperties": 64,
                }
            },
            "multipart/form-data": {
                "schema": {
                    "title": "NoticeForm",
                    "type": "object",
                    "properties": {
                        **_notice_fields(
                            {
                                "type": "string",
                                "description": "the good-faith statement: 1, true, on or yes",
                            },
                            "the content's address (http or https): this, the file or both",
                        ),
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "the media itself (optional)",
                        },
                    },
                    "required": _SIGNED,
                }
            },
        },
    }
}
