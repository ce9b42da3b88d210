"""The shared core of the case service: its settings, status tokens and links, and the
staging of log events and e-mail in the transaction of the change they tell of.

Every part of the service (intake, review, appeals, the bank, deliveries, reporting)
holds the one :class:`CaseContext` its :class:`~mediaproof.services.cases.CaseService`
was built with, so a setting changed on the service (``public_url``, ``on_mail``) is seen
by all of them at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mediaproof.cases import webhooks
from mediaproof.cases.errors import ReviewRuleError
from mediaproof.cases.events import EventSink, StagingEventSink
from mediaproof.cases.models import NoticeCategory, Outcome
from mediaproof.cases.policy import PolicyDocument, PolicyRule
from mediaproof.cases.scrub import scrub_personal_data
from mediaproof.errors import UsageError
from mediaproof.services.cases.results import Mail, Mailer, MediaCaseIndex
from mediaproof.services.cases.transition import Transition
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_case_outbox import CaseOutboxRepository

if TYPE_CHECKING:
    from mediaproof.storage.sql.tables_cases import CaseRow, NoticeRow

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


def scrub(text: str, notices: Sequence[NoticeRow]) -> str:
    """Remove the personal data of people other than the subject (cases/scrub.py): the
    case's reporters' names, signatures and addresses, e-mail addresses, phone numbers,
    and people named with a title or as a source."""
    known = [x for n in notices for x in (n.reporter_name, n.signature, n.reporter_email)]
    return scrub_personal_data(text, known)


class CaseContext:
    """The settings and steps every part of the case service shares."""

    def __init__(
        self,
        db: Database,
        *,
        sink: EventSink,
        policy: PolicyDocument,
        media_index: MediaCaseIndex | None,
        retry: webhooks.RetryPolicy,
        webhook_timeout_s: float,
        out_of_court: Sequence[str],
        public_url: str | None,
        mailer: Mailer | None,
        token_key: bytes | None,
    ) -> None:
        self.db = db
        self.sink = sink
        self.policy = policy
        self.media_index = media_index
        self.retry = retry
        self.webhook_timeout_s = webhook_timeout_s
        self.out_of_court = tuple(out_of_court)
        # the instance's public address (MEDIAPROOF_SERVICE_PUBLIC_URL): links that leave
        # the instance (webhooks, e-mails) are built on it; without it, on the address of
        # the request that caused them, and without either they carry no link
        self.public_url = public_url.rstrip("/") if public_url else None
        self.mailer = mailer  # none unless the operator configured an SMTP server
        # called after a commit that staged e-mail: the service wakes its sender with it
        self.on_mail: Callable[[], None] | None = None
        # status tokens derived from this key can be rebuilt for later e-mails; the
        # database still holds only their hashes
        self.token_key = token_key

    # --- the one transition step -----------------------------------------------------

    @contextmanager
    def transition(self, now: dt.datetime) -> Iterator[Transition]:
        """One change to one case, as one transaction: the body opens the case, checks
        who acts, moves it and collects events and e-mail on the :class:`Transition`;
        they are staged with the change, so they exist if and only if it committed, and
        handed on (log sink, mail sender) after the commit."""
        with self.db.session() as s:
            t = Transition(s, now)
            yield t
            self.stage(t.outbox, t.events)
            self.stage_mail(t.outbox, t.mails)
        if t.events:
            self.flush_events()
        self.mail_staged(t.mails)

    def rule_for(self, case: CaseRow, rule_id: str, outcome: Outcome) -> PolicyRule:
        rule = self.policy.check_outcome(rule_id, outcome)
        if NoticeCategory(case.category) not in rule.categories:
            raise ReviewRuleError(
                f"rule {rule.id} does not cover {case.category.replace('_', ' ')} cases"
            )
        return rule

    # --- links and tokens ----------------------------------------------------------

    def base_url(self, request_base: str | None = None) -> str | None:
        """The address links are built on: the configured one, else the request's."""
        if self.public_url:
            return self.public_url
        return request_base.rstrip("/") if request_base else None

    def status_token(self, notice_public_id: str, issued_hash: str | None = None) -> str:
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

    def status_link(self, notice: NoticeRow, base_url: str | None) -> str | None:
        """The reporter's status link, when the token can be rebuilt and an address is known."""
        base = self.base_url(base_url)
        if self.token_key is None or base is None:
            return None
        token = self.status_token(notice.public_id, notice.token_hash)
        return f"{base}/status/{token}" if token else None

    def appeal_url(self, token: str | None, base_url: str | None) -> str | None:
        base = self.base_url(base_url)
        return f"{base}/appeal?token={token}" if token and base else None

    # --- e-mail to reporters ---------------------------------------------------------

    def stage_mail(self, outbox: CaseOutboxRepository, mails: Sequence[Mail]) -> None:
        """Write messages in the caller's transaction: they go out if and only if the
        change they tell of was committed, even across a stop or an SMTP outage."""
        for m in mails:
            outbox.add_mail(m.to, m.subject, m.text, m.at)

    def mail_staged(self, mails: Sequence[Mail]) -> None:
        """After the commit: ask the background sender to send now, not on its next tick."""
        if mails and self.on_mail is not None:
            self.on_mail()

    def reporter_mails(
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
            link = self.status_link(n, base_url)
            follow = (
                f"Follow the case, and appeal, at your status link:\n{link}\n"
                if link
                else "Follow the case, and appeal, with the status link from your receipt.\n"
            )
            out.append(Mail(n.reporter_email, subject, f"{text}\n\n{follow}", now))
        return out

    # --- log events ----------------------------------------------------------------

    def stage(self, outbox: CaseOutboxRepository, events: Sequence[dict[str, Any]]) -> None:
        """Write events in the caller's transaction: they exist if and only if the change
        they record was committed."""
        for e in events:
            e["id"] = _new_id()  # lets the log drop a duplicate after a crash mid-hand-over
            outbox.add_event(
                e["id"], json.dumps(e, sort_keys=True), dt.datetime.fromisoformat(e["at"])
            )

    def flush_events(self) -> int:
        """Hand staged events to the sink in order. A sink failure leaves them staged for
        the next call (any later operation, or ``deliver``); it never undoes the change."""
        if isinstance(self.sink, StagingEventSink):
            return self._stage_events(self.sink)
        sent = 0
        with self.db.session() as s:
            ids = CaseOutboxRepository(s).unsent_event_ids()
        for row_id in ids:
            with self.db.session() as s:
                body = CaseOutboxRepository(s).claim_event(row_id, dt.datetime.now(dt.UTC))
            if body is None:
                continue  # another worker took it
            try:
                self.sink.append(json.loads(body))
            except Exception as e:  # the log's failure must not fail the user's request
                with self.db.session() as s:
                    CaseOutboxRepository(s).unclaim_event(row_id)
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
                outbox = CaseOutboxRepository(s)
                for row_id in outbox.unsent_event_ids():
                    body = outbox.claim_event(row_id, dt.datetime.now(dt.UTC))
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
