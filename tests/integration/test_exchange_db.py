"""The exchange on SQLite and PostgreSQL: collections follow the bank through their rule,
peers read only what they were granted (audited, rate-limited), and a puller behind the
real HTTP stack stores verified updates, drops withdrawn ones, reloads a snapshot past
the horizon, and refuses, storing nothing, a history rewritten in the publisher's
database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from mediaproof.accounts.models import Principal, Role
from mediaproof.api import create_app
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import (
    AppealOutcome,
    NoticeInput,
    Outcome,
    Relationship,
)
from mediaproof.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from mediaproof.exchange.errors import BehindHorizonError
from mediaproof.exchange.models import CollectionSpec, InclusionRule, Require, SignalType
from mediaproof.services import accounts, exchange, exchange_pull
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.account_repos import TokenRepository
from mediaproof.storage.sql.repos_exchange import ExchangeRepository
from mediaproof.storage.sql.tables import Base
from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow, ExchangeUpdateRow
from tests.api.conftest import make_settings
from tests.factories import Reporter, decided_case, notice_input

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
PDQ_A, PDQ_B, PDQ_C = "a1" * 32, "b2" * 32, "c3" * 32
VPDQ_A = ",".join(["d4" * 32, "e5" * 32])


def notice(sha: str, prints: dict[str, str], n: int) -> NoticeInput:
    return notice_input(
        reporter=Reporter(f"Reporter {n}", f"r{n}@example.org", Relationship.THIRD_PARTY),
        explanation="A synthetic clip of the candidate announcing she quits the race.",
        media_sha256=sha,
        content_url=f"https://video.example/v/{n}",
        location="video.example",
        fingerprints=prints,
        mime="image/jpeg",
    )


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path / "a", rate_exchange_burst=1000)
    a = create_app(settings.model_copy(update={"database_url": db_url}))
    with TestClient(a):  # runs the lifespan (and closes the instance after)
        yield a


def inst_of(app: FastAPI) -> Instance:
    i: Instance = app.state.ctx.inst
    return i


def banked(inst: Instance) -> dict[str, Any]:
    """Three bank entries: two-reviewer removal (A), one-reviewer label (B), and a
    removal later reversed on appeal (C)."""
    svc = CaseService(inst.db, sink=InMemoryEventSink())
    out: dict[str, Any] = {}
    for n, (key, prints, outcome) in enumerate(
        [
            ("a", {"pdq": PDQ_A, "vpdq": VPDQ_A}, Outcome.REMOVE),
            ("b", {"pdq": PDQ_B}, Outcome.LABEL),
            ("c", {"pdq": PDQ_C}, Outcome.REMOVE),
        ]
    ):
        c = decided_case(
            svc,
            notice(f"{n + 1:x}" * 64, prints, n),
            filed_at=T0,
            outcome=outcome,
            explanation="Synthetic voice; the event never happened.",
            decided_at=T0 + dt.timedelta(hours=1),
            second_reviewer="bob" if outcome is Outcome.REMOVE else None,
            confirmed_at=T0 + dt.timedelta(hours=2),
        )
        out[key] = (c.case_number, c.decision.uploader_token)
    out["svc"] = svc
    return out


def reverse(cases: dict[str, Any], key: str) -> None:
    svc: CaseService = cases["svc"]
    _number, token = cases[key]
    a = svc.appeal(
        token, grounds="This is my own satire, clearly labelled.", now=T0 + dt.timedelta(hours=3)
    )
    svc.decide_appeal(
        a.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="Labelled satire; the removal is reversed.",
        now=T0 + dt.timedelta(hours=4),
    )


def admin(inst: Instance) -> Principal:
    accounts.create_user(inst, "admin", Role.ADMIN, "a long test password")
    secret, _ = accounts.login(inst, "admin", "a long test password")
    p = accounts.session_principal(inst, secret)
    assert p is not None
    return p


@pytest.mark.empty_database
def test_migration_matches_tables(app: FastAPI) -> None:
    inst = inst_of(app)
    names = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("exchange_")}
    # exchange_contributions (0018), exchange_matches, _verdicts, _negatives (0022) and
    # exchange_source_records (0023), exchange_tree_nodes (0031), exchange_sync_inputs (0034)
    assert len(names) == 14
    with inst.db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert [d for d in diff if any(n in repr(d) for n in names)] == []


def test_collections_follow_the_bank_by_their_rule(app: FastAPI) -> None:
    inst = inst_of(app)
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    exchange.create_collection(
        inst,
        CollectionSpec(
            "all-final",
            "County A",
            signal_types=(SignalType.PDQ,),
            rule=InclusionRule(Require.FINAL_DECISION),
        ),
    )
    res = {r.collection: r for r in exchange.sync(inst)}
    assert (res["confirmed"].added, res["all-final"].added) == (3, 3)
    who = admin(inst)
    page = exchange.updates(inst, who, "confirmed")
    got = {(u["signal_type"], u["value"]) for u in page["updates"]}
    # two-reviewer removals only: A (PDQ and vPDQ) and C; B had one reviewer
    assert got == {("pdq", PDQ_A), ("vpdq", VPDQ_A), ("pdq", PDQ_C)}
    assert [u["seq"] for u in page["updates"]] == [1, 2, 3]
    assert all(
        u["owner"] == "County A" and u["category"] == "positive_class" for u in page["updates"]
    )
    assert all(u["tags"] == ["deepfake_of_candidate"] for u in page["updates"])
    final = exchange.updates(inst, who, "all-final")
    assert {u["value"] for u in final["updates"]} == {PDQ_A, PDQ_B, PDQ_C}

    # a second sync changes nothing; a reversal on appeal becomes a tombstone
    assert exchange.sync(inst, "confirmed")[0].added == 0
    reverse(cases, "c")
    r = exchange.sync(inst, "confirmed")[0]
    assert (r.added, r.withdrawn, r.size) == (0, 1, 4)
    tomb = exchange.updates(inst, who, "confirmed", after=3)["updates"]
    assert [(t["value"], t["deleted"], t["leaf_index"]) for t in tomb] == [(PDQ_C, True, 3)]
    # an admin's withdrawal stays withdrawn
    exchange.withdraw(inst, "confirmed", "pdq", PDQ_A, "asked by the candidate's office")
    assert exchange.sync(inst, "confirmed")[0].added == 0
    _, local = exchange.snapshot(inst, who, "confirmed", "local_file")
    assert local == ""  # vPDQ travels in the JSON feed only
    _, snap = exchange.snapshot(inst, who, "confirmed", "json")
    assert isinstance(snap, dict)
    assert [(s["signal_type"], s["value"]) for s in snap["signals"]] == [("vpdq", VPDQ_A)]


def test_grants_scope_reads_and_every_read_is_audited(app: FastAPI) -> None:
    inst = inst_of(app)
    banked(inst)
    for name in ("confirmed", "other"):
        exchange.create_collection(inst, CollectionSpec(name, "County A"))
    secret, token_id = exchange.grant(inst, "confirmed", "county-b")
    peer = accounts.token_principal(inst, secret)
    assert peer is not None and peer.token_id == token_id
    assert [c["name"] for c in exchange.visible_collections(inst, peer)] == ["confirmed"]
    assert len(exchange.updates(inst, peer, "confirmed")["updates"]) == 3
    with pytest.raises(PermissionDeniedError):
        exchange.updates(inst, peer, "other")
    with pytest.raises(PermissionDeniedError):  # no hint whether it exists
        exchange.updates(inst, peer, "missing")
    with pytest.raises(NotFoundError):
        exchange.updates(inst, admin(inst), "missing")
    # a token the peer makes for itself has the scope but no grant
    own, _ = accounts.issue_token(inst, "county-b", "mine", ["exchange:read"])
    mine = accounts.token_principal(inst, own)
    assert mine is not None
    with pytest.raises(PermissionDeniedError):
        exchange.updates(inst, mine, "confirmed")
    reads = exchange.reads(inst, "confirmed")
    assert [(r["what"], r["token_id"], r["rows"]) for r in reads] == [("updates", token_id, 3)]
    # a second grant to the same peer is a separate token; the account stays a peer
    exchange.grant(inst, "other", "county-b")
    accounts.create_user(inst, "bob", Role.REVIEWER, "a long test password")
    with pytest.raises(Exception, match="not a peer account"):
        exchange.grant(inst, "other", "bob")

    with TestClient(app) as c:
        h = {"Authorization": f"Bearer {secret}"}
        r = c.get("/api/v1/exchange/collections/confirmed/updates", params={"limit": 2}, headers=h)
        assert r.status_code == 200 and r.json()["more"] is True
        assert c.get("/api/v1/exchange/collections/other/updates", headers=h).status_code == 403
        assert c.get("/api/v1/exchange/collections/confirmed/updates").status_code == 401
        snap = c.get("/api/v1/exchange/collections/confirmed/snapshot?format=local_file", headers=h)
        assert snap.status_code == 200 and snap.text == f"pdq {PDQ_A}\npdq {PDQ_C}\n"
        csv_ = c.get("/api/v1/exchange/collections/confirmed/snapshot?format=csv", headers=h)
        assert csv_.text.splitlines()[0] == "signal_type,signal_str,collab,category,tags"
        assert (
            c.get(
                "/api/v1/exchange/collections/confirmed/snapshot?format=xml", headers=h
            ).status_code
            == 400
        )
        bad = c.get("/api/v1/exchange/collections/confirmed/updates?size=99", headers=h)
        assert bad.status_code == 400
        # revoking the token (the accounts machinery) ends the peer's access
        with inst.db.session() as s:
            TokenRepository(s).revoke(token_id, dt.datetime.now(dt.UTC))
        gone = c.get("/api/v1/exchange/collections/confirmed/checkpoint", headers=h)
        assert gone.status_code == 401


def test_rate_limit_is_per_peer_token(tmp_path: Path) -> None:
    a = create_app(make_settings(tmp_path / "a", rate_exchange_burst=2, rate_exchange_per_min=1))
    with TestClient(a) as c:
        inst = inst_of(a)
        exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
        one, _ = exchange.grant(inst, "confirmed", "county-b")
        two, _ = exchange.grant(inst, "confirmed", "county-c")
        url = "/api/v1/exchange/collections/confirmed/checkpoint"
        codes = [
            c.get(url, headers={"Authorization": f"Bearer {one}"}).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        assert c.get(url, headers={"Authorization": f"Bearer {two}"}).status_code == 200
        with pytest.raises(RateLimitedError):
            a.state.ctx.limiter.take("exchange", "token:1")


def peer_instance(tmp_path: Path) -> Instance:
    return Instance(make_settings(tmp_path / "b"))


def setup_pull(app: FastAPI, tmp_path: Path) -> tuple[Instance, Any, TestClient]:
    inst = inst_of(app)
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    secret, _ = exchange.grant(inst, "confirmed", "county-b")
    b = peer_instance(tmp_path)
    exchange_pull.add_peer(
        b,
        "county-a",
        url="http://testserver",
        collection="confirmed",
        token=secret,
        key=exchange.public_key(inst),
    )
    return b, cases, TestClient(app)


def values(b: Instance) -> set[tuple[str, str]]:
    return {(s["signal_type"], s["value"]) for s in exchange_pull.incoming(b, "county-a")}


def test_pull_stores_verified_updates_and_tombstones(app: FastAPI, tmp_path: Path) -> None:
    b, cases, client = setup_pull(app, tmp_path)
    try:
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.added, r.removed, r.size) == ("ok", 3, 0, 3)
        assert values(b) == {("pdq", PDQ_A), ("vpdq", VPDQ_A), ("pdq", PDQ_C)}
        assert all(s["review"] == "pending" for s in exchange_pull.incoming(b, "county-a"))
        reverse(cases, "c")
        exchange.sync(inst_of(app), "confirmed")
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.added, r.removed, r.size) == ("ok", 0, 1, 4)
        assert ("pdq", PDQ_C) not in values(b)
        again = exchange_pull.pull_one(b, "county-a", client=client)
        assert (again.status, again.added, again.removed) == ("ok", 0, 0)
        status = exchange_pull.peers(b)[0]
        assert status["status"] == "ok" and status["size"] == 4
    finally:
        b.close()


def test_pull_pages(app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange_pull, "MAX_PAGE", 2)
    b, _, client = setup_pull(app, tmp_path)
    try:
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.added, r.size) == ("ok", 3, 3)
    finally:
        b.close()


@pytest.mark.parametrize("how", ["change", "drop"])
def test_a_rewritten_history_is_refused_and_nothing_stored(
    app: FastAPI, tmp_path: Path, how: str
) -> None:
    b, cases, client = setup_pull(app, tmp_path)
    inst = inst_of(app)
    try:
        assert exchange_pull.pull_one(b, "county-a", client=client).status == "ok"
        before = values(b)
        reverse(cases, "c")  # something new to pull, so the refusal must hold it back
        exchange.sync(inst, "confirmed")
        with inst.db.session() as s:
            cid = s.scalar(select(ExchangeCollectionRow.id))
            where = (ExchangeUpdateRow.collection_id == cid) & (ExchangeUpdateRow.seq == 2)
            if how == "change":
                s.execute(update(ExchangeUpdateRow).where(where).values(category="negative_class"))
            else:
                s.execute(delete(ExchangeUpdateRow).where(where))
        r = exchange_pull.pull_one(b, "county-a", client=client, force=True)
        assert r.status == "refused" and r.message is not None
        assert "rewritten" in r.message or "missing" in r.message
        assert values(b) == before  # nothing from the refused pull
        st = exchange_pull.peers(b)[0]
        assert st["status"] == "refused" and st["size"] == 3 and st["failures"] == 1
        assert st["next_attempt_at"] is not None
        # backoff: the next scheduled pull waits, a forced one is refused again
        assert exchange_pull.pull_one(b, "county-a", client=client).status == "backoff"
        assert exchange_pull.pull_one(b, "county-a", client=client, force=True).status == "refused"
        # the publisher notices too
        exchange.sync(inst, "confirmed")
        alarm = exchange.list_collections(inst)[0]["alarm"]
        assert alarm and "no longer extends" in alarm
    finally:
        b.close()


def test_behind_the_horizon_reloads_the_snapshot(app: FastAPI, tmp_path: Path) -> None:
    b, cases, client = setup_pull(app, tmp_path)
    inst = inst_of(app)
    try:
        assert exchange_pull.pull_one(b, "county-a", client=client).added == 3
        reverse(cases, "c")
        exchange.sync(inst, "confirmed")
        exchange.withdraw(inst, "confirmed", "vpdq", VPDQ_A, "reissued")
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
        with inst.db.session() as s:
            s.execute(
                update(ExchangeUpdateRow).where(ExchangeUpdateRow.seq <= 4).values(created_at=old)
            )
        who = admin(inst)
        with pytest.raises(BehindHorizonError):
            exchange.updates(inst, who, "confirmed", after=3)
        # the horizon itself (the newest old row) is a position still served
        assert exchange.updates(inst, who, "confirmed", after=4)["size"] == 5
        with inst.db.session() as s:
            repo = ExchangeRepository(s)
            c = repo.collection("confirmed")
            assert c is not None
            cut = dt.datetime.now(dt.UTC) - dt.timedelta(days=100)
            horizon = repo.horizon(c, cut)
            assert horizon == 4
            for after in range(0, 7):
                assert repo.written_before_after(c, after, cut) == (after < horizon)
        assert exchange.updates(inst, who, "confirmed", after=0)["size"] == 5
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.size) == ("ok", 5)
        assert values(b) == {("pdq", PDQ_A)}  # the reload dropped what was withdrawn
    finally:
        b.close()


def test_a_row_changed_between_pages_fails_its_proof(app: FastAPI) -> None:
    """Later pages reuse the tree the first page hashed; rows are read afresh."""
    import base64

    from mediaproof.exchange.errors import PullRefusedError
    from mediaproof.exchange.log import ProvedRow, origin_for, verify_pull
    from mediaproof.exchange.models import FeedRow
    from mediaproof.transparency.note import Ed25519Verifier

    inst = inst_of(app)
    banked(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    who = admin(inst)
    first = exchange.updates(inst, who, "confirmed", limit=2)
    n = first["size"]
    with inst.db.session() as s:
        s.execute(update(ExchangeUpdateRow).where(ExchangeUpdateRow.seq == 3).values(tags="x"))
    second = exchange.updates(inst, who, "confirmed", after=2, size=n)
    assert second["checkpoint"] == first["checkpoint"]

    def proved(page: dict[str, Any]) -> list[ProvedRow]:
        return [
            ProvedRow(
                FeedRow.from_json("confirmed", u),
                tuple(base64.b64decode(h) for h in u["inclusion_proof"]),
            )
            for u in page["updates"]
        ]

    key = Ed25519Verifier.from_vkey(exchange.public_key(inst))
    origin = origin_for(key.name, "confirmed")
    note = first["checkpoint"].encode()
    verify_pull(key, origin, None, note, [], proved(first))  # the first page is fine
    with pytest.raises(PullRefusedError, match="update 3 is not in the signed log"):
        verify_pull(key, origin, None, note, [], proved(first) + proved(second))


def test_a_signal_withdrawn_and_readded_in_one_pull(tmp_path: Path, db_url: str) -> None:
    from mediaproof.exchange.models import Category, FeedRow
    from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository

    b = Instance(make_settings(tmp_path / "b").model_copy(update={"database_url": db_url}))
    try:
        key = exchange.public_key(b)
        exchange_pull.add_peer(b, "p", url="http://x.example", collection="c", token="t", key=key)

        def upd(seq: int, deleted: bool) -> FeedRow:
            return FeedRow(
                "c",
                seq,
                SignalType.PDQ,
                PDQ_A,
                Category.POSITIVE_CLASS,
                (),
                None,
                "A",
                deleted,
                "t",
            )

        now = dt.datetime.now(dt.UTC)
        with b.db.session() as s:
            repo = IncomingRepository(s)
            p = repo.peer("p")
            assert p is not None
            done = repo.apply_updates(p.id, [upd(1, False), upd(2, True), upd(3, False)], now)
            assert (done.added, done.removed, done.gated) == (2, 1, {})
        assert [(x["value"], x["seq"]) for x in exchange_pull.incoming(b, "p")] == [(PDQ_A, 3)]
    finally:
        b.close()


def test_a_constraint_violation_is_a_conflict_and_nothing_of_it_is_stored(
    any_db_instance: Instance,
) -> None:
    """Services catch our ConflictError (a StorageError), never the driver's
    IntegrityError: the session translates it, and the whole unit of work is undone."""
    inst = any_db_instance
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    now = dt.datetime.now(dt.UTC)
    with (
        pytest.raises(ConflictError, match="uniqueness or reference constraint"),
        inst.db.session() as s,
    ):
        repo = ExchangeRepository(s)
        repo.add_collection(CollectionSpec("second", "County A"), now)
        repo.add_collection(CollectionSpec("confirmed", "County B"), now)  # name taken
    listed = exchange.list_collections(inst)
    assert [(c["name"], c["organisation"]) for c in listed] == [("confirmed", "County A")]
    with inst.db.session() as s:  # the session is usable again
        assert ExchangeRepository(s).collection("confirmed") is not None

