"""Opinions on a collection's signals, on SQLite and PostgreSQL: peers with the opine
scope say what they found, each opinion is a leaf of the collection's log that a puller
verifies like any other update, the latest opinion per owner wins (history kept), and a
peer's dispute stops the bank acting automatically until the publisher re-confirms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.cases.bank import BankAction
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.errors import ConflictError, NotFoundError, PermissionDeniedError, UsageError
from mediaproof.exchange.models import CollectionSpec
from mediaproof.services import accounts, exchange, exchange_pull
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from tests.api.conftest import make_settings
from tests.integration.test_exchange_db import (
    PDQ_A,
    PDQ_C,
    T0,
    admin,
    banked,
    inst_of,
    peer_instance,
    reverse,
    values,
)


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path / "a", rate_exchange_burst=1000)
    a = create_app(settings.model_copy(update={"database_url": db_url}))
    with TestClient(a):  # runs the lifespan (and closes the instance after)
        yield a


def published(app: FastAPI) -> tuple[Instance, dict[str, object], dict[str, int]]:
    """Collection ``confirmed`` of County A with its three signals; seq by value."""
    inst = inst_of(app)
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    exchange.create_collection(inst, CollectionSpec("other", "County A"))
    exchange.sync(inst)
    rows = exchange.updates(inst, None, "confirmed")["updates"]
    return inst, cases, {u["value"]: u["seq"] for u in rows}


def peer(inst: Instance, name: str, *, opine: bool = True, collection: str = "confirmed"):  # type: ignore[no-untyped-def]
    secret, _ = exchange.grant(inst, collection, name, opine=opine)
    p = accounts.token_principal(inst, secret)
    assert p is not None
    return p


def test_opinions_are_log_leaves_and_the_latest_per_owner_wins(app: FastAPI) -> None:
    inst, _, seq = published(app)
    b, c = peer(inst, "county-b"), peer(inst, "county-c")
    a = seq[PDQ_A]
    out = exchange.opine(
        inst,
        b,
        "confirmed",
        a,
        "disputed",
        "A parody account posted it; ask jane.doe@example.org or +44 20 7946 0958",
        now=T0 + dt.timedelta(days=1),
    )
    op = out["opinion"]
    assert (op["seq"], op["opinion"], op["owner"], op["category"]) == (
        4,
        "disputed",
        "county-b",
        "negative_class",
    )
    assert "jane.doe@example.org" not in op["reason"] and "7946" not in op["reason"]
    assert op["reason"].startswith("A parody account posted it")
    # the opinion is in the feed, with an inclusion proof like every row
    page = exchange.updates(inst, b, "confirmed", after=3)
    assert [(u["seq"], u.get("opinion"), u["value"]) for u in page["updates"]] == [
        (4, "disputed", PDQ_A)
    ]
    assert page["updates"][0]["inclusion_proof"]
    # ...and changes no signal: snapshots and syncs ignore it
    assert exchange.sync(inst, "confirmed")[0].added == 0
    _, snap = exchange.snapshot(inst, b, "confirmed", "json")
    assert isinstance(snap, dict) and len(snap["signals"]) == 3

    agg = exchange.opinions(inst, b, "confirmed", a)
    assert agg["aggregate"] == "disputed" and agg["acting"] is False
    assert agg["counts"]["disputed"] == 1 and agg["suspended_by"]["owner"] == "county-b"

    # the same owner changes its mind: its latest opinion replaces the earlier one
    exchange.opine(inst, b, "confirmed", a, "confirmed", "Our reviewers confirmed it after all")
    agg = exchange.opinions(inst, b, "confirmed", a)
    assert agg["counts"] == {"confirmed": 1, "false_positive": 0, "disputed": 0, "seen": 0}
    assert [h["opinion"] for h in agg["history"]] == ["disputed", "confirmed"]
    assert (agg["aggregate"], agg["acting"]) == ("positive_class", True)

    exchange.opine(inst, c, "confirmed", a, "seen", "Matched two uploads")
    assert exchange.opinions(inst, c, "confirmed", a)["aggregate"] == "positive_class"
    exchange.opine(inst, c, "confirmed", a, "false_positive", "It matched a weather map")
    agg = exchange.opinions(inst, c, "confirmed", a)
    assert agg["counts"]["confirmed"] == 1 and agg["counts"]["false_positive"] == 1
    assert sorted(agg["owners"]) == ["county-b", "county-c"]
    assert (agg["aggregate"], agg["acting"]) == ("disputed", False)
    assert [d["by"] for d in exchange.disputes(inst)] == ["county-c"]

    # the publisher re-confirms (CLI or admin): it acts again, until a newer dispute
    exchange.opine(inst, admin(inst), "confirmed", a, "confirmed", "Re-checked by two reviewers")
    agg = exchange.opinions(inst, None, "confirmed", a)
    assert agg["acting"] is True and agg["owners"]["County A"]["opinion"] == "confirmed"
    assert exchange.disputes(inst) == []
    exchange.opine(inst, b, "confirmed", a, "disputed", "New context: it is satire")
    assert exchange.opinions(inst, None, "confirmed", a)["acting"] is False
    # reading opinions is audited like every read
    assert "opinions" in {r["what"] for r in exchange.reads(inst, "confirmed")}


def test_who_may_opine_on_what(app: FastAPI) -> None:
    inst, cases, seq = published(app)
    reader = peer(inst, "county-d", opine=False)
    b = peer(inst, "county-b")
    with pytest.raises(PermissionDeniedError):  # no opine scope
        exchange.opine(inst, reader, "confirmed", 1, "seen", "matched")
    with pytest.raises(PermissionDeniedError):  # not granted that collection
        exchange.opine(inst, b, "other", 1, "seen", "matched")
    with pytest.raises(PermissionDeniedError):  # no hint whether it exists
        exchange.opine(inst, b, "missing", 1, "seen", "matched")
    for far in (99, 2**31, 2**63 - 1):  # past the 32-bit seq column: still a plain 404
        with pytest.raises(NotFoundError):
            exchange.opine(inst, b, "confirmed", far, "seen", "matched")
        with pytest.raises(NotFoundError):
            exchange.opinions(inst, b, "confirmed", far)
    assert exchange.updates(inst, b, "confirmed", after=2**31)["updates"] == []
    exchange.opine(inst, b, "confirmed", 1, "seen", "matched")
    with pytest.raises(NotFoundError):  # an opinion row is not a signal
        exchange.opine(inst, b, "confirmed", 4, "seen", "matched")
    with pytest.raises(UsageError):
        exchange.opine(inst, b, "confirmed", 1, "great", "matched")
    with pytest.raises(UsageError):
        exchange.opine(inst, b, "confirmed", 1, "seen", "  \n ")
    with pytest.raises(UsageError):
        exchange.opine(inst, b, "confirmed", 1, "seen", "x" * 1001)
    # a withdrawn signal takes no opinions
    reverse(cases, "c")
    exchange.sync(inst, "confirmed")
    with pytest.raises(ConflictError):
        exchange.opine(inst, b, "confirmed", seq[PDQ_C], "disputed", "gone anyway")


def test_a_disputed_signal_stops_the_bank_acting_until_reconfirmed(app: FastAPI) -> None:
    inst, _, seq = published(app)
    b = peer(inst, "county-b")
    svc = CaseService(inst.db, sink=InMemoryEventSink())
    copy = "1" * 64  # the upload identical to the media of case A (PDQ_A)

    def check(n: int) -> BankAction:
        return svc.check_upload(
            copy, fingerprints={"pdq": PDQ_A}, now=T0 + dt.timedelta(days=n)
        ).action

    assert check(1) is BankAction.LABEL  # confirmed media acts on an identical copy
    exchange.opine(inst, b, "confirmed", seq[PDQ_A], "false_positive", "Matches a test card")
    held = svc.check_upload(copy, fingerprints={"pdq": PDQ_A}, now=T0 + dt.timedelta(days=2))
    assert held.action is BankAction.QUEUE  # people decide; nothing applied
    assert held.applied is None
    # and people get to decide: a case of its own in the review queue, not a notice on the
    # decided case (which stays decided, out of the queue)
    assert held.receipt is not None and held.receipt.case_number != held.matched_case
    assert held.receipt.case_number in [c.number for c in svc.queue()]
    note = svc.show(held.receipt.case_number).notices[0].explanation
    assert "identical (sha256)" in note and "a trusted peer disputed the signal" in note
    exchange.opine(inst, None, "confirmed", seq[PDQ_A], "confirmed", "Re-checked")
    assert check(3) is BankAction.LABEL


def test_a_puller_verifies_opinions_and_holds_them_apart(app: FastAPI, tmp_path: Path) -> None:
    inst, _, seq = published(app)
    secret, _ = exchange.grant(inst, "confirmed", "county-b", opine=True)
    b = peer_instance(tmp_path)
    try:
        exchange_pull.add_peer(
            b,
            "county-a",
            url="http://testserver",
            collection="confirmed",
            token=secret,
            key=exchange.public_key(inst),
        )
        client = TestClient(app)
        assert exchange_pull.pull_one(b, "county-a", client=client).size == 3
        # B's reviewers send their verdict back with the token A gave them
        sent = exchange_pull.send_opinion(
            b, "county-a", seq[PDQ_A], "disputed", "Satire, labelled", client=client
        )
        assert sent["opinion"]["owner"] == "county-b" and sent["signal"]["acting"] is False
        with pytest.raises(NotFoundError):
            exchange_pull.send_opinion(b, "county-a", 99, "seen", "matched", client=client)
        with pytest.raises(UsageError):  # checked before anything leaves
            exchange_pull.send_opinion(b, "county-a", 1, "great", "matched", client=client)
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.added, r.removed, r.size) == ("ok", 0, 0, 4)
        assert ("pdq", PDQ_A) in values(b)  # the signal stays; the opinion is not one
        # over HTTP: the opinion routes, with a pydantic answer
        h = {"Authorization": f"Bearer {secret}"}
        url = f"/api/v1/exchange/collections/confirmed/signals/{seq[PDQ_A]}/opinions"
        got = client.get(url, headers=h)
        assert got.status_code == 200 and got.json()["acting"] is False
        posted = client.post(url, headers=h, json={"opinion": "seen", "reason": "matched once"})
        assert posted.status_code == 201, posted.text
        assert posted.json()["opinion"]["seq"] == 5
    finally:
        b.close()


def test_a_read_only_token_cannot_send_opinions(app: FastAPI, tmp_path: Path) -> None:
    inst, _, _ = published(app)
    secret, _ = exchange.grant(inst, "confirmed", "county-b")  # no --opine
    b = peer_instance(tmp_path)
    try:
        exchange_pull.add_peer(
            b,
            "county-a",
            url="http://testserver",
            collection="confirmed",
            token=secret,
            key=exchange.public_key(inst),
        )
        with pytest.raises(PermissionDeniedError):
            exchange_pull.send_opinion(b, "county-a", 1, "seen", "matched", client=TestClient(app))
        with pytest.raises(NotFoundError):
            exchange_pull.send_opinion(b, "nobody", 1, "seen", "matched")
    finally:
        b.close()
