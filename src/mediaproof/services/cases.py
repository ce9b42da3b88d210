"""The case workflow as use cases: report, review, act, appeal, record, report on it.

Joins the pure rules in ``mediaproof.cases`` with the tables in ``storage/sql``. Every
state change is one transaction guarded by the case's version column, so two reviewers
deciding at once get one decision and one :class:`ConflictError`. Log events are emitted
after the transaction commits, so the log never records something that was rolled back.

Personal data (reporter name, e-mail, signature) stays in the notices table: statements
of reasons, events, webhooks and reports are built from opaque ids, digests and reviewed
text from which the case's reporters' names and addresses are scrubbed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.cases import bank as bank_rules
from mediaproof.cases import events as ev
from mediaproof.cases import report as rpt
from mediaproof.cases import webhooks
from mediaproof.cases.errors import CaseError, ReviewRuleError, TokenError
from mediaproof.cases.events import EventSink, StagingEventSink
from mediaproof.cases.machine import (
    Step,
    automatic_outcome_allowed,
    check_appeal_reviewer,
    check_appeal_window,
    check_appellant,
    check_not_party,
    check_second_reviewer,
    decision_step,
    may_withdraw_case,
    next_state,
)
from mediaproof.cases.models import (
    OUTCOME_ACTION,
    ActionType,
    AppealOutcome,
    AppealView,
    CaseState,
    CaseView,
    DecisionStatus,
    DecisionView,
    NoticeCategory,
    NoticeInput,
    Outcome,
    Party,
    Relationship,
    SourceType,
    Triage,
)
from mediaproof.cases.policy import DEFAULT_POLICY, PolicyDocument, PolicyRule, triage
from mediaproof.cases.sor import (
    SorFacts,
    build_record,
    human_statement,
    scrub_personal_data,
    validate_record,
)
from mediaproof.errors import ConflictError, NotFoundError, UsageError
from mediaproof.services.case_webhook_targets import Network, check_url, guarded_sender
from mediaproof.storage.sql.account_tables import UserRow
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_cases import (
    CaseRepository,
    appeal_view,
    aware,
    case_view,
    decision_view,
)
from mediaproof.storage.sql.tables_cases import (
    ActionRow,
    AppealRow,
    BankRow,
    CaseRow,
    DecisionRow,
    EndpointRow,
    EventRow,
    MailOutboxRow,
    NoticeRow,
    OutboxRow,
    StatementRow,
)


class MediaCaseIndex(Protocol):
    """Finds the case about the same media by fingerprint (the fingerprint index
    implements this); exact digests are matched here without it."""

    def find_case_by_media(self, sha256: str, fingerprints: Mapping[str, str]) -> int | None: ...


# (url, headers, body, timeout) -> HTTP status; raises OSError when nothing answered
Sender = Callable[[str, Mapping[str, str], bytes, float], int]
# (recipient, subject, text): hands one message to the operator's SMTP server; raises
# when the server could not take it (the message stays in the outbox and is retried)
Mailer = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    at: dt.datetime  # when the change it tells of happened: the outbox's order


_log = logging.getLogger(__name__)


def _utc(t: dt.datetime) -> dt.datetime:
    """Times are stored in UTC (SQLite keeps no zone), so callers must say which zone."""
    if t.tzinfo is None:
        raise UsageError("times given to the case service need a time zone")
    return t.astimezone(dt.UTC)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _safe_token() -> str:
    """A random secret for a URL or a command line: never begins with "-"."""
    while True:
        token = secrets.token_urlsafe(24)
        if not token.startswith("-"):
            return token


def _new_id() -> str:
    return secrets.token_hex(16)


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
    appeals: tuple[AppealView, ...]
    appealable: bool = False  # a final decision exists that this reporter may still appeal


@dataclass(frozen=True)
class UploaderStatus:
    """What the uploader's appeal token shows: the action on their content and why."""

    case_number: str
    state: CaseState
    action: str
    action_at: dt.datetime
    statements: tuple[str, ...]
    appeals: tuple[AppealView, ...]
    appealable: bool


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


class CaseService:
    def __init__(
        self,
        db: Database,
        *,
        sink: EventSink,
        policy: PolicyDocument = DEFAULT_POLICY,
        media_index: MediaCaseIndex | None = None,
        bank: Sequence[bank_rules.BankRule] = bank_rules.DEFAULT_BANK_RULES,
        retry: webhooks.RetryPolicy | None = None,
        sender: Sender | None = None,
        webhook_allow: Sequence[Network] = (),
        webhook_timeout_s: float = 10.0,
        out_of_court: Sequence[str] = (),
        public_url: str | None = None,
        mailer: Mailer | None = None,
        token_key: bytes | None = None,
    ) -> None:
        self.db = db
        self.mailer = mailer  # none unless the operator configured an SMTP server
        # called after a commit that staged e-mail: the service wakes its sender with it
        self.on_mail: Callable[[], None] | None = None
        # status tokens derived from this key can be rebuilt for later e-mails; the
        # database still holds only their hashes
        self.token_key = token_key
        # the instance's public address (MEDIAPROOF_SERVICE_PUBLIC_URL): links that leave
        # the instance (webhooks, e-mails) are built on it; without it, on the address of
        # the request that caused them, and without either they carry no link
        self.public_url = public_url.rstrip("/") if public_url else None
        self.sink = sink
        self.policy = policy
        self.media_index = media_index
        self.bank_rules = tuple(bank)
        self.retry = retry or webhooks.RetryPolicy()
        # public addresses only, unless the operator allows networks (SSRF)
        self.webhook_allow = tuple(webhook_allow)
        self.sender: Sender = sender if sender is not None else guarded_sender(webhook_allow)
        self.webhook_timeout_s = webhook_timeout_s
        self.out_of_court = tuple(out_of_court)

    def base_url(self, request_base: str | None = None) -> str | None:
        """The address links are built on: the configured one, else the request's."""
        if self.public_url:
            return self.public_url
        return request_base.rstrip("/") if request_base else None

    def _status_token(self, notice_public_id: str, issued_hash: str | None = None) -> str:
        """A new notice's token, or (``issued_hash``) the one it was given. Tokens never
        begin with "-" (a command line would take them for an option): a candidate that
        does is skipped for the next derivation. Tokens issued before that rule, which
        may begin with "-", are still found by their hash."""
        if self.token_key is None:
            return _safe_token()
        for n in range(64):
            label = b"status-token:" + notice_public_id.encode() + (b"#%d" % n if n else b"")
            mac = hmac.new(self.token_key, label, "sha256")
            token = base64.urlsafe_b64encode(mac.digest()[:24]).decode().rstrip("=")
            if issued_hash is not None:
                if _hash_token(token) == issued_hash:
                    return token
            elif not token.startswith("-"):
                return token
        return ""  # no derivation matches: the token was not made with this key

    def _status_link(self, notice: NoticeRow, base_url: str | None) -> str | None:
        """The reporter's status link, when the token can be rebuilt and an address is known."""
        base = self.base_url(base_url)
        if self.token_key is None or base is None:
            return None
        token = self._status_token(notice.public_id, notice.token_hash)
        return f"{base}/status/{token}" if token else None

    def _stage_mail(self, s: Session, mails: Sequence[Mail]) -> None:
        """Write messages in the caller's transaction: they go out if and only if the
        change they tell of was committed, even across a stop or an SMTP outage."""
        for m in mails:
            s.add(
                MailOutboxRow(
                    recipient=m.to,
                    subject=m.subject[:300],
                    body=m.text,
                    attempts=0,
                    next_attempt_at=m.at,
                    created_at=m.at,
                )
            )

    def _mail_staged(self, mails: Sequence[Mail]) -> None:
        """After the commit: ask the background sender to send now, not on its next tick."""
        if mails and self.on_mail is not None:
            self.on_mail()

    def send_mail_due(self, now: dt.datetime, limit: int = 50) -> DeliveryStats:
        """Send due reporter e-mail once each. Safe to run twice at once (each message is
        claimed first) and after a crash (the outbox is in the database). A message the
        server accepted, or that failed ``retry.max_attempts`` times, is deleted: the
        address is not kept longer than needed, and the status page says the same."""
        now = _utc(now)
        stats = DeliveryStats()
        if self.mailer is None:
            return stats
        lease = now + dt.timedelta(seconds=max(60.0, 3 * self.webhook_timeout_s))
        with self.db.session() as s:
            due = CaseRepository(s).mail_due(now, limit)
        for row_id in due:
            with self.db.session() as s:
                if not CaseRepository(s).claim_mail(row_id, now, lease):
                    continue  # another sender took it
                row = s.get(MailOutboxRow, row_id)
                if row is None:
                    continue
                to, subject, text = row.recipient, row.subject, row.body
            error: str | None = None
            try:
                self.mailer(to, subject, text)
            except Exception as e:  # the address stays out of the log and the stats
                error = getattr(e, "message", None) or type(e).__name__
            with self.db.session() as s:
                row = s.get(MailOutboxRow, row_id)
                if row is None:
                    continue
                row.attempts += 1
                if error is None:
                    s.delete(row)
                    stats.delivered += 1
                    continue
                stats.errors.append(f"mail {row_id}: {error}")
                nxt = self.retry.after_failure(row.attempts, now)
                if nxt is None:
                    s.delete(row)
                    stats.dead += 1
                    _log.warning(
                        "case e-mail %d given up after %d attempts: %s", row_id, row.attempts, error
                    )
                else:
                    row.next_attempt_at = nxt
                    stats.retried += 1
                    _log.warning("case e-mail %d not sent, will retry: %s", row_id, error)
            # a server that failed once is likely down for the rest: end the round, so a
            # round (and a stop waiting for it) costs at most one timeout
            break
        return stats

    def mail_pending(self) -> int:
        """Messages in the outbox (queued or waiting for a retry)."""
        with self.db.session() as s:
            return CaseRepository(s).mail_pending()

    def _reporter_mails(
        self,
        notices: Sequence[NoticeRow],
        subject: str,
        text: str,
        base_url: str | None,
        now: dt.datetime,
    ) -> list[Mail]:
        """One message per active notice with an address: its own status link."""
        if self.mailer is None:
            return []
        out = []
        for n in notices:
            if n.status != "active" or "@" not in (n.reporter_email or ""):
                continue
            link = self._status_link(n, base_url)
            follow = (
                f"Follow the case, and appeal, at your status link:\n{link}\n"
                if link
                else "Follow the case, and appeal, with the status link from your receipt.\n"
            )
            out.append(Mail(n.reporter_email, subject, f"{text}\n\n{follow}", now))
        return out

    def _stage(self, s: Session, events: Sequence[dict[str, Any]]) -> None:
        """Write events in the caller's transaction: they exist if and only if the change
        they record was committed."""
        for e in events:
            e["id"] = _new_id()  # lets the log drop a duplicate after a crash mid-hand-over
            s.add(
                EventRow(
                    event_id=e["id"],
                    body=json.dumps(e, sort_keys=True),
                    created_at=dt.datetime.fromisoformat(e["at"]),
                )
            )

    def flush_events(self) -> int:
        """Hand staged events to the sink in order. A sink failure leaves them staged for
        the next call (any later operation, or ``deliver``); it never undoes the change."""
        if isinstance(self.sink, StagingEventSink):
            return self._stage_events(self.sink)
        sent = 0
        with self.db.session() as s:
            ids = CaseRepository(s).unsent_event_ids()
        for row_id in ids:
            with self.db.session() as s:
                body = CaseRepository(s).claim_event(row_id, dt.datetime.now(dt.UTC))
            if body is None:
                continue  # another worker took it
            try:
                self.sink.append(json.loads(body))
            except Exception as e:  # the log's failure must not fail the user's request
                with self.db.session() as s:
                    CaseRepository(s).unclaim_event(row_id)
                _log.warning("transparency log append failed; will retry: %s", e)
                break  # keep the order: later events wait for this one
            sent += 1
        return sent

    def _stage_events(self, sink: StagingEventSink) -> int:
        """Claim the unsent events and stage their log leaves in one transaction (the
        instance's log outbox), then land them: a crash at any point leaves each event
        either unclaimed or staged, never claimed and lost."""
        staged = 0
        try:
            with self.db.session() as s:
                repo = CaseRepository(s)
                for row_id in repo.unsent_event_ids():
                    body = repo.claim_event(row_id, dt.datetime.now(dt.UTC))
                    if body is None:
                        continue  # another worker took it
                    sink.stage(s, json.loads(body))
                    staged += 1
        except Exception as e:  # the log's failure must not fail the user's request
            _log.warning("case events not staged for the log; will retry: %s", e)
            return 0
        try:
            sink.land()
        except Exception as e:  # staged in the database: the next event or start lands them
            _log.warning("transparency log append failed; staged for later: %s", e)
        return staged

    # --- report (file a notice) ----------------------------------------------------

    def file_notice(
        self, inp: NoticeInput, now: dt.datetime, *, base_url: str | None = None
    ) -> Receipt:
        now = _utc(now)
        inp.validate()
        # a notice joining a case races with other notices and reviewers on the case's
        # version; the reporter should never see that, so try again on a fresh read
        for attempt in range(5):
            try:
                receipt, mailed = self._file_notice_once(inp, now, base_url)
                break
            except ConflictError:
                if attempt == 4:
                    raise
        self.flush_events()
        if mailed:
            self._mail_staged([mailed])
        return receipt

    def _receipt_mail(self, to: str, r: Receipt, base_url: str | None) -> Mail:
        base = self.base_url(base_url)
        link = f"{base}/status/{r.status_token}" if base else f"status token {r.status_token}"
        text = (
            f"We received your notice on {r.received_at:%Y-%m-%d %H:%M} UTC.\n"
            f"Case number: {r.case_number}\n"
            f"It will be reviewed by {r.triage.due_at:%Y-%m-%d %H:%M} UTC ({r.triage.clock}).\n\n"
            f"Follow the case, withdraw your notice or appeal a decision with your private "
            f"status link (keep it to yourself):\n{link}\n\n"
            "You will get the statement of reasons by e-mail when the case is decided."
        )
        return Mail(to, f"[mediaproof] Notice received: case {r.case_number}", text, r.received_at)

    def _file_notice_once(
        self, inp: NoticeInput, now: dt.datetime, base_url: str | None
    ) -> tuple[Receipt, Mail | None]:
        notice_id = _new_id()
        token = self._status_token(notice_id)
        t = triage(self.policy, inp.category, inp.source, now)
        with self.db.session() as s:
            repo = CaseRepository(s)
            case = self._find_case(repo, inp)
            joined = case is not None
            if case is None:
                case = self._new_case(repo, inp, t, now)
            else:
                new_state = next_state(CaseState(case.state), Step.NOTICE)
                extra: dict[str, Any] = {}
                if (t.priority, t.due_at) < (case.priority, aware(case.due_at)):
                    extra = {"priority": t.priority, "due_at": t.due_at, "clock": t.clock}
                if case.media_sha256 is None and inp.media_sha256:
                    extra["media_sha256"] = inp.media_sha256
                if case.mime is None and inp.mime:
                    extra["mime"] = inp.mime
                repo.move(case, case.version, new_state, now, **extra)
            notice = repo.add(
                NoticeRow(
                    public_id=notice_id,
                    case_id=case.id,
                    category=inp.category.value,
                    source=inp.source.value,
                    media_sha256=inp.media_sha256,
                    content_url=inp.content_url,
                    location=inp.location,
                    explanation=inp.explanation,
                    fingerprints=json.dumps(inp.fingerprints, sort_keys=True),
                    reporter_name=inp.reporter_name.strip(),
                    reporter_email=inp.reporter_email.strip(),
                    relationship=inp.relationship.value,
                    good_faith=inp.good_faith,
                    signature=inp.signature.strip(),
                    token_hash=_hash_token(token),
                    status="active",
                    received_at=now,
                    account_id=inp.account_id,
                    analysis=json.dumps(inp.analysis, sort_keys=True) if inp.analysis else None,
                )
            )
            receipt = Receipt(
                case_number=case.number,
                case_id=case.public_id,
                notice_id=notice.public_id,
                status_token=token,
                received_at=now,
                triage=Triage(case.priority, aware(case.due_at), case.clock),
                joined_existing_case=joined,
            )
            event = ev.notice_received(
                now,
                case.public_id,
                notice.public_id,
                inp.category.value,
                inp.source.value,
                inp.media_sha256,
            )
            self._stage(s, [event])
            mail = None
            if self.mailer is not None and "@" in inp.reporter_email:
                mail = self._receipt_mail(inp.reporter_email.strip(), receipt, base_url)
                self._stage_mail(s, [mail])
        return receipt, mail

    def _find_case(self, repo: CaseRepository, inp: NoticeInput) -> CaseRow | None:
        """Notices about the same media join one case: exact digest, then the fingerprint
        index, then the same URL."""
        if inp.media_sha256:
            row = repo.case_by_media(inp.media_sha256)
            if row is not None:
                return row
            if self.media_index is not None:
                cid = self.media_index.find_case_by_media(inp.media_sha256, inp.fingerprints)
                if cid is not None:
                    return repo.case(cid)
        if inp.content_url:
            return repo.case_by_url(inp.content_url)
        return None

    def _new_case(
        self, repo: CaseRepository, inp: NoticeInput, t: Triage, now: dt.datetime
    ) -> CaseRow:
        public_id = _new_id()
        row: CaseRow = repo.add(
            CaseRow(
                public_id=public_id,
                number=public_id,  # replaced below once the id is known
                state=CaseState.OPEN.value,
                category=inp.category.value,
                priority=t.priority,
                due_at=t.due_at,
                clock=t.clock,
                media_sha256=inp.media_sha256,
                content_url=inp.content_url,
                platform=urlsplit(inp.content_url).hostname if inp.content_url else None,
                mime=inp.mime,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        row.number = f"C-{now.year}-{row.id:06d}"
        repo.s.flush()
        return row

    # --- reporter: follow and withdraw ----------------------------------------------

    def status(self, token: str) -> ReporterStatus:
        with self.db.session() as s:
            repo = CaseRepository(s)
            notice = repo.notice_by_token_hash(_hash_token(token))
            if notice is None:
                raise TokenError("no notice matches this status token")
            return self._reporter_status(repo, notice)

    def notices_of_account(self, account_id: int, limit: int = 200) -> list[ReporterStatus]:
        """What a signed-in reporter sees: the notices that account filed, and no others."""
        with self.db.session() as s:
            repo = CaseRepository(s)
            rows = list(  # read fully before the per-notice queries below
                s.scalars(
                    select(NoticeRow)
                    .where(NoticeRow.account_id == account_id)
                    .order_by(NoticeRow.id.desc())
                    .limit(limit)
                )
            )
            return [self._reporter_status(repo, n) for n in rows]

    def _reporter_status(self, repo: CaseRepository, notice: NoticeRow) -> ReporterStatus:
        case = repo.case(notice.case_id)
        appeals = tuple(appeal_view(a) for a in repo.appeals(case.id) if a.party == "reporter")
        final = repo.latest_final(case.id)
        return ReporterStatus(
            case_number=case.number,
            state=CaseState(case.state),
            notice_id=notice.public_id,
            notice_status=notice.status,
            category=NoticeCategory(notice.category),
            received_at=aware(notice.received_at),
            due_at=aware(case.due_at),
            statements=tuple(st.human for st in repo.statements(case.id)),
            appeals=appeals,
            appealable=final is not None
            and CaseState(case.state) is CaseState.DECIDED
            and not any(a.decision_id == final.id for a in appeals),
        )

    def uploader_status(self, token: str) -> UploaderStatus:
        with self.db.session() as s:
            repo = CaseRepository(s)
            action = repo.action_by_token_hash(_hash_token(token))
            if action is None:
                raise TokenError("no action matches this appeal token")
            case = repo.case(action.case_id)
            appeals = tuple(appeal_view(a) for a in repo.appeals(case.id) if a.party == "uploader")
            return UploaderStatus(
                case_number=case.number,
                state=CaseState(case.state),
                action=action.action,
                action_at=aware(action.created_at),
                statements=tuple(st.human for st in repo.statements(case.id)),
                appeals=appeals,
                appealable=CaseState(case.state) is CaseState.DECIDED,
            )

    def attach_analysis(
        self,
        notice_id: str,
        report: Mapping[str, Any],
        fingerprints: Mapping[str, str] | None = None,
    ) -> None:
        """Store the verify report (and fingerprints) of a notice's media when it was
        analysed after filing. Fingerprints a notice already has (those taken at intake,
        which it may have been matched on) are kept; new kinds are added."""
        with self.db.session() as s:
            row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).first()
            if row is None:
                raise NotFoundError(f"no notice {notice_id}")
            row.analysis = json.dumps(report, sort_keys=True)
            had: dict[str, str] = json.loads(row.fingerprints or "{}")
            merged = {**dict(fingerprints or {}), **had}
            changed = merged != had
            if changed:
                row.fingerprints = json.dumps(merged, sort_keys=True)
            row_id, case_id = row.id, row.case_id
        note = getattr(self.media_index, "note_notice", None)
        if changed and note is not None:
            note(row_id, case_id, merged)  # the index loads new rows only, not updated ones

    def withdraw(self, token: str, now: dt.datetime) -> ReporterStatus:
        now = _utc(now)
        with self.db.session() as s:
            repo = CaseRepository(s)
            notice = repo.notice_by_token_hash(_hash_token(token))
            if notice is None:
                raise TokenError("no notice matches this status token")
            if notice.status == "withdrawn":
                raise CaseError("this notice was already withdrawn")
            notice.status = "withdrawn"
            notice.withdrawn_at = now
            case = repo.case(notice.case_id)
            active = [n for n in repo.notices(case.id) if n.status == "active"]
            state = CaseState(case.state)
            decided = repo.latest_final(case.id) is not None
            if (
                not active
                and state in (CaseState.OPEN, CaseState.AWAITING_SECOND_REVIEW)
                and may_withdraw_case(decided)
            ):
                for d in repo.decisions(case.id):
                    if d.status == DecisionStatus.PROPOSED.value:
                        d.status = DecisionStatus.REJECTED.value
                repo.move(case, case.version, next_state(state, Step.WITHDRAW), now)
            event = ev.notice_withdrawn(now, case.public_id, notice.public_id)
            self._stage(s, [event])
        self.flush_events()
        return self.status(token)

    # --- reviewers -----------------------------------------------------------------

    def queue(self, limit: int = 50) -> list[CaseView]:
        with self.db.session() as s:
            repo = CaseRepository(s)
            return [case_view(c, repo.notices(c.id)) for c in repo.queue(limit)]

    def appeal_queue(self, limit: int = 50) -> list[CaseView]:
        """Cases whose decision was appealed and awaits a different reviewer."""
        with self.db.session() as s:
            repo = CaseRepository(s)
            rows = list(
                s.scalars(
                    select(CaseRow)
                    .where(CaseRow.state == CaseState.APPEALED.value)
                    .order_by(CaseRow.updated_at, CaseRow.id)
                    .limit(limit)
                )
            )
            return [case_view(c, repo.notices(c.id)) for c in rows]

    def show(self, ref: str | int) -> CaseDetail:
        with self.db.session() as s:
            repo = CaseRepository(s)
            case = repo.case(ref)
            notices = repo.notices(case.id)
            return CaseDetail(
                case=case_view(case, notices),
                notices=tuple(
                    NoticeSummary(
                        id=n.public_id,
                        category=NoticeCategory(n.category),
                        source=SourceType(n.source),
                        relationship=Relationship(n.relationship),
                        explanation=n.explanation,
                        location=n.location,
                        content_url=n.content_url,
                        media_sha256=n.media_sha256,
                        received_at=aware(n.received_at),
                        status=n.status,
                        media_kept=n.media_kept_until is not None
                        and aware(n.media_kept_until) > dt.datetime.now(dt.UTC),
                    )
                    for n in notices
                ),
                decisions=tuple(decision_view(d) for d in repo.decisions(case.id)),
                appeals=tuple(appeal_view(a) for a in repo.appeals(case.id)),
                actions=tuple(
                    {
                        "id": a.public_id,
                        "action": a.action,
                        "ground": a.ground,
                        "automated": a.automated_decision,
                        "at": aware(a.created_at).isoformat(),
                    }
                    for a in repo.actions(case.id)
                ),
                statements=tuple(
                    {
                        "puid": st.puid,
                        "record": json.loads(st.record) if st.record else None,
                        "human": st.human,
                    }
                    for st in repo.statements(case.id)
                ),
                analysis=next(
                    (json.loads(n.analysis) for n in reversed(notices) if n.analysis), None
                ),
            )

    def decide(
        self,
        ref: str | int,
        *,
        reviewer: str,
        outcome: Outcome,
        rule_id: str,
        explanation: str,
        now: dt.datetime,
        expected_version: int | None = None,
        base_url: str | None = None,
    ) -> DecisionResult:
        now = _utc(now)
        if not reviewer.strip():
            raise UsageError("a decision needs the reviewer's name")
        if len(explanation.strip()) < 10:
            raise UsageError("a decision needs a written explanation")
        events: list[dict[str, Any]] = []
        mails: list[Mail] = []
        with self.db.session() as s:
            repo = CaseRepository(s)
            case = repo.case(ref)
            if expected_version is not None and expected_version != case.version:
                raise ConflictError(
                    f"case {case.number} changed since you opened it (version "
                    f"{expected_version}, now {case.version}); reload it and decide again"
                )
            seen = case.version
            check_not_party(reviewer, self._parties(s, case.id))
            rule = self._rule_for(case, rule_id, outcome)
            step = decision_step(outcome, self.policy.second_review_for)
            repo.move(case, seen, next_state(CaseState(case.state), step), now)
            d = repo.add(
                DecisionRow(
                    case_id=case.id,
                    outcome=outcome.value,
                    rule_id=rule.id,
                    policy_version=self.policy.version,
                    # reporters' identities stay in the notices table only
                    explanation=self._scrub(explanation.strip(), repo.notices(case.id)),
                    reviewer=reviewer.strip(),
                    status=(
                        DecisionStatus.PROPOSED if step is Step.PROPOSE else DecisionStatus.FINAL
                    ).value,
                    automated=False,
                    created_at=now,
                    final_at=None if step is Step.PROPOSE else now,
                )
            )
            result = self._after_decision(repo, case, d, rule, now, events, base_url, mails)
            self._stage(s, events)
            self._stage_mail(s, mails)
        self.flush_events()
        self._mail_staged(mails)
        return result

    def confirm(
        self, ref: str | int, *, reviewer: str, now: dt.datetime, base_url: str | None = None
    ) -> DecisionResult:
        """The second reviewer confirms a proposed removal."""
        now = _utc(now)
        events: list[dict[str, Any]] = []
        mails: list[Mail] = []
        with self.db.session() as s:
            repo = CaseRepository(s)
            case = repo.case(ref)
            d = repo.proposed(case.id)
            check_second_reviewer(d.reviewer, reviewer, self._parties(s, case.id))
            repo.move(case, case.version, next_state(CaseState(case.state), Step.CONFIRM), now)
            d.second_reviewer = reviewer.strip()
            d.status = DecisionStatus.FINAL.value
            d.final_at = now
            rule = self._rule_for(case, d.rule_id, Outcome(d.outcome))
            result = self._after_decision(repo, case, d, rule, now, events, base_url, mails)
            self._stage(s, events)
            self._stage_mail(s, mails)
        self.flush_events()
        self._mail_staged(mails)
        return result

    def reject(self, ref: str | int, *, reviewer: str, now: dt.datetime) -> CaseView:
        """The second reviewer does not confirm; the case goes back to the queue."""
        now = _utc(now)
        with self.db.session() as s:
            repo = CaseRepository(s)
            case = repo.case(ref)
            d = repo.proposed(case.id)
            check_second_reviewer(d.reviewer, reviewer, self._parties(s, case.id))
            repo.move(case, case.version, next_state(CaseState(case.state), Step.REJECT), now)
            d.second_reviewer = reviewer.strip()
            d.status = DecisionStatus.REJECTED.value
            event = ev.decision_made(
                now,
                case.public_id,
                f"d{d.id}",
                d.outcome,
                "rejected",
                d.rule_id,
                d.policy_version,
                case.media_sha256,
                False,
                None,
            )
            view = case_view(case, repo.notices(case.id))
            self._stage(s, [event])
        self.flush_events()
        return view

    @staticmethod
    def _parties(s: Session, case_id: int) -> list[str]:
        """User names of the accounts that filed a notice on the case (reporters who were
        signed in; a reporter's appeal comes with the notice's token): they are recused."""
        q = (
            select(UserRow.username)
            .join(NoticeRow, NoticeRow.account_id == UserRow.id)
            .where(NoticeRow.case_id == case_id)
        )
        return sorted(set(s.execute(q).scalars()))

    def _rule_for(self, case: CaseRow, rule_id: str, outcome: Outcome) -> PolicyRule:
        rule = self.policy.check_outcome(rule_id, outcome)
        if NoticeCategory(case.category) not in rule.categories:
            raise ReviewRuleError(
                f"rule {rule.id} does not cover {case.category.replace('_', ' ')} cases"
            )
        return rule

    def _after_decision(
        self,
        repo: CaseRepository,
        case: CaseRow,
        d: DecisionRow,
        rule: PolicyRule,
        now: dt.datetime,
        events: list[dict[str, Any]],
        base_url: str | None = None,
        mails: list[Mail] | None = None,
    ) -> DecisionResult:
        if d.status != DecisionStatus.FINAL.value:
            events.append(
                ev.decision_made(
                    now,
                    case.public_id,
                    f"d{d.id}",
                    d.outcome,
                    "proposed",
                    d.rule_id,
                    d.policy_version,
                    case.media_sha256,
                    d.automated,
                    None,
                )
            )
            return DecisionResult(case_view(case, repo.notices(case.id)), decision_view(d))
        return self._finalize(
            repo,
            case,
            d,
            rule,
            now,
            events,
            automated_detection=False,
            base_url=base_url,
            mails=mails,
        )

    def _finalize(
        self,
        repo: CaseRepository,
        case: CaseRow,
        d: DecisionRow,
        rule: PolicyRule,
        now: dt.datetime,
        events: list[dict[str, Any]],
        *,
        automated_detection: bool,
        content_url: str | None = None,
        media_sha256: str | None = None,
        appeal_note: str | None = None,
        source: SourceType | None = None,
        base_url: str | None = None,
        mails: list[Mail] | None = None,
    ) -> DecisionResult:
        """A final decision: action, statement of reasons, bank, webhook, events."""
        outcome = Outcome(d.outcome)
        action = OUTCOME_ACTION[outcome]
        notices = repo.notices(case.id)
        explanation = self._scrub(d.explanation, notices)
        sha = media_sha256 or case.media_sha256
        action_ids: list[str] = []
        appeal_url: str | None = None
        action_events: list[dict[str, Any]] = []
        uploader_token: str | None = None
        if action is not None:
            uploader_token = _safe_token()
            a = repo.add(
                ActionRow(
                    public_id=_new_id(),
                    case_id=case.id,
                    decision_id=d.id,
                    action=action.value,
                    media_sha256=sha,
                    content_url=content_url or case.content_url,
                    automated_detection=automated_detection,
                    automated_decision=d.automated,
                    ground=rule.ground,
                    appeal_token_hash=_hash_token(uploader_token),
                    created_at=now,
                )
            )
            action_ids.append(a.public_id)
            appeal_url = self._appeal_url(uploader_token, base_url)
            delivered_token = self._enqueue(
                repo, case, a, now, appeal_token=uploader_token, appeal_url=appeal_url
            )
            if delivered_token:
                # it travels to the platform, not back to the caller
                uploader_token = appeal_url = None
            if sha and not any(b.sha256 == sha and b.active for b in repo.bank_for_case(case.id)):
                fps: dict[str, str] = {}
                for n in notices:
                    if n.media_sha256 == sha:
                        fps.update(json.loads(n.fingerprints or "{}"))
                repo.add(
                    BankRow(
                        case_id=case.id,
                        sha256=sha,
                        fingerprints=json.dumps(fps, sort_keys=True),
                        active=True,
                        added_at=now,
                    )
                )
            # logged after the decision it carries out (below): cause before effect
            action_events.append(
                ev.action_taken(now, case.public_id, a.public_id, action.value, sha)
            )
        puid = f"{case.number}-d{d.id}"
        end = (
            (now + dt.timedelta(days=self.policy.restrict_days)).date()
            if action is ActionType.RESTRICT and self.policy.restrict_days
            else None
        )
        if source is None:
            source = SourceType(notices[0].source) if notices else SourceType.AUTOMATED
        facts = None
        record: dict[str, Any] | None = None
        if action is not None:
            facts = SorFacts(
                puid=puid,
                action=action,
                rule=rule,
                policy=self.policy,
                explanation=explanation,
                mime=case.mime,
                content_date=(aware(notices[0].received_at) if notices else now).date(),
                application_date=now.date(),
                source=source,
                automated_detection=automated_detection or source is SourceType.AUTOMATED,
                automated_decision=(
                    "AUTOMATED_DECISION_FULLY"
                    if d.automated
                    else "AUTOMATED_DECISION_NOT_AUTOMATED"
                ),
                case_number=case.number,
                media_sha256=sha,
                end_date=end,
                appeal_note=appeal_note,
            )
            record = build_record(facts)
            problems = validate_record(record)
            if problems:  # a bug in the mapping, never the reviewer's fault
                raise CaseError("statement of reasons invalid: " + "; ".join(map(str, problems)))
        human = human_statement(
            facts,
            outcome=outcome,
            case_number=case.number,
            decided_on=now.date(),
            rule=rule,
            policy=self.policy,
            explanation=explanation,
            automated_detection=automated_detection or source is SourceType.AUTOMATED,
            automated_decision=d.automated,
            appeal_until=(now + self.policy.appeal_window).date(),
            notice_based=source is not SourceType.AUTOMATED,
            out_of_court=self.out_of_court,
        )
        repo.add(
            StatementRow(
                puid=puid,
                case_id=case.id,
                decision_id=d.id,
                record=json.dumps(record, sort_keys=True) if record else None,
                human=human,
                created_at=now,
            )
        )
        events.append(
            ev.decision_made(
                now,
                case.public_id,
                f"d{d.id}",
                d.outcome,
                "final",
                d.rule_id,
                d.policy_version,
                sha,
                d.automated,
                puid if record else None,
            )
        )
        events.extend(action_events)
        if mails is not None:  # the reporters get the statement of reasons
            mails += self._reporter_mails(
                notices, f"[mediaproof] Decision on case {case.number}", human, base_url, now
            )
        return DecisionResult(
            case_view(case, notices),
            decision_view(d),
            tuple(action_ids),
            puid if record else None,
            uploader_token,
            appeal_url,
        )

    @staticmethod
    def _scrub(text: str, notices: Sequence[NoticeRow]) -> str:
        """Remove the personal data of people other than the subject (cases/sor.py): the
        case's reporters' names, signatures and addresses, e-mail addresses, phone numbers,
        and people named with a title or as a source."""
        known = [x for n in notices for x in (n.reporter_name, n.signature, n.reporter_email)]
        return scrub_personal_data(text, known)

    # --- appeals -------------------------------------------------------------------

    def appeal(self, token: str, *, grounds: str, now: dt.datetime) -> AppealView:
        now = _utc(now)
        if len(grounds.strip()) < 10:
            raise UsageError("say why the decision should change")
        with self.db.session() as s:
            repo = CaseRepository(s)
            h = _hash_token(token)
            notice = repo.notice_by_token_hash(h)
            if notice is not None:
                case, party = repo.case(notice.case_id), Party.REPORTER
            else:
                found = repo.action_by_token_hash(h)
                if found is None:
                    raise TokenError("no case matches this token")
                case, party = repo.case(found.case_id), Party.UPLOADER
            d = repo.latest_final(case.id)
            if d is None:
                raise CaseError("there is no decision on this case to appeal yet")
            check_appellant(party, Outcome(d.outcome))
            check_appeal_window(aware(d.final_at or d.created_at), now, self.policy.appeal_window)
            repo.move(case, case.version, next_state(CaseState(case.state), Step.APPEAL), now)
            a = repo.add(
                AppealRow(
                    public_id=_new_id(),
                    case_id=case.id,
                    decision_id=d.id,
                    party=party.value,
                    grounds=self._scrub(grounds.strip(), repo.notices(case.id)),
                    filed_at=now,
                )
            )
            event = ev.appeal_filed(now, case.public_id, a.public_id, party.value, f"d{d.id}")
            view = appeal_view(a)
            self._stage(s, [event])
        self.flush_events()
        return view

    def decide_appeal(
        self,
        ref: str | int,
        *,
        reviewer: str,
        outcome: AppealOutcome,
        explanation: str,
        now: dt.datetime,
        new_outcome: Outcome | None = None,
        rule_id: str | None = None,
        base_url: str | None = None,
    ) -> AppealResult:
        """A different human decides. The original decision stays as it was; a reversal
        of an action restores the content, a reversal of "no action" takes ``new_outcome``."""
        now = _utc(now)
        if len(explanation.strip()) < 10:
            raise UsageError("an appeal decision needs a written explanation")
        events: list[dict[str, Any]] = []
        mails: list[Mail] = []
        with self.db.session() as s:
            repo = CaseRepository(s)
            a = repo.appeal(ref)
            case = repo.case(a.case_id)
            original = next(d for d in repo.decisions(case.id) if d.id == a.decision_id)
            check_appeal_reviewer(
                reviewer, (original.reviewer, original.second_reviewer), self._parties(s, case.id)
            )
            if a.outcome is not None:
                raise ConflictError("this appeal was already decided")
            reverse_no_action = (
                outcome is AppealOutcome.REVERSED and Outcome(original.outcome) is Outcome.NO_ACTION
            )
            if reverse_no_action and (new_outcome is None or rule_id is None):
                raise UsageError("reversing 'no action' needs the new outcome and its rule")
            # the same four-eyes rule as a first decision: a removal on appeal is proposed
            four_eyes = (
                reverse_no_action
                and new_outcome is not None
                and decision_step(new_outcome, self.policy.second_review_for) is Step.PROPOSE
            )
            step = Step.PROPOSE_ON_APPEAL if four_eyes else Step.DECIDE_APPEAL
            repo.move(case, case.version, next_state(CaseState(case.state), step), now)
            a.outcome = outcome.value
            a.reviewer = reviewer.strip()
            a.explanation = self._scrub(explanation.strip(), repo.notices(case.id))
            a.decided_at = now
            notices = repo.notices(case.id)
            text = self._scrub(a.explanation, notices)
            restore_id: str | None = None
            new_decision: DecisionView | None = None
            puid = f"{case.number}-a{a.id}"
            record_puid: str | None = None
            original_action = OUTCOME_ACTION[Outcome(original.outcome)]
            if outcome is AppealOutcome.REVERSED and original_action is not None:
                # restore everything the case did, copies matched from the bank included
                standing = [x for x in repo.actions(case.id) if x.action != "restore"]
                for x in standing:
                    r = repo.add(
                        ActionRow(
                            public_id=_new_id(),
                            case_id=case.id,
                            decision_id=x.decision_id,
                            appeal_id=a.id,
                            action=ActionType.RESTORE.value,
                            media_sha256=x.media_sha256,
                            content_url=x.content_url,
                            automated_detection=False,
                            automated_decision=False,
                            ground="reversal",
                            created_at=now,
                        )
                    )
                    restore_id = restore_id or r.public_id
                    self._enqueue(repo, case, r, now, appeal_token=None)
                    events.append(
                        ev.action_taken(now, case.public_id, r.public_id, "restore", r.media_sha256)
                    )
                for b in repo.bank_for_case(case.id):
                    b.active = False  # reversed media must not match automatically any more
            if reverse_no_action:
                assert new_outcome is not None and rule_id is not None
                rule = self._rule_for(case, rule_id, new_outcome)
                nd = repo.add(
                    DecisionRow(
                        case_id=case.id,
                        outcome=new_outcome.value,
                        rule_id=rule.id,
                        policy_version=self.policy.version,
                        explanation=a.explanation,
                        reviewer=a.reviewer,
                        status=(
                            DecisionStatus.PROPOSED if four_eyes else DecisionStatus.FINAL
                        ).value,
                        automated=False,
                        created_at=now,
                        final_at=None if four_eyes else now,
                    )
                )
            if reverse_no_action and four_eyes:
                res = self._after_decision(repo, case, nd, rule, now, events, base_url, mails)
                new_decision = res.decision
            elif reverse_no_action:
                res = self._finalize(
                    repo,
                    case,
                    nd,
                    rule,
                    now,
                    events,
                    automated_detection=False,
                    appeal_note=f"Decided on appeal {a.public_id}.",
                    base_url=base_url,
                    mails=mails,
                )
                new_decision = res.decision
                record_puid = res.statement_puid
            verdict = (
                "The appeal was upheld: the original decision stands."
                if outcome is AppealOutcome.UPHELD
                else "The appeal succeeded: the original decision is reversed"
                + (" and the content restored." if restore_id else ".")
            )
            if four_eyes:
                assert new_outcome is not None
                verdict += (
                    f" The new outcome ({new_outcome.value.replace('_', ' ')}) takes effect "
                    "only once a second reviewer confirms it."
                )
            appeal_text = (
                f"Appeal decision on case {case.number}, {now.date().isoformat()}\n\n"
                f"{verdict}\nReasons: {text}\n"
                f"The original decision (rule {original.rule_id}, policy version "
                f"{original.policy_version}) is kept on record.\n"
                "Decided by a reviewer who took no part in the original decision.\n"
                "Further redress: a certified out-of-court dispute settlement body "
                "(DSA Art. 21), or a competent court."
            )
            repo.add(
                StatementRow(
                    puid=puid,
                    case_id=case.id,
                    appeal_id=a.id,
                    record=None,  # a restore lifts a restriction: nothing for the DSA database
                    human=appeal_text,
                    created_at=now,
                )
            )
            mails[:0] = self._reporter_mails(
                notices,
                f"[mediaproof] Appeal decided on case {case.number}",
                appeal_text,
                base_url,
                now,
            )
            # the appeal's outcome first, then the restores or new decision it caused
            events.insert(
                0,
                ev.appeal_decided(
                    now,
                    case.public_id,
                    a.public_id,
                    outcome.value,
                    f"d{original.id}",
                    self.policy.version,
                    record_puid,
                ),
            )
            result = AppealResult(
                case_view(case, notices), appeal_view(a), restore_id, new_decision
            )
            self._stage(s, events)
            self._stage_mail(s, mails)
        self.flush_events()
        self._mail_staged(mails)
        return result

    # --- statements of reasons -------------------------------------------------------

    def sor_export(
        self,
        now: dt.datetime,
        *,
        mark_exported: bool = True,
        include_exported: bool = False,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[dict[str, list[dict[str, Any]]]]:
        """Bodies for POST /api/v2/statements (<= 100 statements each)."""
        from mediaproof.cases.sor import batches

        with self.db.session() as s:
            repo = CaseRepository(s)
            if include_exported:
                rows = repo.records_between(
                    start or dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                    end or now + dt.timedelta(days=1),
                )
            else:
                rows = repo.unexported_records()
            records = [json.loads(r.record) for r in rows if r.record]
            if mark_exported:
                for r in rows:
                    r.exported_at = r.exported_at or now
        return batches(records)

    # --- webhooks ------------------------------------------------------------------

    def register_endpoint(self, platform: str, url: str, secret: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError("the webhook URL must start with http:// or https://")
        check_url(url, self.webhook_allow)  # and again at delivery, after DNS resolution
        if len(secret) < 16:
            raise UsageError("use a webhook secret of at least 16 characters")
        with self.db.session() as s:
            repo = CaseRepository(s)
            existing = repo.endpoint_for(platform)
            if existing is not None and existing.platform == platform:
                existing.url, existing.secret, existing.active = url, secret, True
            else:
                repo.add(EndpointRow(platform=platform, url=url, secret=secret, active=True))

    def endpoints(self) -> list[dict[str, Any]]:
        """Registered webhook endpoints, without their secrets."""
        with self.db.session() as s:
            return [
                {"platform": r.platform, "url": r.url, "active": r.active}
                for r in s.scalars(select(EndpointRow).order_by(EndpointRow.platform))
            ]

    def _appeal_url(self, token: str | None, base_url: str | None) -> str | None:
        base = self.base_url(base_url)
        return f"{base}/appeal?token={token}" if token and base else None

    def _enqueue(
        self,
        repo: CaseRepository,
        case: CaseRow,
        action: ActionRow,
        now: dt.datetime,
        *,
        appeal_token: str | None,
        appeal_url: str | None = None,
    ) -> bool:
        host = urlsplit(action.content_url).hostname if action.content_url else None
        endpoint = repo.endpoint_for(host or case.platform)
        if endpoint is None:
            return False
        body: dict[str, Any] = {
            "type": f"action.{action.action}",
            "action_id": action.public_id,
            "case": case.public_id,
            "case_number": case.number,
            "action": action.action,
            "media_sha256": action.media_sha256,
            "content_url": action.content_url,
            "policy_version": self.policy.version,
            "created_at": now.isoformat(),
        }
        if appeal_token:
            body["uploader_appeal_token"] = appeal_token  # pass on to the uploader
            if appeal_url:
                body["uploader_appeal_url"] = appeal_url  # the page to appeal on
        delivery = _new_id()
        repo.add(
            OutboxRow(
                delivery_id=delivery,
                action_id=action.id,
                endpoint_id=endpoint.id,
                event=f"action.{action.action}",
                body=json.dumps(body, sort_keys=True),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        return appeal_token is not None

    def deliver_due(self, now: dt.datetime, limit: int = 100) -> DeliveryStats:
        """Send every due webhook once. Run it from a timer; it is safe to run twice at once
        (each delivery is claimed first) and after a crash (the outbox is in the database)."""
        now = _utc(now)
        self.flush_events()  # the same timer retries log hand-overs that failed earlier
        stats = DeliveryStats()
        lease = now + dt.timedelta(seconds=max(60.0, 3 * self.webhook_timeout_s))
        with self.db.session() as s:
            due = [r.id for r in CaseRepository(s).due(now, limit)]
        for row_id in due:
            with self.db.session() as s:
                repo = CaseRepository(s)
                if not repo.claim(row_id, now, lease):
                    continue
                row = s.get(OutboxRow, row_id)
                endpoint = s.get(EndpointRow, row.endpoint_id) if row else None
                if row is None or endpoint is None:
                    continue
                url, secret = endpoint.url, endpoint.secret
                event, delivery, body = row.event, row.delivery_id, row.body.encode()
            error: str | None = None
            try:
                headers = webhooks.signed_headers(secret, event, delivery, body, now)
                code = self.sender(url, headers, body, self.webhook_timeout_s)
                if not 200 <= code < 300:
                    error = f"HTTP {code}"
            except OSError as e:
                error = f"{type(e).__name__}: {e}"
            with self.db.session() as s:
                row = s.get(OutboxRow, row_id)
                assert row is not None
                row.attempts += 1
                if error is None:
                    row.status, row.delivered_at, row.last_error = "delivered", now, None
                    stats.delivered += 1
                    continue
                row.last_error = error[:2000]
                stats.errors.append(f"{delivery}: {error}")
                nxt = self.retry.after_failure(row.attempts, now)
                if nxt is None:
                    row.status = "dead"
                    stats.dead += 1
                else:
                    row.next_attempt_at = nxt
                    stats.retried += 1
        return stats

    def dead_letters(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [
                {
                    "delivery_id": r.delivery_id,
                    "event": r.event,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                    "created_at": aware(r.created_at).isoformat(),
                }
                for r in CaseRepository(s).dead_letters()
            ]

    def retry_dead(self, delivery_id: str, now: dt.datetime) -> None:
        now = _utc(now)
        with self.db.session() as s:
            for r in CaseRepository(s).dead_letters():
                if r.delivery_id == delivery_id:
                    r.status, r.attempts, r.next_attempt_at = "pending", 0, now
                    return
        raise NotFoundError(f"no dead-letter delivery {delivery_id}")

    # --- the bank ------------------------------------------------------------------

    def check_upload(
        self,
        sha256: str,
        *,
        now: dt.datetime,
        fingerprints: Mapping[str, str] | None = None,
        content_url: str | None = None,
        location: str | None = None,
        base_url: str | None = None,
    ) -> BankResult:
        """Match a new upload against confirmed deceptive media and apply the bank rules."""
        now = _utc(now)
        fps = dict(fingerprints or {})
        events: list[dict[str, Any]] = []
        with self.db.session() as s:
            repo = CaseRepository(s)
            if isinstance(self.media_index, bank_rules.BankIndex):  # the fingerprint index
                found = self.media_index.bank_matches(sha256, fps)
            else:
                entries = [
                    bank_rules.BankEntry(b.case_id, b.sha256, json.loads(b.fingerprints or "{}"))
                    for b in repo.bank()
                ]
                found = bank_rules.find_matches(sha256, fps, entries)
            action, match = bank_rules.decide(found, self.bank_rules)
            if match is None or action is bank_rules.BankAction.IGNORE:
                return BankResult(bank_rules.BankAction.IGNORE)
            case = repo.case(match.entry.case_id)
            number = case.number
            if action is bank_rules.BankAction.LABEL:
                original = repo.latest_final(case.id)
                if original is None:
                    return BankResult(bank_rules.BankAction.IGNORE)
                rule = self._rule_for(case, original.rule_id, Outcome(original.outcome))
                # where the rule allows no label (intimate deepfakes), identical copies get
                # the confirmed outcome: TAKE IT DOWN asks for removal of identical copies
                copy_outcome = (
                    Outcome.LABEL if Outcome.LABEL in rule.outcomes else (Outcome(original.outcome))
                )
                copied = (original.reviewer, original.second_reviewer)
                if not automatic_outcome_allowed(
                    copy_outcome, self.policy.second_review_for, copied
                ):
                    # the decision copied lacks the four eyes this outcome needs: people decide
                    action = bank_rules.BankAction.QUEUE
            if action is bank_rules.BankAction.LABEL:
                d = repo.add(
                    DecisionRow(
                        case_id=case.id,
                        outcome=copy_outcome.value,
                        rule_id=rule.id,
                        policy_version=self.policy.version,
                        explanation=(
                            f"This upload is identical (sha256) to media confirmed as deceptive "
                            f"in case {case.number}; {copy_outcome.value} applied automatically "
                            "under the bank rules."
                        ),
                        reviewer="auto:bank",
                        status=DecisionStatus.FINAL.value,
                        automated=True,
                        created_at=now,
                        final_at=now,
                    )
                )
                res = self._finalize(
                    repo,
                    case,
                    d,
                    rule,
                    now,
                    events,
                    automated_detection=True,
                    content_url=content_url,
                    media_sha256=sha256,
                    source=SourceType.AUTOMATED,  # found by us, not notified
                    base_url=base_url,
                )
                result = BankResult(
                    action,
                    number,
                    match.kind,
                    match.distance,
                    applied=copy_outcome,
                    action_id=res.action_ids[0] if res.action_ids else None,
                )
            else:
                category = NoticeCategory(case.category)
                result = BankResult(action, number, match.kind, match.distance)
            self._stage(s, events)
        self.flush_events()
        if action is bank_rules.BankAction.QUEUE:
            receipt = self.file_notice(
                NoticeInput(
                    category=category,
                    explanation=(
                        f"Automated near match ({match.alg}, distance {match.distance}) to media "
                        f"confirmed as deceptive in case {number}. A match is a lead, not proof."
                    ),
                    reporter_name="",
                    reporter_email="",
                    relationship=Relationship.THIRD_PARTY,
                    good_faith=True,
                    signature="",
                    media_sha256=sha256,
                    content_url=content_url,
                    location=location or (content_url and urlsplit(content_url).hostname),
                    fingerprints=fps,
                    automated=True,
                ),
                now,
            )
            result = BankResult(action, number, match.kind, match.distance, receipt=receipt)
        return result

    # --- transparency report -------------------------------------------------------

    def transparency_report(self, start: dt.datetime, end: dt.datetime) -> rpt.Report:
        if start.tzinfo is None or end.tzinfo is None:
            raise UsageError("give the report period with a time zone (e.g. UTC)")
        # stored times are UTC; SQLite compares them as text, so compare in UTC too
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        if end <= start:
            raise UsageError("the report period must end after it starts")
        with self.db.session() as s:
            repo = CaseRepository(s)
            notices = [
                rpt.NoticeRec(n.category, n.source, aware(n.received_at))
                for n in repo.notices_between(start, end)
            ]
            decisions = [
                rpt.DecisionRec(d.outcome, d.automated)
                for d in repo.final_decisions_between(start, end)
            ]
            actions = []
            rows = repo.actions_between(start, end)
            firsts = repo.first_notice_times([a.case_id for a in rows])
            for a in rows:
                first = firsts.get(a.case_id)
                hours = None
                if first is not None and a.action != ActionType.RESTORE.value:
                    hours = (aware(a.created_at) - first).total_seconds() / 3600
                actions.append(
                    rpt.ActionRec(
                        a.action,
                        a.ground,
                        a.automated_detection,
                        a.automated_decision,
                        aware(a.created_at),
                        hours,
                    )
                )
            complaints = [
                rpt.ComplaintRec(
                    a.party,
                    aware(a.filed_at),
                    a.outcome,
                    (aware(a.decided_at) - aware(a.filed_at)).total_seconds() / 3600
                    if a.decided_at
                    else None,
                )
                for a in repo.appeals_between(start, end)
            ]
        return rpt.build(start, end, notices, decisions, actions, complaints)
