"""Verdicts sent back to a signal's source stay true, on SQLite and PostgreSQL: a decision
reversed on appeal sends the new verdict once (the source keeps each owner's latest
opinion) and the local signal's review follows; an upheld appeal, or a reversal whose new
outcome still waits for a second reviewer, sends nothing; a send in flight when the
verdict changes does not mark the new one sent; and a failure between filing a match's
case and recording the match files neither, so no decided case lacks its verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import AppealOutcome, Outcome, Relationship
from mediaproof.exchange.models import CollectionSpec
from mediaproof.services import exchange, exchange_match, exchange_pull
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository
from tests.api.conftest import make_settings
from tests.factories import Reporter, notice_input
from tests.integration.test_exchange_db import PDQ_A, T0, banked, inst_of
from tests.integration.test_exchange_match import PDQ_X, PDQ_X_NEAR, row, sha, source

H = dt.timedelta(hours=1)


@pytest.fixture
def b(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    settings = make_settings(tmp_path / "b")
    inst = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        yield inst
    finally:
        inst.close()


@pytest.fixture
def a(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path / "a", rate_exchange_burst=1000)
    app = create_app(settings.model_copy(update={"database_url": db_url}))
    with TestClient(app):
        yield app


def _review(b: Instance, peer: str, value: str) -> Any:
    return next(s["review"] for s in exchange_pull.incoming(b, peer) if s["value"] == value)


def _rows(b: Instance) -> list[tuple[str, str, int]]:
    return [(v["opinion"], v["status"], v["attempts"]) for v in exchange_match.verdicts(b)]


def _mark_sent(b: Instance, now: dt.datetime, sent: str | None = None) -> None:
    """The source answered a send of the due verdicts (of opinion ``sent``, where one
    was read before the row changed)."""
    with b.db.session() as s:
        repo = IncomingRepository(s)
        for v in repo.verdicts(due=now):
            if sent is None:
                repo.verdict_done(v.id, now, status="sent", error=None)
            else:
                repo.verdict_done(v.id, now, status="sent", error=None, opinion=sent)


def test_a_reversal_on_appeal_is_sent_to_the_source_once(a: FastAPI, b: Instance) -> None:
    inst = inst_of(a)
    banked(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    secret, _ = exchange.grant(inst, "confirmed", "county-b", opine=True)
    exchange_pull.add_peer(
        b,
        "county-a",
        url="http://testserver",
        collection="confirmed",
        token=secret,
        key=exchange.public_key(inst),
    )
    client = TestClient(a)
    assert exchange_pull.pull_one(b, "county-a", client=client).status == "ok"
    seq = next(s["seq"] for s in exchange_pull.incoming(b, "county-a") if s["value"] == PDQ_A)
    svc = CaseService(b.db, sink=InMemoryEventSink())
    res = exchange_match.check_upload(
        b,
        svc,
        sha256=sha(9),
        fingerprints={"pdq": PDQ_A},
        content_url="https://video.example/v/9",
        now=T0,
    )
    assert res.case_number is not None
    labelled = svc.decide(
        res.case_number,
        reviewer="bea",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic: the candidate never said this.",
        now=T0,
    )
    out = exchange_match.send_verdicts(b, client=client, now=T0)
    assert [(o["status"], o["seq"]) for o in out] == [("sent", seq)]
    assert exchange.opinions(inst, None, "confirmed", seq)["owners"]["county-b"]["opinion"] == (
        "confirmed"
    )
    assert _review(b, "county-a", PDQ_A) == "confirmed"

    # the uploader appeals and a reviewer who took no part reverses the label
    assert labelled.uploader_token is not None
    ap = svc.appeal(labelled.uploader_token, grounds="It is my own labelled parody.", now=T0 + H)
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="A labelled parody: the label is lifted.",
        now=T0 + 2 * H,
    )
    later = T0 + 3 * H
    out = exchange_match.send_verdicts(b, client=client, now=later)
    assert [(o["status"], o["seq"]) for o in out] == [("sent", seq)]
    [v] = exchange_match.verdicts(b)
    assert (v["opinion"], v["status"]) == ("false_positive", "sent")
    assert "reversed on appeal" in v["reason"]
    # the appeal may reverse for reasons the signal does not speak to (a labelled
    # parody): the reason claims no finding about the media
    assert "not what the signal says" not in v["reason"]
    assert _review(b, "county-a", PDQ_A) == "false_positive"
    # the source now holds our new opinion (one per owner: the latest)
    owners = exchange.opinions(inst, None, "confirmed", seq)["owners"]
    assert owners["county-b"]["opinion"] == "false_positive"
    # once: later rounds send nothing more
    assert exchange_match.send_verdicts(b, client=client, now=later) == []
    assert exchange_match.send_verdicts(b, client=client, now=later + H) == []
    assert exchange_match.queue_verdicts(b, later + H) == 0


def _opened_case(b: Instance, svc: CaseService) -> str:
    source(b, [row(1, PDQ_X)])
    res = exchange_match.check_upload(
        b,
        svc,
        sha256=sha(2),
        fingerprints={"pdq": PDQ_X_NEAR},
        content_url="https://video.example/v/2",
        now=T0,
    )
    assert res.case_number is not None
    return res.case_number


def test_no_action_reversed_confirms_once_the_new_outcome_is_final(b: Instance) -> None:
    svc = CaseService(b.db, sink=InMemoryEventSink())
    number = _opened_case(b, svc)
    # a person reports the same media: their notice joins the case (and may appeal)
    human = svc.file_notice(
        notice_input(
            reporter=Reporter("Ana Reporter", "ana@example.org", Relationship.THIRD_PARTY),
            media_sha256=sha(2),
            content_url="https://video.example/v/2",
        ),
        T0,
    )
    assert human.case_number == number
    svc.decide(
        number,
        reviewer="bea",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="Looks authentic to me.",
        now=T0,
    )
    assert exchange_match.queue_verdicts(b, T0) == 1
    _mark_sent(b, T0)
    assert _rows(b) == [("false_positive", "sent", 1)]
    ap = svc.appeal(human.status_token, grounds="It is a clone of the voice.", now=T0 + H)
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="The voice is cloned; removal is right.",
        now=T0 + 2 * H,
        new_outcome=Outcome.REMOVE,
        rule_id="DM-1",
    )
    # must not trigger: the removal waits for a second reviewer; nothing is final yet
    assert exchange_match.queue_verdicts(b, T0 + 2 * H) == 0
    assert _rows(b) == [("false_positive", "sent", 1)]
    assert _review(b, "county-a", PDQ_X) == "false_positive"
    svc.confirm(number, reviewer="dave", now=T0 + 3 * H)
    assert exchange_match.queue_verdicts(b, T0 + 3 * H) == 1
    assert _rows(b) == [("confirmed", "pending", 0)]
    assert _review(b, "county-a", PDQ_X) == "confirmed"
    assert exchange_match.queue_verdicts(b, T0 + 4 * H) == 0  # once per reversal
    # a send of the old opinion in flight when it changed does not mark the new one sent
    _mark_sent(b, T0 + 4 * H, sent="false_positive")
    assert _rows(b) == [("confirmed", "pending", 0)]
    _mark_sent(b, T0 + 4 * H, sent="confirmed")
    assert _rows(b) == [("confirmed", "sent", 1)]
    assert exchange_match.queue_verdicts(b, T0 + 5 * H) == 0


def test_an_upheld_appeal_sends_nothing_again(b: Instance) -> None:
    svc = CaseService(b.db, sink=InMemoryEventSink())
    number = _opened_case(b, svc)
    labelled = svc.decide(
        number,
        reviewer="bea",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic: the candidate never said this.",
        now=T0,
    )
    assert exchange_match.queue_verdicts(b, T0) == 1
    _mark_sent(b, T0)
    assert labelled.uploader_token is not None
    ap = svc.appeal(labelled.uploader_token, grounds="It is my own labelled parody.", now=T0 + H)
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.UPHELD,
        explanation="Not a parody: the label stands.",
        now=T0 + 2 * H,
    )
    assert exchange_match.queue_verdicts(b, T0 + 3 * H) == 0
    assert _rows(b) == [("confirmed", "sent", 1)]
    assert _review(b, "county-a", PDQ_X) == "confirmed"


def test_a_failure_between_filing_and_recording_the_match_files_neither(
    b: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    source(b, [row(1, PDQ_X)])
    svc = CaseService(b.db, sink=InMemoryEventSink())
    real = IncomingRepository.add_match

    def crash(self: IncomingRepository, **kw: Any) -> int:
        if kw["outcome"] == "opened":  # the case is filed; its match is being recorded
            raise RuntimeError("the process died here")
        return real(self, **kw)

    monkeypatch.setattr(IncomingRepository, "add_match", crash)
    with pytest.raises(RuntimeError):
        exchange_match.check_upload(b, svc, sha256=sha(2), fingerprints={"pdq": PDQ_X_NEAR}, now=T0)
    # no case without its match (whose decision would never go back to the source)
    assert svc.queue() == []
    assert exchange_match.matches(b) == []
    monkeypatch.setattr(IncomingRepository, "add_match", real)
    # the upload matched again (a retry, or the next upload of it): both, as one
    res = exchange_match.check_upload(
        b, svc, sha256=sha(2), fingerprints={"pdq": PDQ_X_NEAR}, now=T0
    )
    assert res.case_number is not None
    assert [(m["outcome"], m["case_number"]) for m in exchange_match.matches(b)] == [
        ("opened", res.case_number)
    ]
    svc.decide(
        res.case_number,
        reviewer="bea",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="A press photo, not a deepfake.",
        now=T0,
    )
    assert exchange_match.queue_verdicts(b, T0) == 1
    assert _rows(b) == [("false_positive", "pending", 0)]
