"""What the case service hands back (results, views a reviewer or reporter sees), and the
small interfaces it is built with (the media index, the mailer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mediaproof.cases import bank as bank_rules
from mediaproof.cases.models import (
    AppealView,
    CaseState,
    CaseView,
    DecisionView,
    NoticeCategory,
    Outcome,
    Relationship,
    SourceType,
    Triage,
)


class MediaCaseIndex(Protocol):
    """Finds the case about the same media by fingerprint (the fingerprint index
    implements this); exact digests are matched here without it."""

    def find_case_by_media(self, sha256: str, fingerprints: Mapping[str, str]) -> int | None: ...


class WebhookSender(Protocol):
    """Posts one signed webhook: ``(url, headers, body, timeout) -> HTTP status``; raises
    :class:`OSError` when nothing answered (the delivery is retried, then dead-lettered).
    :class:`~mediaproof.services.cases.webhook_http.HttpWebhookSender` is the one that
    goes over the network; tests and embedders may pass any callable of this shape."""

    def __call__(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float, /
    ) -> int: ...


Sender = WebhookSender  # the earlier name

# (recipient, subject, text): hands one message to the operator's SMTP server; raises
# when the server could not take it (the message stays in the outbox and is retried)
Mailer = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    at: dt.datetime  # when the change it tells of happened: the outbox's order


@dataclass(frozen=True)
class NoticeMedia:
    """A notice's media as filed: what a later match against received signals names."""

    sha256: str | None
    content_url: str | None
    location: str | None
    mime: str | None


@dataclass(frozen=True)
class Receipt:
    """The acknowledgement a reporter gets at once. ``status_token`` is shown once."""

    case_number: str
    case_id: str  # public id
    notice_id: str  # public id
    status_token: str
    received_at: dt.datetime
    triage: Triage
    joined_existing_case: bool


@dataclass(frozen=True)
class DecisionResult:
    case: CaseView
    decision: DecisionView
    action_ids: tuple[str, ...] = ()
    statement_puid: str | None = None
    uploader_token: str | None = None  # for the operator when no platform endpoint exists
    uploader_appeal_url: str | None = None  # the same, as a link (when an address is known)


@dataclass(frozen=True)
class AppealResult:
    case: CaseView
    appeal: AppealView
    restore_action_id: str | None = None
    new_decision: DecisionView | None = None
    # a reversal of "no action" into an action, with no platform endpoint: the new
    # action's uploader gets their appeal token through the operator (shown once)
    uploader_token: str | None = None
    uploader_appeal_url: str | None = None


@dataclass(frozen=True)
class NoticeSummary:
    """A notice as a reviewer sees it: no name, e-mail or signature."""

    id: str
    category: NoticeCategory
    source: SourceType
    relationship: Relationship
    explanation: str
    location: str | None
    content_url: str | None
    media_sha256: str | None
    received_at: dt.datetime
    status: str
    media_kept: bool = False  # the reported file is in the blob store for reviewers
    # the background analysis of its media: "done", "pending" (no report yet), "failed"
    # (with a reviewer-facing reason and its code), or None (no media)
    analysis_state: str | None = None
    analysis_error: str | None = None
    analysis_error_code: str | None = None


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    notices: tuple[NoticeSummary, ...]
    decisions: tuple[DecisionView, ...]
    appeals: tuple[AppealView, ...]
    actions: tuple[dict[str, Any], ...]
    statements: tuple[dict[str, Any], ...]
    analysis: dict[str, Any] | None = None  # the newest notice's verify report, if any


@dataclass(frozen=True)
class ReporterStatus:
    """What a status token shows: this reporter's own notice and the case's outcome."""

    case_number: str
    state: CaseState
    notice_id: str
    notice_status: str
    category: NoticeCategory
    received_at: dt.datetime
    due_at: dt.datetime
    statements: tuple[str, ...]  # human statements of reasons, oldest first
    appeals: tuple[AppealView, ...]  # this reporter's own
    appealable: bool = False  # a final decision exists that this reporter may still appeal
    appeal_until: dt.date | None = None  # the last day, while appealable
    # why not, when a decision exists but this reporter cannot appeal it (already did)
    not_appealable: str | None = None


@dataclass(frozen=True)
class UploaderStatus:
    """What the uploader's appeal token shows: the action on their content and why."""

    case_number: str
    state: CaseState
    action: str
    action_at: dt.datetime
    statements: tuple[str, ...]
    appeals: tuple[AppealView, ...]  # this uploader's own
    appealable: bool
    appeal_until: dt.date | None = None
    not_appealable: str | None = None


@dataclass
class DeliveryStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BankResult:
    action: bank_rules.BankAction
    matched_case: str | None = None  # case number
    kind: str | None = None
    distance: int | None = None
    receipt: Receipt | None = None  # the review case opened for a near match
    action_id: str | None = None  # the action applied to an exact copy
    applied: Outcome | None = None  # label, or the confirmed outcome where labels don't apply
    alg: str | None = None  # the fingerprint a near match was found with
    rule_id: str | None = None  # the policy rule of the decision applied to an exact copy
    # the uploader's appeal token and link, where no platform endpoint carried them
    uploader_token: str | None = None
    uploader_appeal_url: str | None = None
    repeated: bool = False  # the same item was checked before: that decision stands
