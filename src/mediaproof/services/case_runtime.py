"""The case service as an entry point runs it: the instance's policy and log, and the
background loop that sends due webhooks (the retry timing lives in the outbox)."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import threading

from mediaproof.cases.policy import DEFAULT_POLICY, PolicyDocument
from mediaproof.services.accounts import instance_secret
from mediaproof.services.case_mail import CaseMailer, smtp_server
from mediaproof.services.cases import CaseService
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
    e-mail when the operator configured an SMTP server (``svc.mailer.stop()`` on exit)."""
    server = smtp_server(inst.settings.mail)
    return CaseService(
        inst.db,
        sink=CaseEventLog(inst),
        policy=instance_policy(inst),
        media_index=inst.case_media_index,
        public_url=inst.settings.service.public_url,
        mailer=CaseMailer(server) if server is not None else None,
        # status tokens rebuilt from the instance key, so decision e-mails carry the link
        token_key=hmac.new(instance_secret(inst), b"case-status-tokens", "sha256").digest(),
    )


def close_case_service(svc: CaseService) -> None:
    """Send the e-mail still queued (bounded by the SMTP timeout) before the process ends."""
    if isinstance(svc.mailer, CaseMailer):
        svc.mailer.stop()


class WebhookWorker:
    """Calls ``deliver_due`` every ``interval_s`` on a daemon thread until stopped.

    Safe beside ``mediaproof cases deliver`` or a second process: deliveries are claimed
    in the database first. A failing round is logged and retried on the next tick. Rounds
    are small (``batch`` deliveries) and follow each other at once while work remains, so
    stopping waits for at most one small round of network timeouts.
    """

    def __init__(self, svc: CaseService, interval_s: float, batch: int = 5) -> None:
        self.svc = svc
        self.interval_s = interval_s
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            while not self._stop.is_set() and self.round() >= self.batch:
                pass  # a full round: more may be due

    def round(self) -> int:
        """One round; returns how many deliveries it attempted."""
        try:
            st = self.svc.deliver_due(dt.datetime.now(dt.UTC), limit=self.batch)
        except Exception as e:  # a bad round must not end the loop
            _log.warning("webhook delivery round failed: %s", e)
            return 0
        return st.delivered + st.retried + st.dead

    def stop(self) -> None:
        """Stops after the round in progress (each send is bounded by its timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.batch * self.svc.webhook_timeout_s + 10)
            self._thread = None
