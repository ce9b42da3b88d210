"""Every step of the response workflow is a leaf in the transparency log, with a valid
inclusion proof against the signed checkpoint, and no personal data in the log."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from mediaproof.cases.models import AppealOutcome, Outcome
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.webhook_targets import parse_networks
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import CaseEventLog, staged_count
from mediaproof.transparency import merkle
from mediaproof.transparency.log import TransparencyLog
from tests.integration.test_cases_flow import (  # noqa: F401  (receiver is a fixture)
    PERSONAL,
    SECRET,
    T0,
    Receiver,
    candidate_notice,
    receiver,
    voter_notice,
)

CASE_TYPES = ("notice.", "decision.", "appeal.", "action.")


def _is_case(log: TransparencyLog, i: int) -> bool:
    return str(json.loads(log.entry(i)).get("type", "")).startswith(CASE_TYPES)


def test_workflow_steps_are_logged_with_inclusion_proofs(
    any_db_instance: Instance,
    receiver: Receiver,  # noqa: F811
) -> None:
    inst = any_db_instance
    sink = CaseEventLog(inst)
    svc = CaseService(
        inst.db, sink=sink, webhook_timeout_s=2.0, webhook_allow=parse_networks(["127.0.0.1/32"])
    )
    svc.register_endpoint("video.example", receiver.url, SECRET)
    r = svc.file_notice(candidate_notice(), T0)
    svc.file_notice(voter_notice(), T0 + dt.timedelta(minutes=1))
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-1",
        explanation="Synthetic voice; likely to deceive voters.",
        now=T0 + dt.timedelta(hours=1),
    )
    final = svc.confirm(r.case_number, reviewer="bob", now=T0 + dt.timedelta(hours=2))
    assert final.uploader_token is None
    assert svc.deliver_due(T0 + dt.timedelta(hours=2)).delivered == 1
    token = json.loads(receiver.requests[0][1])["uploader_appeal_token"]
    appeal = svc.appeal(
        token,
        grounds="Satire, says so in the title.",
        now=T0 + dt.timedelta(days=2),
    )
    svc.decide_appeal(
        appeal.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="Parody: a label was enough.",
        now=T0 + dt.timedelta(days=3),
    )

    # every event was staged with its claim and landed: nothing is left waiting
    assert staged_count(inst) == 0
    with TransparencyLog.open(inst.home, readonly=True) as log:
        cp = log.latest_checkpoint()
        assert cp is not None and cp.checkpoint.size == log.size
        indexes = [i for i in range(log.size) if _is_case(log, i)]
        assert len(indexes) == 9
        types = []
        for index in indexes:
            raw = log.entry(index)
            proof = log.prove_inclusion(index, cp.checkpoint.size)
            merkle.verify_inclusion(
                merkle.leaf_hash(raw), index, proof.size, proof.hashes, cp.checkpoint.root
            )
            types.append(json.loads(raw)["type"])
            text = raw.decode().lower()
            for p in PERSONAL:
                assert p.lower() not in text, p
    assert types == [
        "notice.received",
        "notice.received",
        "decision.made",  # proposed
        "decision.made",  # final: the decision before the action it causes
        "action.taken",
        "appeal.filed",
        "appeal.decided",  # the appeal's outcome before what it causes:
        "decision.made",  # what now stands, "no action" (reporters may appeal it)
        "action.taken",  # and the restore
    ]


class _Killed(BaseException):
    pass


class _DiesBeforeLanding(CaseEventLog):
    """The process is killed right after the claim and the staged leaf committed (a
    BaseException, as a signal's would be: no handler in the service swallows it)."""

    def land(self) -> None:
        raise _Killed


def test_a_crash_after_the_claim_loses_no_event(any_db_instance: Instance) -> None:
    from mediaproof.services.transparency import land_staged

    inst = any_db_instance
    svc = CaseService(inst.db, sink=_DiesBeforeLanding(inst))
    with contextlib.suppress(_Killed):
        svc.file_notice(candidate_notice(), T0)
    # the case event is claimed (no later flush hands it over again) and its leaf is staged
    assert staged_count(inst) == 1
    assert CaseService(inst.db, sink=CaseEventLog(inst)).flush_events() == 0
    # the flush above landed it, as the next start-up (recover_at_startup) or event would
    assert land_staged(inst) == 0 and staged_count(inst) == 0
    with TransparencyLog.open(inst.home, readonly=True) as log:
        assert [json.loads(log.entry(i))["type"] for i in range(log.size)] == [
            "notice.received"
        ]
