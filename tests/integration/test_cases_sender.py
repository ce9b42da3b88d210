"""The webhook delivery logic is given its sender (``services.cases.WebhookSender``): the
HTTP adapter by default, or any callable of that shape (another transport, or a test
that needs no network). Signing, claiming and retrying stay the outbox's work."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from mediaproof.cases import webhooks
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import Outcome
from mediaproof.services.cases import CaseService, HttpWebhookSender, WebhookSender
from mediaproof.services.cases.webhook_targets import parse_networks
from mediaproof.storage.sql.engine import Database
from tests.integration.test_cases_flow import (  # noqa: F401  (fixtures)
    SECRET,
    T0,
    candidate_notice,
    sink,
)

HOOK = "https://203.0.113.10/mediaproof"  # a literal address: no DNS look-up in the test
ALLOW = parse_networks(["203.0.113.0/24"])  # documentation range: not public, so allowed


class RecordingSender:
    """Answers with the given statuses in turn; an exception instance is raised instead."""

    def __init__(self, *answers: int | OSError) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict[str, str], bytes, float]] = []

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> int:
        self.calls.append((url, dict(headers), body, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer


def _decided(svc: CaseService) -> None:
    svc.register_endpoint("*", HOOK, SECRET)
    rec = svc.file_notice(candidate_notice(), T0)
    svc.decide(
        rec.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice; likely to deceive voters.",
        now=T0,
    )


def test_the_outbox_signs_retries_and_delivers_through_the_sender_it_is_given(
    db: Database,
    sink: InMemoryEventSink,  # noqa: F811
) -> None:
    sender = RecordingSender(ConnectionRefusedError("refused"), 503, 204)
    retry = webhooks.RetryPolicy(max_attempts=5, base=dt.timedelta(seconds=10))
    svc = CaseService(
        db, sink=sink, sender=sender, webhook_allow=ALLOW, webhook_timeout_s=3.0, retry=retry
    )
    assert svc.sender is sender
    _decided(svc)

    first = svc.deliver_due(T0)
    assert (first.delivered, first.retried, first.dead) == (0, 1, 0)
    assert "ConnectionRefusedError: refused" in first.errors[0]
    second = svc.deliver_due(T0 + dt.timedelta(seconds=10))
    assert (second.delivered, second.retried) == (0, 1) and "HTTP 503" in second.errors[0]
    assert svc.deliver_due(T0 + dt.timedelta(seconds=15)).delivered == 0  # not due yet
    third = svc.deliver_due(T0 + dt.timedelta(seconds=30))
    assert (third.delivered, third.retried, third.dead) == (1, 0, 0)
    assert svc.deliver_due(T0 + dt.timedelta(hours=1)).delivered == 0  # sent once

    assert len(sender.calls) == 3
    url, headers, body, timeout = sender.calls[-1]
    assert url == HOOK and timeout == 3.0
    delivery_ids = {h[webhooks.H_DELIVERY] for _, h, _, _ in sender.calls}
    assert len(delivery_ids) == 1  # one delivery, retried under the same id
    signed_at = T0 + dt.timedelta(seconds=30)
    assert webhooks.verify(SECRET, headers, body, signed_at)
    assert not webhooks.verify("another-secret-0123456789", headers, body, signed_at)
    assert json.loads(body)["action"] == "label"


def test_a_sender_that_never_reaches_the_platform_ends_in_the_dead_letters(
    db: Database,
    sink: InMemoryEventSink,  # noqa: F811
) -> None:
    sender = RecordingSender(*[TimeoutError("timed out")] * 2)
    retry = webhooks.RetryPolicy(max_attempts=2, base=dt.timedelta(seconds=10))
    svc = CaseService(db, sink=sink, sender=sender, webhook_allow=ALLOW, retry=retry)
    _decided(svc)
    svc.deliver_due(T0)
    assert svc.deliver_due(T0 + dt.timedelta(minutes=1)).dead == 1
    (dead,) = svc.dead_letters()
    assert dead["attempts"] == 2 and "TimeoutError" in dead["last_error"]


def test_the_default_sender_is_the_http_adapter(
    db: Database,
    sink: InMemoryEventSink,  # noqa: F811
) -> None:
    svc = CaseService(db, sink=sink, webhook_allow=ALLOW)
    assert isinstance(svc.sender, HttpWebhookSender)
    assert svc.sender.allowed == ALLOW
    protocol_typed: WebhookSender = RecordingSender(204)  # the shape the outbox needs
    assert protocol_typed("u", {}, b"", 1.0) == 204
