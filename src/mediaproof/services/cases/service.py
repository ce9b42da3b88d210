"""The case service as callers see it: one object, made of small parts.

:class:`CaseService` is a facade. Each use case lives in the part that owns its
responsibility, and the service forwards to it:

- ``intake`` (:mod:`.intake`): file a notice, the reporter's and uploader's status,
  withdraw, attach a notice's analysis;
- ``review`` (:mod:`.review`): the queues, a case in full, decide, confirm, reject;
- ``appeals`` (:mod:`.appeals`): file and decide appeals;
- ``bank`` (:mod:`.bank`): uploads matched against confirmed media (the bank rules);
- ``reporting`` (:mod:`.reporting`): statements of reasons for the DSA database, the
  transparency report;
- ``webhooks`` and ``mail`` (:mod:`.deliveries`): the webhook and e-mail outboxes.

The parts share one :class:`~.core.CaseContext` (database, policy, event sink, tokens,
the staging of events and e-mail, and the transition step of :mod:`.transition`), and
a final decision's consequences are one :class:`~.finalize.Finalizer` that review,
appeals and the bank all use.

Why delegation and not mixins: each part names what it depends on in its constructor
(appeals need the finalizer and the webhook outbox; nothing else), so a newcomer can
read one part without the others, and a part can be built alone in a test. Mixins
would share one ``self`` with every attribute of every part. Settings stay readable and
writable on the service (``svc.policy``, ``svc.public_url = ...``): they live on the
context or the part that uses them, so a change is seen everywhere at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from mediaproof.cases import webhooks
from mediaproof.cases.bank import DEFAULT_BANK_RULES, BankRule
from mediaproof.cases.events import EventSink
from mediaproof.cases.policy import DEFAULT_POLICY, PolicyDocument
from mediaproof.services.cases.appeals import Appeals
from mediaproof.services.cases.bank import Bank
from mediaproof.services.cases.core import CaseContext
from mediaproof.services.cases.deliveries import MailOutbox, WebhookOutbox
from mediaproof.services.cases.finalize import Finalizer
from mediaproof.services.cases.intake import Intake
from mediaproof.services.cases.reporting import Reporting
from mediaproof.services.cases.results import Mailer, MediaCaseIndex, WebhookSender
from mediaproof.services.cases.review import Review
from mediaproof.services.cases.webhook_http import HttpWebhookSender
from mediaproof.services.cases.webhook_targets import Network
from mediaproof.storage.sql.engine import Database

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class _Forward(Generic[P, R]):
    """``CaseService.<name>`` is ``<part>.<name>``: the method of the part that owns it."""

    def __init__(self, part: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.part = part
        self.name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Forward[P, R]: ...
    @overload
    def __get__(self, obj: CaseService, objtype: type | None = None) -> Callable[P, R]: ...
    def __get__(
        self, obj: CaseService | None, objtype: type | None = None
    ) -> _Forward[P, R] | Callable[P, R]:
        if obj is None:
            return self
        method: Callable[P, R] = getattr(getattr(obj, self.part), self.name)
        return method


class _Setting(Generic[T]):
    """A setting of the service, kept on the part that uses it (``attr`` there)."""

    def __init__(self, part: str, attr: str | None = None) -> None:
        self.part = part
        self.attr = attr

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = self.attr or name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Setting[T]: ...
    @overload
    def __get__(self, obj: CaseService, objtype: type | None = None) -> T: ...
    def __get__(self, obj: CaseService | None, objtype: type | None = None) -> _Setting[T] | T:
        if obj is None:
            return self
        value: T = getattr(getattr(obj, self.part), str(self.attr))
        return value

    def __set__(self, obj: CaseService, value: T) -> None:
        setattr(getattr(obj, self.part), str(self.attr), value)


class CaseService:
    """The case workflow as use cases: report, review, act, appeal, record, report on it."""

    def __init__(
        self,
        db: Database,
        *,
        sink: EventSink,
        policy: PolicyDocument = DEFAULT_POLICY,
        media_index: MediaCaseIndex | None = None,
        bank: Sequence[BankRule] = DEFAULT_BANK_RULES,
        retry: webhooks.RetryPolicy | None = None,
        sender: WebhookSender | None = None,
        webhook_allow: Sequence[Network] = (),
        webhook_timeout_s: float = 10.0,
        out_of_court: Sequence[str] = (),
        public_url: str | None = None,
        mailer: Mailer | None = None,
        token_key: bytes | None = None,
    ) -> None:
        self.ctx = CaseContext(
            db,
            sink=sink,
            policy=policy,
            media_index=media_index,
            retry=retry or webhooks.RetryPolicy(),
            webhook_timeout_s=webhook_timeout_s,
            out_of_court=out_of_court,
            public_url=public_url,
            mailer=mailer,
            token_key=token_key,
        )
        self.webhooks = WebhookOutbox(
            self.ctx,
            sender if sender is not None else HttpWebhookSender(webhook_allow),
            webhook_allow,
        )
        self.mail = MailOutbox(self.ctx)
        self.finalizer = Finalizer(self.ctx, self.webhooks)
        self.intake = Intake(self.ctx)
        self.review = Review(self.ctx, self.finalizer)
        self.appeals = Appeals(self.ctx, self.finalizer, self.webhooks)
        self.bank = Bank(self.ctx, self.finalizer, self.intake, bank)
        self.reporting = Reporting(self.ctx)

    # --- settings (read and written where the parts see them) -----------------------

    db = _Setting[Database]("ctx")
    sink = _Setting[EventSink]("ctx")
    policy = _Setting[PolicyDocument]("ctx")
    media_index = _Setting[MediaCaseIndex | None]("ctx")
    retry = _Setting[webhooks.RetryPolicy]("ctx")
    webhook_timeout_s = _Setting[float]("ctx")
    out_of_court = _Setting[tuple[str, ...]]("ctx")
    public_url = _Setting[str | None]("ctx")
    mailer = _Setting[Mailer | None]("ctx")
    on_mail = _Setting[Callable[[], None] | None]("ctx")
    token_key = _Setting[bytes | None]("ctx")
    sender = _Setting[WebhookSender]("webhooks")
    webhook_allow = _Setting[tuple[Network, ...]]("webhooks", "allow")
    bank_rules = _Setting[tuple[BankRule, ...]]("bank", "rules")

    # --- shared steps ----------------------------------------------------------------

    base_url = _Forward("ctx", CaseContext.base_url)
    flush_events = _Forward("ctx", CaseContext.flush_events)
    _status_token = _Forward("ctx", CaseContext.status_token)

    # --- reporters and uploaders -----------------------------------------------------

    file_notice = _Forward("intake", Intake.file_notice)
    status = _Forward("intake", Intake.status)
    notices_of_account = _Forward("intake", Intake.notices_of_account)
    uploader_status = _Forward("intake", Intake.uploader_status)
    attach_analysis = _Forward("intake", Intake.attach_analysis)
    withdraw = _Forward("intake", Intake.withdraw)

    # --- reviewers -------------------------------------------------------------------

    queue = _Forward("review", Review.queue)
    appeal_queue = _Forward("review", Review.appeal_queue)
    show = _Forward("review", Review.show)
    decide = _Forward("review", Review.decide)
    confirm = _Forward("review", Review.confirm)
    reject = _Forward("review", Review.reject)

    # --- appeals ---------------------------------------------------------------------

    appeal = _Forward("appeals", Appeals.appeal)
    decide_appeal = _Forward("appeals", Appeals.decide_appeal)
    appeal_automated_restriction = _Forward("appeals", Appeals.appeal_automated_restriction)

    # --- the bank --------------------------------------------------------------------

    check_upload = _Forward("bank", Bank.check_upload)

    # --- statements of reasons and the transparency report ---------------------------

    sor_export = _Forward("reporting", Reporting.sor_export)
    transparency_report = _Forward("reporting", Reporting.transparency_report)

    # --- webhooks and e-mail ---------------------------------------------------------

    register_endpoint = _Forward("webhooks", WebhookOutbox.register_endpoint)
    endpoints = _Forward("webhooks", WebhookOutbox.endpoints)
    deliver_due = _Forward("webhooks", WebhookOutbox.deliver_due)
    dead_letters = _Forward("webhooks", WebhookOutbox.dead_letters)
    retry_dead = _Forward("webhooks", WebhookOutbox.retry_dead)
    send_mail_due = _Forward("mail", MailOutbox.send_mail_due)
    mail_pending = _Forward("mail", MailOutbox.mail_pending)
