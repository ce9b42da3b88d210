"""Signals pulled from peers, matched against uploads, on SQLite and PostgreSQL: the
quality gate keeps flat and low-quality PDQ hashes out of the matchable store (counted per
source); a match opens a case for review that names the source and its log proof and
applies nothing; known-benign signals (a source's negative class, the local negative
list) suppress it; the flood guard quarantines a signal whose match rate jumps until a
reviewer releases it; and a reviewer's decision goes back to the source as an opinion
(queued, retried while the source is down, sent once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import Outcome
from mediaproof.errors import UsageError
from mediaproof.exchange.models import Category, CollectionSpec, FeedRow, SignalType
from mediaproof.services import exchange, exchange_match, exchange_pull
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository
from tests.api.conftest import make_settings
from tests.integration.test_exchange_db import PDQ_A, T0, banked, inst_of

# a PDQ with 128 bits set, one 3 bits from it, and one far from both
PDQ_X = "5a" * 32
PDQ_X_NEAR = "5d" + "5a" * 31  # 0x5a ^ 0x5d = 0b111: 3 bits
PDQ_FAR = "a5" * 32  # every bit flipped: 256 bits away
MD5_V = "0123456789abcdef" * 2


def _flip(value: str, bits: int) -> str:
    n = int(value, 16) ^ ((1 << bits) - 1)
    return f"{n:064x}"


def row(
    seq: int,
    value: str,
    *,
    st: SignalType = SignalType.PDQ,
    quality: int | None = None,
    category: Category = Category.POSITIVE_CLASS,
    deleted: bool = False,
) -> FeedRow:
    return FeedRow(
        "elections",
        seq,
        st,
        value,
        category,
        ("deepfake_of_candidate",),
        quality,
        "County A Elections",
        deleted,
        "2026-11-03T09:00:00Z",
    )


@pytest.fixture
def b(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    settings = make_settings(tmp_path / "b", exchange_flood_matches=3)
    inst = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        yield inst
    finally:
        inst.close()


def source(b: Instance, rows: list[FeedRow], name: str = "county-a") -> None:
    """A peer whose verified updates were ``rows`` (the pull's checks are tested in
    test_exchange_db.py; here what is stored after them)."""
    key = exchange.public_key(b)
    exchange_pull.add_peer(
        b, name, url="http://x.example", collection="elections", token="t", key=key
    )
    with b.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer(name)
        assert p is not None
        repo.apply_updates(p.id, rows, T0)
        repo.pull_ok(name, T0, size=len(rows), root="ab" * 32, note="note")


def sha(n: int) -> str:
    return f"{n:064x}"


def test_quality_gate_keeps_flat_and_low_quality_hashes_out(b: Instance) -> None:
    ninety_six = _flip("0" * 64, 96)  # exactly 96 bits set: the lowest kept
    source(
        b,
        [
            row(1, PDQ_X),  # no quality in the feed: kept
            row(2, PDQ_FAR, quality=50),  # at the threshold: kept
            row(3, "b2" * 32, quality=49),  # below: gated
            row(4, "0" * 64),  # flat image: all zero
            row(5, "f" * 64),  # all ones
            row(6, _flip("0" * 64, 95)),  # 95 bits set: degenerate
            row(7, ninety_six),
            row(8, MD5_V, st=SignalType.VIDEO_MD5, quality=10),  # an exact type: no gate
        ],
    )
    held = {s["value"] for s in exchange_pull.incoming(b, "county-a")}
    assert held == {PDQ_X, PDQ_FAR, ninety_six, MD5_V}
    status = exchange_pull.peers(b)[0]
    assert status["gated"] == {"low_quality": 1, "flat": 3}
    assert status["signals"] == 4
    # a later update that fails the gate takes a held signal out (and counts)
    with b.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer("county-a")
        assert p is not None
        done = repo.apply_updates(p.id, [row(9, PDQ_X, quality=20)], T0)
        assert (done.added, done.removed, done.gated) == (0, 1, {"low_quality": 1})
    assert exchange_pull.peers(b)[0]["gated"] == {"low_quality": 2, "flat": 3}


def test_a_match_opens_a_case_for_review_naming_the_source(b: Instance) -> None:
    source(b, [row(1, PDQ_X), row(2, MD5_V, st=SignalType.VIDEO_MD5)])
    svc = CaseService(b.db, sink=InMemoryEventSink())
    # must not trigger: an unrelated upload matches nothing and opens nothing
    none = exchange_match.check_upload(
        b, svc, sha256=sha(1), fingerprints={"pdq": PDQ_FAR}, md5="f" * 32, now=T0
    )
    assert none.case_number is None and not none.opened
    assert svc.queue() == []

    res = exchange_match.check_upload(
        b, svc, sha256=sha(2), fingerprints={"pdq": PDQ_X_NEAR}, now=T0
    )
    assert res.case_number is not None
    assert [(h["source"], h["log_index"], h["distance"]) for h in res.opened] == [
        ("county-a", 0, 3)
    ]
    detail = svc.show(res.case_number)
    text = detail.notices[0].explanation
    assert "exchange peer county-a" in text and "collection elections" in text
    assert "log index 0" in text and "checkpoint of size 2" in text
    assert "nothing is applied" in text
    # it claims no confirmation here: not the bank's wording for confirmed media
    assert "confirmed as deceptive" not in text and "confirmed this signal" not in text
    assert detail.decisions == () and detail.actions == ()
    assert detail.case.state.value == "open"
    # a video identical to a pulled video_md5 signal
    v = exchange_match.check_upload(b, svc, sha256=sha(3), fingerprints={}, md5=MD5_V, now=T0)
    assert [h["signal_type"] for h in v.opened] == ["video_md5"]
    ms = exchange_match.matches(b)
    assert {(m["outcome"], m["case_number"]) for m in ms} == {
        ("opened", res.case_number),
        ("opened", v.case_number),
    }
    assert all(m["checkpoint_root"] == "ab" * 32 for m in ms)


def test_known_benign_signals_suppress_matches(b: Instance) -> None:
    benign = _flip(PDQ_X, 200)  # far from PDQ_X: some other, benign picture
    source(b, [row(1, PDQ_X), row(2, benign, category=Category.NEGATIVE_CLASS)])
    svc = CaseService(b.db, sink=InMemoryEventSink())
    # the positive's own picture, also on the negative: the source says it is benign
    source(b, [row(1, PDQ_X_NEAR, category=Category.NEGATIVE_CLASS)], name="county-c")
    res = exchange_match.check_upload(b, svc, sha256=sha(2), fingerprints={"pdq": PDQ_X}, now=T0)
    assert res.case_number is None and [h["seq"] for h in res.suppressed] == [1]
    assert "known-benign signal from county-c" in res.reasons[0]
    assert exchange_match.matches(b)[0]["outcome"] == "suppressed"
    assert svc.queue() == []


def test_the_local_negative_list_suppresses_and_only_its_own_media(b: Instance) -> None:
    source(b, [row(1, PDQ_X), row(2, PDQ_FAR)])
    svc = CaseService(b.db, sink=InMemoryEventSink())
    exchange_match.add_negative(b, "pdq", PDQ_X, "Our own press photo", now=T0)
    with pytest.raises(UsageError):  # a type no exchange carries
        exchange_match.add_negative(b, "tmk", PDQ_X, "not matched here")
    res = exchange_match.check_upload(
        b, svc, sha256=sha(1), fingerprints={"pdq": PDQ_X_NEAR}, now=T0
    )
    assert res.case_number is None
    assert "the local negative list (Our own press photo)" in res.reasons[0]
    # must not trigger: the negative does not suppress a match on other media
    other = exchange_match.check_upload(
        b, svc, sha256=sha(2), fingerprints={"pdq": PDQ_FAR}, now=T0
    )
    assert other.case_number is not None and other.suppressed == ()
    assert exchange_match.remove_negative(b, "pdq", PDQ_X)
    again = exchange_match.check_upload(b, svc, sha256=sha(3), fingerprints={"pdq": PDQ_X}, now=T0)
    assert again.case_number is not None


def test_the_flood_guard_quarantines_until_released(b: Instance) -> None:
    source(b, [row(1, PDQ_X)])
    svc = CaseService(b.db, sink=InMemoryEventSink())

    def upload(n: int, minutes: int = 0) -> exchange_match.MatchResult:
        return exchange_match.check_upload(
            b,
            svc,
            sha256=sha(n),
            fingerprints={"pdq": PDQ_X_NEAR},
            now=T0 + dt.timedelta(minutes=minutes),
        )

    assert all(upload(n).case_number for n in (1, 2, 3))  # the limit is 3 per hour
    assert upload(3).case_number  # the same file again does not count twice
    flood = upload(4)
    assert flood.case_number is None and [h["seq"] for h in flood.quarantined] == [1]
    assert "flood guard" in flood.reasons[0]
    assert exchange_pull.peers(b)[0]["quarantined"] == 1
    assert exchange_pull.incoming(b, "county-a")[0]["quarantined"] is True
    assert [q["seq"] for q in exchange_match.quarantined(b)] == [1]
    # quarantined: later matches open nothing, even after the window
    assert upload(5, minutes=120).case_number is None
    exchange_match.release(b, "county-a", 1)
    with pytest.raises(UsageError):
        exchange_match.release(b, "county-a", 1)  # not quarantined any more
    assert exchange_match.quarantined(b) == []
    assert upload(6, minutes=121).case_number is not None


@pytest.fixture
def a(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path / "a", rate_exchange_burst=1000)
    app = create_app(settings.model_copy(update={"database_url": db_url}))
    with TestClient(app):
        yield app


def test_a_verdict_goes_back_to_the_source_once(a: FastAPI, b: Instance) -> None:
    inst = inst_of(a)
    banked(inst)  # A's bank: PDQ_A confirmed by two reviewers (and others)
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
    res = exchange_match.check_upload(b, svc, sha256=sha(9), fingerprints={"pdq": PDQ_A}, now=T0)
    assert res.case_number is not None
    # nothing is sent before a reviewer decides
    assert exchange_match.send_verdicts(b, client=client, now=T0) == []
    svc.decide(
        res.case_number,
        reviewer="bea",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="A press photo, not a deepfake.",
        now=T0,
    )

    # the source is down: the verdict stays queued and is retried later
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as dead:
        out = exchange_match.send_verdicts(b, client=dead, now=T0)
    assert [(o["status"], o["seq"]) for o in out] == [("pending", seq)]
    assert exchange_match.send_verdicts(b, client=client, now=T0) == []  # backing off
    later = T0 + dt.timedelta(minutes=5)
    out = exchange_match.send_verdicts(b, client=client, now=later)
    assert [(o["status"], o["seq"]) for o in out] == [("sent", seq)]
    assert exchange_match.send_verdicts(b, client=client, now=later) == []  # sent once
    [v] = exchange_match.verdicts(b)
    assert (v["opinion"], v["status"], v["attempts"]) == ("false_positive", "sent", 2)
    assert (
        next(s["review"] for s in exchange_pull.incoming(b, "county-a") if s["value"] == PDQ_A)
        == "false_positive"
    )
    # A recorded it as county-b's opinion on its signal
    seen = exchange.opinions(inst, None, "confirmed", seq)
    assert seen["owners"]["county-b"]["opinion"] == "false_positive"
