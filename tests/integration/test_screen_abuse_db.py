"""Abuse handling on each database backend: the ban stages the tool's webhook in its own
transaction (an outbox row without an action), an appeal of a block is a case whose
reversal lifts the ban under the ordinary appeal rules, and the transparency report counts
per tool."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mediaproof.cases.errors import ReviewRuleError
from mediaproof.cases.models import AppealOutcome
from mediaproof.errors import ConflictError, NotFoundError, UsageError
from mediaproof.services import screening as svc
from mediaproof.services import screening_appeals, screening_webhooks
from mediaproof.services.cases.runtime import case_service
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_case_outbox import CaseOutboxRepository

BAD = "Photo of Elena Marchetti being arrested and led away in handcuffs"


def _pending(inst: Instance) -> list[dict[str, object]]:
    with inst.db.session() as s:
        rows = CaseOutboxRepository(s).due(dt.datetime.now(dt.UTC) + dt.timedelta(1), 100)
        return [{"action_id": r.action_id, **json.loads(r.body)} for r in rows]


def test_ban_webhook_appeal_reversal_and_counts(any_db_instance: Instance) -> None:
    inst = any_db_instance
    svc.add_official(inst, "Elena Marchetti")
    screener = svc.ScreeningService(inst, embedder=False)
    # a public address: saved without the operator allowing any network
    screening_webhooks.register(inst, "tool", "https://203.0.114.7/hooks", "s" * 20)
    with pytest.raises(UsageError):
        screening_webhooks.register(inst, "tool", "http://10.1.2.3/hooks", "s" * 20)

    events = [screener.screen(BAD, "tool", "u-1") for _ in range(3)]
    assert [e.user_banned for e in events] == [False, False, True]
    [queued] = _pending(inst)
    assert queued["action_id"] is None and queued["type"] == "screen.user_banned"
    assert queued["user_ref"] == "u-1" and "Marchetti" not in json.dumps(queued)
    assert svc.list_bans(inst, "tool")[0]["notified"] is True

    cases = case_service(inst)
    now = dt.datetime.now(dt.UTC)
    first = events[0].event_id
    assert first is not None
    with pytest.raises(NotFoundError):  # another tool's user reference finds nothing
        screening_appeals.appeal(inst, cases, tool="other", user_ref="u-1", event_id=first,
                                 grounds="This was a history lesson picture.")
    filed = screening_appeals.appeal(inst, cases, tool="tool", user_ref="u-1", event_id=first,
                                     grounds="This was a history lesson picture.", now=now)
    with pytest.raises(ConflictError):
        screening_appeals.appeal(inst, cases, tool="tool", user_ref="u-1", event_id=first,
                                 grounds="This was a history lesson picture.")
    detail = cases.show(filed["case_number"])
    assert detail.case.state.value == "appealed"
    assert detail.statements and BAD not in json.dumps(detail.statements, default=str)
    # four eyes as for every appeal: no automated reviewer decides it
    with pytest.raises(ReviewRuleError):
        cases.decide_appeal(filed["appeal_id"], reviewer="auto:screening",
                            outcome=AppealOutcome.REVERSED,
                            explanation="not a human decision", now=now)
    cases.decide_appeal(filed["appeal_id"], reviewer="rev-1", outcome=AppealOutcome.REVERSED,
                        explanation="An illustration of history, not deception.", now=now)
    assert svc.active_ban(inst, "tool", "u-1") is None
    assert screener.screen("a lighthouse", "tool", "u-1").decision.decision == "allow"
    kinds = [b["type"] for b in _pending(inst)]
    assert kinds == ["screen.user_banned", "screen.ban_lifted", "screen.appeal_decided"]

    rep = cases.transparency_report(now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    assert rep.value("screening", "blocks", "tool") == 3
    assert rep.value("screening", "bans", "tool") == 1
    assert rep.value("screening", "appeals", "tool") == 1
    assert rep.value("screening", "reversals", "tool") == 1
    assert rep.value("screening", "blocks", "all") == 3
    assert rep.value("complaints", "received", "all") == 0  # not a DSA complaint
