"""The case service as an entry point runs it: the instance's policy and log, and the
background loop that sends due webhooks and reporters' e-mail (the retry timing lives in
the outbox)."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import threading
from collections.abc import Callable

from mediaproof.cases.policy import DEFAULT_POLICY, PolicyDocument
from mediaproof.services.accounts import instance_secret
from mediaproof.services.cases.mail_smtp import SmtpMailer, smtp_server
from mediaproof.services.cases.service import CaseService
from mediaproof.services.cases.webhook_targets import parse_networks
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import CaseEventLog

_log = logging.getLogger(__name__)
POLICY_FILE = "review-policy.json"


def instance_policy(inst: Instance) -> PolicyDocument:
    """``<home>/review-policy.json`` when present, else the built-in default."""
    path = inst.home / POLICY_FILE
    if path.exists():
        return PolicyDocument.from_dict(json.loads(path.read_text("utf-8")))
    return DEFAULT_POLICY


def case_service(inst: Instance) -> CaseService:
    """One per process: events go to the instance's transparency log; reporters get
    e-mail when the operator configured an SMTP server (staged in the outbox; see
    :func:`close_case_service` and :class:`OutboxWorker`)."""
    server = smtp_server(inst.settings.mail)
    svc = CaseService(
        inst.db,
        sink=CaseEventLog(inst),
        policy=instance_policy(inst),
        media_index=inst.case_media_index,
        public_url=inst.settings.service.public_url,
        mailer=SmtpMailer(server) if server is not None else None,
        # status tokens rebuilt from the instance key, so decision e-mails carry the link
        token_key=hmac.new(instance_secret(inst), b"case-status-tokens", "sha256").digest(),
        webhook_allow=parse_networks(inst.settings.service.webhook_allow_networks),
    )
    # a reversed appeal of a screening block lifts the user's ban (imported here: the
    # screening services import the instance, which imports this package)
    from mediaproof.services import screening_appeals

    svc.appeals.on_decided.append(screening_appeals.appeal_hook(inst))
    return svc


def close_case_service(svc: CaseService) -> None:
    """Try once to send the e-mail that is due before the process ends (a CLI decision
    mails its reporters here). Bounded: a failing server ends the round after one
    timeout, and what was not sent stays in the outbox for the next sender."""
    if svc.mailer is None:
        return
    try:
        svc.send_mail_due(dt.datetime.now(dt.UTC))
    except Exception as e:  # the process is ending: the outbox keeps the messages
        _log.warning("case e-mail not sent at exit: %s", type(e).__name__)


class OutboxWorker:
    """Sends due webhooks (``deliver_due``) and reporters' e-mail (``send_mail_due``)
    every ``interval_s`` on a daemon thread until stopped, and at once when woken (the
    case service wakes it after staging e-mail).

    Safe beside ``mediaproof cases deliver`` or a second process: deliveries are claimed
    in the database first. A failing round is logged and retried on the next tick. Rounds
    are small (``batch`` deliveries) and follow each other at once while work remains, so
    stopping waits for at most one small round of network timeouts.
    """

    def __init__(
        self,
        svc: CaseService,
        interval_s: float,
        batch: int = 5,
        enqueue: Callable[[], object] | None = None,
    ) -> None:
        self.svc = svc
        self.enqueue = enqueue  # a broker is configured: workers send (services.queued_rounds)
        self.interval_s = interval_s
        self.batch = batch
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="case-outbox", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run a round now instead of at the next tick (cheap; safe from any thread)."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            while not self._stop.is_set() and self.round() >= self.batch:
                pass  # a full round: more may be due

    def round(self) -> int:
        """One round of each outbox; returns how many sends it attempted (none here when
        the round goes to the queue)."""
        if self.enqueue is not None:
            self.enqueue()
            return 0
        now = dt.datetime.now(dt.UTC)
        n = 0
        try:
            st = self.svc.deliver_due(now, limit=self.batch)
            n += st.delivered + st.retried + st.dead
        except Exception as e:  # a bad round must not end the loop
            _log.warning("webhook delivery round failed: %s", e)
        try:
            st = self.svc.send_mail_due(now, limit=self.batch)
            n += st.delivered + st.retried + st.dead
        except Exception as e:
            _log.warning("case e-mail round failed: %s", type(e).__name__)
        return n

    def stop(self) -> None:
        """Stops after the round in progress (each send is bounded by its timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join((self.batch + 1) * self.svc.webhook_timeout_s + 10)
            self._thread = None
