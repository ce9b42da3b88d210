"""The index uploads are matched through against received signals
(services/exchange_index.py), on SQLite and PostgreSQL: the same hits as the scan of
every row it replaced, on random and near-duplicate populations large enough for the
multi-index tables (not the brute-force path); and kept in step with what is stored:
a pull adds, a withdrawal removes, quarantine holds, a source's negative class and the
local negative list suppress, a snapshot reload replaces."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.exchange.incoming import Signal, find, upload_keys
from mediaproof.exchange.models import Category, FeedRow, SignalType
from mediaproof.matching.hamming_index import BRUTE_FORCE_BELOW
from mediaproof.services import exchange_match
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository
from tests.api.conftest import make_settings
from tests.integration.test_exchange_db import T0
from tests.integration.test_exchange_match import PDQ_X, PDQ_X_NEAR, row, sha, source


@pytest.fixture
def b(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    settings = make_settings(tmp_path / "b", exchange_flood_matches=100)
    inst = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        yield inst
    finally:
        inst.close()


def _balanced(rng: random.Random) -> str:
    """A PDQ-like hash: 128 of 256 bits set (what a picture with features gives)."""
    bits = rng.sample(range(256), 128)
    return f"{sum(1 << i for i in bits):064x}"


def _near(value: str, rng: random.Random, flips: int) -> str:
    n = int(value, 16)
    for i in rng.sample(range(256), flips):
        n ^= 1 << i
    return f"{n:064x}"


def _every_row(repo: IncomingRepository) -> list[Signal]:
    """What the matching this index replaced compared: every stored row (the old path)."""
    signals = [
        Signal(r.id, r.signal_type, r.value, r.category == "negative_class")
        for r in repo.matchable(("pdq", "video_md5"))
    ]
    signals += [Signal(-n.id, n.signal_type, n.value, True) for n in repo.negatives()]
    return signals


def _scan(signals: list[Signal], keys: dict[str, list[str]]) -> list[tuple[int, int]]:
    return [(h.signal.id, h.distance) for h in find(keys, signals)]


def _indexed(
    b: Instance, repo: IncomingRepository, keys: dict[str, list[str]]
) -> list[tuple[int, int]]:
    c = b.exchange_index.candidates(repo, keys)
    signals = [
        Signal(r.id, r.signal_type, r.value, r.category == "negative_class") for r in c.received
    ]
    signals += [Signal(-n.id, n.signal_type, n.value, True) for n in c.negatives]
    return [(h.signal.id, h.distance) for h in find(keys, signals)]


def test_the_index_finds_what_the_scan_of_every_row_found(b: Instance) -> None:
    rng = random.Random(18)
    # random hashes, and clusters of near-duplicates (re-encodes of one picture) at
    # distances around the threshold (31 bits): the cases where an index could slip
    bases = [_balanced(rng) for _ in range(40)]
    values = {_balanced(rng) for _ in range(BRUTE_FORCE_BELOW)}
    for base in bases:
        values |= {_near(base, rng, rng.randint(0, 40)) for _ in range(30)}
    md5s = [f"{rng.getrandbits(128):032x}" for _ in range(50)]
    feed = [row(i + 1, v) for i, v in enumerate(sorted(values))]
    feed += [row(len(feed) + i + 1, m, st=SignalType.VIDEO_MD5) for i, m in enumerate(md5s)]
    source(b, feed)
    # a second source, partly overlapping, with a negative class
    source(
        b,
        [row(1, bases[0], category=Category.NEGATIVE_CLASS), row(2, _near(bases[1], rng, 5))],
        name="county-c",
    )
    exchange_match.add_negative(b, "pdq", _near(bases[2], rng, 10), "our own photo", now=T0)
    exchange_match.add_negative(b, "video_md5", md5s[0], "our own video", now=T0)
    assert len(values) > BRUTE_FORCE_BELOW  # the multi-index tables, not brute force
    queries = [_near(base, rng, rng.randint(0, 35)) for base in bases for _ in range(3)]
    queries += [_balanced(rng) for _ in range(20)]  # unrelated uploads
    queries += [_near(v, rng, 31) for v in rng.sample(sorted(values), 20)]  # at the edge
    hits = 0
    with b.db.session() as s:
        repo = IncomingRepository(s)
        every = _every_row(repo)  # read once: nothing changes between the queries
        for i, q in enumerate(queries):
            keys = upload_keys(
                {"pdq": q, "pdq_rot90": _near(q, rng, 60)}, md5s[i % 60] if i % 60 < 50 else None
            )
            want = _scan(every, keys)
            assert _indexed(b, repo, keys) == want, q
            hits += len(want)
    assert b.exchange_index.__len__() == len(values) + 2
    assert hits > len(queries)  # the populations put hits in reach, not only misses


def _upload(b: Instance, svc: CaseService, n: int, pdq: str) -> exchange_match.MatchResult:
    return exchange_match.check_upload(b, svc, sha256=sha(n), fingerprints={"pdq": pdq}, now=T0)


def _apply(b: Instance, rows: list[FeedRow], name: str = "county-a") -> None:
    with b.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer(name)
        assert p is not None
        repo.apply_updates(p.id, rows, T0)


def test_the_index_follows_pulls_withdrawals_quarantine_and_negatives(b: Instance) -> None:
    rng = random.Random(7)
    other = _balanced(rng)
    source(b, [row(1, other)])
    svc = CaseService(b.db, sink=InMemoryEventSink())
    # must not trigger: nothing near PDQ_X is held yet (and the index is built now)
    assert _upload(b, svc, 1, PDQ_X_NEAR).case_number is None
    # a later pull adds the signal: the next upload matches it
    _apply(b, [row(2, PDQ_X)])
    opened = _upload(b, svc, 2, PDQ_X_NEAR)
    assert [h["seq"] for h in opened.opened] == [2]
    # the source withdraws it (a tombstone): no match, and the index lets it go
    _apply(b, [row(3, PDQ_X, deleted=True)])
    assert _upload(b, svc, 3, PDQ_X_NEAR).opened == ()
    # sent again later: a new row, matched again
    _apply(b, [row(4, PDQ_X)])
    again = _upload(b, svc, 4, PDQ_X_NEAR)
    assert [h["seq"] for h in again.opened] == [4]
    # quarantined (read from the row, not the index): held, opens nothing
    with b.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer("county-a")
        assert p is not None
        held = repo.incoming_by_seq(p.id, 4)
        assert held is not None
        repo.quarantine(held.id, T0, "test: held")
    q = _upload(b, svc, 5, PDQ_X_NEAR)
    assert q.case_number is None and [h["seq"] for h in q.quarantined] == [4]
    exchange_match.release(b, "county-a", 4)
    assert _upload(b, svc, 6, PDQ_X_NEAR).case_number is not None
    # the source turns it into a negative class (same signal, replaced in place)
    _apply(b, [row(5, PDQ_X, category=Category.NEGATIVE_CLASS)])
    assert _upload(b, svc, 7, PDQ_X_NEAR).opened == ()
    _apply(b, [row(6, PDQ_X)])
    assert _upload(b, svc, 8, PDQ_X_NEAR).case_number is not None
    # the local negative list, added after the index was built, suppresses
    exchange_match.add_negative(b, "pdq", PDQ_X, "our own press photo", now=T0)
    sup = _upload(b, svc, 9, PDQ_X_NEAR)
    assert sup.case_number is None and "our own press photo" in sup.reasons[0]
    # and stops suppressing once removed
    assert exchange_match.remove_negative(b, "pdq", PDQ_X)
    assert _upload(b, svc, 10, PDQ_X_NEAR).case_number is not None
    # must not trigger: the unrelated held signal never matched along the way
    assert all(m["value"] != other for m in exchange_match.matches(b))


def test_a_snapshot_reload_replaces_what_the_index_matches(b: Instance) -> None:
    rng = random.Random(9)
    keep = _balanced(rng)
    source(b, [row(1, PDQ_X), row(2, keep)])
    svc = CaseService(b.db, sink=InMemoryEventSink())
    assert _upload(b, svc, 1, PDQ_X_NEAR).case_number is not None
    with b.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer("county-a")
        assert p is not None
        repo.replace_incoming(p.id, [row(2, keep)], T0)  # PDQ_X is no longer live
    assert _upload(b, svc, 2, PDQ_X_NEAR).opened == ()
    assert [h["seq"] for h in _upload(b, svc, 3, _near(keep, rng, 4)).opened] == [2]


def test_a_second_process_sees_a_pull_made_by_another(tmp_path: Path, db_url: str) -> None:
    """Each process keeps its own index over the shared database: what another one
    stored is matched at the next upload here."""
    settings = make_settings(tmp_path / "b").model_copy(update={"database_url": db_url})
    one, two = Instance(settings), Instance(settings)
    try:
        source(one, [row(1, _balanced(random.Random(3)))])
        svc = CaseService(two.db, sink=InMemoryEventSink())
        assert _upload(two, svc, 1, PDQ_X_NEAR).case_number is None  # two builds its index
        _apply(one, [row(2, PDQ_X)])
        assert _upload(two, svc, 2, PDQ_X_NEAR).case_number is not None
    finally:
        one.close()
        two.close()
