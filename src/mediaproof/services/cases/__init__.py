"""The case workflow as use cases: report, review, act, appeal, record, report on it.

Joins the pure rules in ``mediaproof.cases`` with the repositories in ``storage/sql``
(``repos_cases``, ``repos_case_outbox``, ``repos_case_report``); this package builds no
query and no table row itself. Every state change is one transaction guarded by the
case's version column (``transition``), so two reviewers deciding at once get one
decision and one :class:`~mediaproof.errors.ConflictError`. Log events are emitted after
the transaction commits, so the log never records something that was rolled back.

Personal data (reporter name, e-mail, signature) stays in the notices table: statements
of reasons, events, webhooks and reports are built from opaque ids, digests and reviewed
text from which the case's reporters' names and addresses are scrubbed.

Callers use :class:`CaseService` (``service``), a facade over one part per
responsibility: ``intake``, ``review``, ``appeals``, ``bank``, ``reporting`` and
``deliveries``, sharing ``core`` (settings, tokens, staging), ``transition`` (the step
every state change takes) and ``finalize`` (what a final decision sets off). The one
module that goes over the network is ``webhook_http`` (under the address rule of
``webhook_targets``); ``mail_smtp`` is the e-mail adapter, ``media_index`` the
fingerprint index that joins notices and matches the bank, ``intake_form`` a notice as it
arrives over HTTP (upload analysed), and ``runtime`` the service as an entry point builds
it from an instance (with the outbox worker). Those last three import
``services.instance`` and are not re-exported here (``instance`` imports
``media_index``).
"""

from mediaproof.services.cases.core import _safe_token
from mediaproof.services.cases.results import (
    AppealResult,
    BankResult,
    CaseDetail,
    DecisionResult,
    DeliveryStats,
    Mail,
    Mailer,
    MediaCaseIndex,
    NoticeSummary,
    Receipt,
    ReporterStatus,
    Sender,
    UploaderStatus,
    WebhookSender,
)
from mediaproof.services.cases.service import CaseService
from mediaproof.services.cases.webhook_http import HttpWebhookSender

__all__ = [
    "AppealResult",
    "BankResult",
    "CaseDetail",
    "CaseService",
    "DecisionResult",
    "DeliveryStats",
    "HttpWebhookSender",
    "Mail",
    "Mailer",
    "MediaCaseIndex",
    "NoticeSummary",
    "Receipt",
    "ReporterStatus",
    "Sender",
    "UploaderStatus",
    "WebhookSender",
    "_safe_token",  # tests make tokens the way the service does
]
