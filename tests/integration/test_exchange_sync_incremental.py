"""A read's sync of a collection (services/exchange_collections.py, ``full=False``) on
SQLite and PostgreSQL: when nothing it reads changed (migration 0034's marker) it reads
neither the bank nor the log; every kind of change still reaches the log after that
cheap path was taken; a store rewritten under it still raises the alarm; over a seeded
random sequence of changes it writes the same log as the full sync; two processes
syncing at once append nothing twice; the migration goes down and up again."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, event, inspect, select, text, update

from mediaproof.cases.models import Outcome
from mediaproof.config import Settings
from mediaproof.exchange.contributions import ContributionInput, ContributionStatus
from mediaproof.exchange.models import Category, CollectionSpec, FeedRow, Opinion, SignalType
from mediaproof.services import exchange, exchange_collections
from mediaproof.services.exchange_collections import SyncResult, sync
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.migrate import alembic_config, upgrade
from mediaproof.storage.sql.repos_exchange import ExchangeRepository
from mediaproof.storage.sql.repos_exchange_contrib import ContributionRepository
from mediaproof.storage.sql.tables_cases import BankRow, CaseRow, DecisionRow
from mediaproof.storage.sql.tables_exchange import (
    ExchangeCollectionRow,
    ExchangeSyncInputsRow,
    ExchangeTreeNodeRow,
    ExchangeUpdateRow,
)
from mediaproof.storage.sql.times import aware
from mediaproof.transparency.merkle import MemoryTree, leaf_hash, root_of_leaf_hashes
from tests.api.conftest import make_settings
from tests.factories import decided_case
from tests.integration.test_exchange_db import T0, admin, banked, notice, reverse

NAME = "confirmed"
# what a sync reads besides the collection row and the log: a cheap sync touches none
# of them, and the log only through max(seq)
INPUT_TABLES = ("media_bank", "case_decisions", "exchange_withdrawals", "exchange_contributions")


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path / "a").model_copy(update={"database_url": db_url})


@pytest.fixture
def inst(settings: Settings) -> Iterator[Instance]:
    i = Instance(settings)
    try:
        yield i
    finally:
        i.close()


class Statements:
    """Every SQL statement the instance's engine runs while recording."""

    def __init__(self, inst: Instance) -> None:
        self.engine = inst.db.engine
        self.seen: list[str] = []

    def _hook(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(" ".join(statement.split()))

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._hook)

    def reads_inputs(self) -> list[str]:
        """Statements that read the bank or another input, or the log's rows unbounded
        (a page's read of its own rows has a LIMIT)."""
        out = [q for q in self.seen if any(t in q for t in INPUT_TABLES)]
        out += [q for q in self.seen if "exchange_updates.value" in q and "LIMIT" not in q]
        return out


def log_of(inst: Instance, name: str = NAME) -> list[tuple[str, str, tuple[str, ...], bool]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        c = repo.collection(name)
        assert c is not None
        return [
            (r.signal_type.value, r.value, r.tags, r.deleted)
            for r in repo.updates(c)
            if r.opinion is None
        ]


def live(inst: Instance, name: str = NAME) -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for st, v, tags, deleted in log_of(inst, name):
        if deleted:
            out.pop((st, v), None)
        else:
            out[(st, v)] = tags
    return out


def cheap_sync(inst: Instance, name: str = NAME) -> SyncResult:
    """A read's sync that must find nothing changed: it reads no input, no log row."""
    with Statements(inst) as q:
        (r,) = sync(inst, name, full=False)
    assert q.reads_inputs() == [], q.reads_inputs()
    assert (r.added, r.withdrawn) == (0, 0)
    return r


def test_a_read_with_nothing_changed_reads_neither_the_bank_nor_the_log(inst: Instance) -> None:
    banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    (first,) = sync(inst, NAME)
    assert (first.added, first.size) == (3, 3)
    who = admin(inst)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # past SYNC_ON_READ_S
    with Statements(inst) as q:
        page = exchange.updates(inst, who, NAME, after=3, now=later)
    assert page["size"] == 3 and page["updates"] == []
    with inst.db.session() as s:  # the read did sync (and no reader marked it synced)
        synced = s.scalar(select(ExchangeCollectionRow.synced_at))
        assert synced is not None and abs((aware(synced) - later).total_seconds()) < 1
    assert q.reads_inputs() == []
    assert len(q.seen) < 40
    # the CLI's sync still reads and hashes everything
    with Statements(inst) as q:
        sync(inst, NAME)
    assert any("media_bank" in x for x in q.seen)
    assert any("exchange_updates.value" in x for x in q.seen)


def _set_category(inst: Instance, case_number: str, category: str) -> None:
    with inst.db.session() as s:
        s.execute(update(CaseRow).where(CaseRow.number == case_number).values(category=category))


def test_every_kind_of_change_lands_after_the_cheap_path(inst: Instance) -> None:
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    a, c = ("pdq", "a1" * 32), ("pdq", "c3" * 32)
    assert set(live(inst)) == {a, ("vpdq", ",".join(["d4" * 32, "e5" * 32])), c}
    cheap_sync(inst)

    # a new bank entry (a case decided by two reviewers)
    new = "f6" * 32
    d = decided_case(
        cases["svc"],
        notice("9" * 64, {"pdq": new}, 9),
        filed_at=T0,
        outcome=Outcome.REMOVE,
        explanation="Synthetic voice; the event never happened.",
        second_reviewer="bob",
    )
    sync(inst, NAME, full=False)
    assert ("pdq", new) in live(inst)
    cheap_sync(inst)

    # a decision reversed on appeal: admitted -> not admitted
    reverse(cases, "c")
    sync(inst, NAME, full=False)
    assert c not in live(inst)
    cheap_sync(inst)

    # the case's category changes: the signal is published again with its new tag
    _set_category(inst, cases["a"][0], "voter_suppression")
    sync(inst, NAME, full=False)
    assert live(inst)[a] == ("voter_suppression",)
    cheap_sync(inst)

    # a bank entry deleted
    with inst.db.session() as s:
        case_id = s.scalar(select(CaseRow.id).where(CaseRow.number == d.receipt.case_number))
        s.execute(delete(BankRow).where(BankRow.case_id == case_id))
    sync(inst, NAME, full=False)
    assert ("pdq", new) not in live(inst)
    cheap_sync(inst)

    # a withdrawal written without a sync of its own
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        col = repo.collection(NAME)
        assert col is not None
        repo.withdraw(col, SignalType.PDQ, a[1], "asked by the office", T0)
    sync(inst, NAME, full=False)
    assert a not in live(inst)
    cheap_sync(inst)
    # a withdrawal through the service: its own sync, in its transaction, appends it
    vpdq = ",".join(["d4" * 32, "e5" * 32])
    r = exchange.withdraw(inst, NAME, "vpdq", vpdq, "asked by the office")
    assert (r.added, r.withdrawn) == (0, 1) and ("vpdq", vpdq) not in live(inst)
    sync(inst, NAME, full=False)  # (on PostgreSQL its version was raised at the commit)
    cheap_sync(inst)

    # an accepted contribution (accepted here without the service's own append)
    contributed = "0a" * 32
    with inst.db.session() as s:
        col = ExchangeRepository(s).collection(NAME)
        assert col is not None
        repo_c = ContributionRepository(s)
        got = ContributionInput(
            SignalType.PDQ, contributed, Category.POSITIVE_CLASS, ("seen_here",), None, "x"
        )
        added = repo_c.add(col, got, contributor="peer", user_id=None, token_id=None, now=T0)
    cheap_sync(inst)  # a pending contribution publishes nothing
    with inst.db.session() as s:
        ContributionRepository(s).decide(
            added.id, ContributionStatus.ACCEPTED, by="admin", reason=None, seq=None, now=T0
        )
    sync(inst, NAME, full=False)
    assert live(inst)[("pdq", contributed)] == ("seen_here",)
    cheap_sync(inst)

    # the collection's rule changes: nothing in the bank is admitted now
    with inst.db.session() as s:
        rule = json.dumps({"require": "two_reviewers", "outcomes": [], "categories": ["none"]})
        s.execute(update(ExchangeCollectionRow).values(rule=rule))
    sync(inst, NAME, full=False)
    assert set(live(inst)) == {("pdq", contributed)}
    cheap_sync(inst)
    # and the full sync finds nothing left to do
    (r,) = sync(inst, NAME)
    assert (r.added, r.withdrawn) == (0, 0)


@pytest.mark.parametrize("how", ["change", "drop"])
def test_a_store_rewritten_after_the_cheap_path_raises_the_alarm(inst: Instance, how: str) -> None:
    banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    cheap_sync(inst)
    with inst.db.session() as s:
        where = ExchangeUpdateRow.seq == 3  # the newest: a dropped last row is a shorter log
        if how == "change":
            s.execute(update(ExchangeUpdateRow).where(where).values(tags="other"))
        else:
            s.execute(delete(ExchangeUpdateRow).where(where))
    who = admin(inst)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    exchange.updates(inst, who, NAME, after=0, now=later)  # the read's sync notices
    alarm = exchange.list_collections(inst)[0]["alarm"]
    assert alarm and "no longer extends" in alarm


def test_a_rewrite_hidden_from_the_trigger_is_found_by_the_full_sync(inst: Instance) -> None:
    """Whoever rewrites a row and clears ``tree_stale`` by hand gets past a read's sync
    (it trusts the trigger); the CLI's full sync hashes the store and raises the alarm."""
    banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    with inst.db.session() as s:
        s.execute(update(ExchangeUpdateRow).where(ExchangeUpdateRow.seq == 2).values(tags="x"))
    with inst.db.session() as s:
        s.execute(update(ExchangeCollectionRow).values(tree_stale=False))
    cheap_sync(inst)
    assert exchange.list_collections(inst)[0]["alarm"] is None
    sync(inst, NAME)
    alarm = exchange.list_collections(inst)[0]["alarm"]
    assert alarm and "no longer extends" in alarm


def _signed_matches_the_store(inst: Instance) -> None:
    """The root kept as signed, and the stored nodes, are those of the stored rows."""
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        c = repo.collection(NAME)
        assert c is not None
        leaves = [leaf_hash(r.entry()) for r in repo.updates(c)]
        assert (c.signed_size, c.signed_root) == (len(leaves), root_of_leaf_hashes(leaves).hex())
        assert (c.tree_size, c.tree_stale, c.alarm) == (len(leaves), False, None)
        q = select(ExchangeTreeNodeRow.level, ExchangeTreeNodeRow.idx, ExchangeTreeNodeRow.hash)
        nodes = {(r.level, r.idx): bytes(r.hash) for r in s.execute(q)}
    t = MemoryTree(leaves)
    assert nodes == {(lv, i): h for lv, row in enumerate(t.levels) for i, h in enumerate(row)}


def test_a_change_extends_the_stored_tree_without_hashing_the_log(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)

    def refuse(rows: Any) -> MemoryTree:
        raise AssertionError("the sync hashed the whole stored log")

    monkeypatch.setattr(exchange_collections, "tree_of", refuse)
    reverse(cases, "c")  # one tombstone
    (r,) = sync(inst, NAME, full=False)
    assert (r.added, r.withdrawn, r.size) == (0, 1, 4)
    _set_category(inst, cases["a"][0], "voter_suppression")  # two rows retagged
    (r,) = sync(inst, NAME, full=False)
    assert (r.added, r.withdrawn, r.size) == (2, 0, 6)
    _signed_matches_the_store(inst)
    with inst.db.session() as s:  # a change that appends nothing
        repo = ExchangeRepository(s)
        col = repo.collection(NAME)
        assert col is not None
        repo.withdraw(col, SignalType.PDQ, "ab" * 32, "never held", T0)
    (r,) = sync(inst, NAME, full=False)
    assert (r.added, r.withdrawn, r.size) == (0, 0, 6)
    with inst.db.session() as s:  # another writer appends (an opinion), the tree behind
        repo = ExchangeRepository(s)
        col = repo.collection(NAME)
        assert col is not None
        row = FeedRow(
            NAME, 7, SignalType.PDQ, "a1" * 32, Category.POSITIVE_CLASS, (), None, "County B",
            False, "2026-12-07T00:00:00Z", opinion=Opinion.SEEN, reason="matched",
        )  # fmt: skip
        repo.append(col, row, T0)
    (r,) = sync(inst, NAME, full=False)
    assert (r.added, r.withdrawn, r.size) == (0, 0, 7)
    _signed_matches_the_store(inst)
    cheap_sync(inst)


def test_a_stored_tree_that_does_not_hold_is_rebuilt_from_a_hash_of_the_log(
    inst: Instance,
) -> None:
    """A node gone (no trigger sees that): the sync after a change finds the stored tree
    short, hashes the store as the full sync does, and rebuilds the nodes; no alarm."""
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    with inst.db.session() as s:
        s.execute(delete(ExchangeTreeNodeRow).where(ExchangeTreeNodeRow.level == 1))
    reverse(cases, "c")
    (r,) = sync(inst, NAME, full=False)
    assert (r.added, r.withdrawn, r.size) == (0, 1, 4)
    _signed_matches_the_store(inst)
    cheap_sync(inst)


def test_a_change_committed_after_a_sync_read_reaches_the_next_sync(inst: Instance) -> None:
    """PostgreSQL: a writer whose change commits after a sync read the version (and its
    inputs without that change) raises the version at its commit, so the next sync reads
    it; and it holds the version's row only while it commits, so a second writer does
    not wait for the first."""
    if inst.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing commits in between")
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    c, a = ("pdq", "c3" * 32), ("pdq", "a1" * 32)
    with inst.db.session() as slow:  # reversal of C's removal, not committed yet
        case_c = slow.scalar(select(CaseRow.id).where(CaseRow.number == cases["c"][0]))
        slow.execute(update(BankRow).where(BankRow.case_id == case_c).values(active=False))
        slow.flush()
        with inst.db.session() as s:  # another writer commits meanwhile, without waiting
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            s.execute(
                update(CaseRow)
                .where(CaseRow.number == cases["a"][0])
                .values(category="voter_suppression")
            )
        sync(inst, NAME, full=False)
        assert live(inst)[a] == ("voter_suppression",) and c in live(inst)
    (r,) = sync(inst, NAME, full=False)  # the slow writer's commit raised the version
    assert (r.added, r.withdrawn) == (0, 1)
    assert c not in live(inst)
    cheap_sync(inst)


# --- full and incremental over random changes -------------------------------------------

CATEGORIES = ("deepfake_of_candidate", "voter_suppression")


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _decide(s: Any, case_id: int, rng: random.Random, k: int) -> None:
    s.add(
        DecisionRow(
            case_id=case_id,
            outcome=rng.choice(["remove", "remove", "label"]),
            rule_id="DM-1",
            policy_version="p",
            explanation="e",
            reviewer="alice",
            second_reviewer=rng.choice(["bob", "bob", None]),
            status=rng.choice(["final", "final", "draft"]),
            automated=rng.random() < 0.1,
            created_at=T0 + dt.timedelta(minutes=k),
        )
    )


def _step(inst: Instance, rng: random.Random, k: int, values: list[str]) -> str:
    """One random change of something a sync reads (or none); says which."""
    kind = rng.choice(
        ["bank", "bank", "decision", "active", "delete", "category", "withdraw", "contrib",
         "reject", "none", "none", "none"]
    )  # fmt: skip
    with inst.db.session() as s:
        cases = list(s.scalars(select(CaseRow.id)))
        banks = list(s.scalars(select(BankRow)))
        if kind == "bank" or not cases:
            case = CaseRow(
                public_id=f"p{k}",
                number=f"N-{k}",
                state="closed",
                category=rng.choice(CATEGORIES),
                priority=1,
                due_at=T0,
                clock="c",
            )
            s.add(case)
            s.flush()
            _decide(s, case.id, rng, k)
            v = rng.choice(values) if values and rng.random() < 0.3 else _hex(rng, 64)
            values.append(v)
            prints = {"pdq": v} | ({"md5": _hex(rng, 32)} if rng.random() < 0.3 else {})
            s.add(BankRow(case_id=case.id, sha256=_hex(rng, 64), fingerprints=json.dumps(prints),
                          active=True, added_at=T0))  # fmt: skip
            return "bank"
        if kind == "decision":
            _decide(s, rng.choice(cases), rng, k)
        elif kind == "active" and banks:
            b = rng.choice(banks)
            b.active = not b.active
        elif kind == "delete" and banks:
            s.delete(rng.choice(banks))
        elif kind == "category":
            s.execute(
                update(CaseRow)
                .where(CaseRow.id == rng.choice(cases))
                .values(category=rng.choice(CATEGORIES))
            )
        elif kind == "withdraw" and values:
            v = rng.choice(values)
            for name in ("inc", "full"):
                repo = ExchangeRepository(s)
                c = repo.collection(name)
                assert c is not None
                repo.withdraw(c, SignalType.PDQ, v, "asked", T0)
        elif kind in ("contrib", "reject"):
            v = rng.choice(values) if values and rng.random() < 0.5 else _hex(rng, 64)
            values.append(v)
            tags = (rng.choice(["a", "b"]),)
            got = ContributionInput(SignalType.PDQ, v, Category.POSITIVE_CLASS, tags, None, "x")
            status = ContributionStatus.ACCEPTED
            if kind == "reject" and rng.random() < 0.5:
                status = ContributionStatus.REJECTED
            for name in ("inc", "full"):  # the same change to both collections
                c = ExchangeRepository(s).collection(name)
                assert c is not None
                repo_c = ContributionRepository(s)
                r = repo_c.add(c, got, contributor="p", user_id=None, token_id=None, now=T0)
                repo_c.decide(r.id, status, by="a", reason=None, seq=None, now=T0)
        else:
            return "none"
    return kind


@pytest.mark.parametrize("seed", [7, 1234])
def test_incremental_and_full_syncs_write_the_same_log(inst: Instance, seed: int) -> None:
    rng = random.Random(seed)
    for name in ("inc", "full"):
        exchange.create_collection(
            inst,
            CollectionSpec(name, "County A", signal_types=(SignalType.PDQ, SignalType.VIDEO_MD5)),
        )
    values: list[str] = []
    cheap = 0
    for k in range(60):
        _step(inst, rng, k, values)
        if rng.random() < 0.7:
            with Statements(inst) as q:
                sync(inst, "inc", full=False)
            cheap += not q.reads_inputs()
            sync(inst, "full")
            assert log_of(inst, "inc") == log_of(inst, "full"), k
    sync(inst, "inc", full=False)
    sync(inst, "full")
    assert log_of(inst, "inc") == log_of(inst, "full")
    assert cheap >= 3  # the "none" steps (and syncs after them) took the cheap path
    rows = log_of(inst, "inc")  # the walk did publish, retag and withdraw
    assert len(rows) >= 10 and any(r[3] for r in rows) and not all(r[3] for r in rows)


# --- two processes at once -------------------------------------------------------------


def _syncer(settings: Settings, rounds: int) -> None:
    i = Instance(settings)
    try:
        for _ in range(rounds):
            sync(i, NAME, full=False)
    finally:
        i.close()


def test_two_processes_syncing_at_once_append_nothing_twice(
    inst: Instance, settings: Settings
) -> None:
    cases = banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_syncer, args=(settings, 15)) for _ in range(2)]
    for p in procs:
        p.start()
    for n in range(3):  # changes land while both sync
        decided_case(
            cases["svc"],
            notice(f"{n + 5}" * 64, {"pdq": f"{n + 5}" * 64}, n + 5),
            filed_at=T0,
            outcome=Outcome.REMOVE,
            explanation="Synthetic voice; the event never happened.",
            second_reviewer="bob",
        )
    reverse(cases, "c")
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    sync(inst, NAME, full=False)
    rows = log_of(inst)
    assert len(rows) == len(set(rows)) == 3 + 3 + 1  # each addition and the tombstone once
    (r,) = sync(inst, NAME)
    assert (r.added, r.withdrawn, r.size) == (0, 0, 7)


# --- the migration -----------------------------------------------------------------------


def test_migration_0034_goes_down_and_up(inst: Instance) -> None:
    banked(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "County A"))
    sync(inst, NAME)
    engine = inst.db.engine
    command.downgrade(alembic_config(engine), "0033_notice_analysis_state")
    assert "exchange_sync_inputs" not in inspect(engine).get_table_names()
    cols = {c["name"] for c in inspect(engine).get_columns("exchange_collections")}
    assert "synced_inputs" not in cols
    with engine.begin() as conn:  # no trigger left behind that names the dropped table
        conn.execute(update(BankRow.__table__).values(active=False))
        conn.execute(update(CaseRow.__table__).values(category="voter_suppression"))
    upgrade(engine)
    with inst.db.session() as s:
        v = s.scalar(select(ExchangeSyncInputsRow.version))
        assert v == 1
        s.execute(update(BankRow).values(active=True))
    with inst.db.session() as s:  # SQLite: a row each; PostgreSQL: once, at the commit
        pg = inst.db.engine.dialect.name == "postgresql"
        assert s.scalar(select(ExchangeSyncInputsRow.version)) == 1 + (1 if pg else 3)
    (r,) = sync(inst, NAME, full=False)  # synced_inputs is NULL: it reads everything
    assert (r.added, r.withdrawn) == (3, 0)  # the new category's tags
    cheap_sync(inst)
