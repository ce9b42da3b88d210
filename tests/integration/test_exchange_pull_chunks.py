"""A peer's backlog is pulled a chunk at a time (services/exchange_rounds.py), on the
puller's SQLite and PostgreSQL: no fetch happens under the ``exchange-pull`` lock, which
is held only to store a chunk (another holder gets it between chunks); each chunk moves
the trusted checkpoint to one the peer signed at its end, so a puller that dies mid-
backlog goes on from the last chunk stored; and two pullers of one peer at once end with
every row once. The publisher A is a real app (SQLite) reached through its ASGI client;
faults are injected at that HTTP boundary, never in the lock or the store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.exchange.models import CollectionSpec
from mediaproof.services import exchange, exchange_pull, exchange_rounds
from mediaproof.services.exchange_pull import PULL_LOCK
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.locks import hold
from tests.api.conftest import make_settings
from tests.integration.test_exchange_db import (
    PDQ_A,
    PDQ_C,
    VPDQ_A,
    banked,
    inst_of,
    values,
)

ALL = {("pdq", PDQ_A), ("vpdq", VPDQ_A), ("pdq", PDQ_C)}  # A's log: 3 rows


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """A, the publisher, on its own SQLite file: the database under test is B's."""
    a = create_app(make_settings(tmp_path / "a", rate_exchange_burst=1000))
    with TestClient(a):
        yield a


@pytest.fixture
def b(app: FastAPI, tmp_path: Path, db_url: str) -> Iterator[Instance]:
    """B, the puller, on each database, with A as its peer and a chunk of one row."""
    inst = inst_of(app)
    banked(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    secret, _ = exchange.grant(inst, "confirmed", "county-b")
    settings = make_settings(tmp_path / "b")
    peer = Instance(settings.model_copy(update={"database_url": db_url}))
    exchange_pull.add_peer(
        peer,
        "county-a",
        url="http://testserver",
        collection="confirmed",
        token=secret,
        key=exchange.public_key(inst),
    )
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture(autouse=True)
def one_row_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # raising=False: the same test runs (and fails) against code without chunks, whose
    # pages of one row ask for the same ``after`` positions as chunks of one row do
    monkeypatch.setattr(exchange_rounds, "CHUNK_ROWS", 1, raising=False)
    monkeypatch.setattr(exchange_pull, "MAX_PAGE", 1)


def _lock_free(b: Instance) -> bool:
    """Whether another holder (a thread of its own) gets the pull lock right now."""
    got: list[bool] = []

    def other() -> None:
        with hold(b.db, PULL_LOCK, timeout_s=0) as lease:
            got.append(bool(lease))

    t = threading.Thread(target=other)
    t.start()
    t.join(30)
    return got == [True]


def _stored(b: Instance) -> tuple[int, list[int]]:
    """B's trusted size of A and the seqs of the signals it holds."""
    size = exchange_pull.peers(b)[0]["size"]
    return size, sorted(s["seq"] for s in exchange_pull.incoming(b, "county-a"))


class _Boundary(TestClient):
    """A's client as B's puller sees it: records each ``/updates`` request (its
    ``after``, whether the pull lock was free then, what B had stored), can stall a
    little, and can fail once on the request for ``fail_after``."""

    def __init__(
        self,
        a: FastAPI,
        b: Instance,
        *,
        fail_after: int | None = None,
        fail: Exception | None = None,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__(a)
        self.b, self.fail_after, self.fail, self.delay_s = b, fail_after, fail, delay_s
        self.seen: list[tuple[int, bool, tuple[int, list[int]]]] = []

    def get(self, url: Any, **kw: Any) -> Any:  # type: ignore[override]
        params = kw.get("params") or {}
        if str(url).endswith("/updates"):
            after = int(params.get("after", 0))
            self.seen.append((after, _lock_free(self.b), _stored(self.b)))
            if self.fail is not None and after == self.fail_after:
                e, self.fail = self.fail, None
                raise e
            time.sleep(self.delay_s)
        return super().get(url, **kw)


def test_a_backlog_is_stored_a_chunk_at_a_time_and_the_lock_let_go_between(
    app: FastAPI, b: Instance
) -> None:
    client = _Boundary(app, b)
    [r] = exchange_pull.pull(b, "county-a", client=client)
    assert (r.status, r.added, r.size) == ("ok", 3, 3)
    assert values(b) == ALL
    # every fetch ran with the lock free (another holder got it), and each chunk was
    # stored, its checkpoint with it, before the next one was fetched
    assert all(free for _, free, _ in client.seen), client.seen
    progress = {after: stored for after, _, stored in client.seen}
    assert progress == {0: (0, []), 1: (1, [1]), 2: (2, [1, 2])}, client.seen
    assert _stored(b) == (3, [1, 2, 3])


@pytest.mark.parametrize(
    "fault",
    [RuntimeError("the puller dies here"), httpx.ConnectError("the peer went away")],
    ids=["puller-dies", "peer-unreachable"],
)
def test_a_pull_cut_off_mid_backlog_goes_on_from_the_last_chunk_stored(
    app: FastAPI, b: Instance, fault: Exception
) -> None:
    client = _Boundary(app, b, fail_after=2, fail=fault)
    if isinstance(fault, RuntimeError):
        with pytest.raises(RuntimeError):
            exchange_pull.pull(b, "county-a", client=client)
    else:
        [r] = exchange_pull.pull(b, "county-a", client=client)
        assert (r.status, r.added, r.size) == ("error", 2, 2)
    # the two chunks stored before the fault are kept, with the checkpoint of their end
    assert _stored(b) == (2, [1, 2])
    again = _Boundary(app, b)
    [r] = exchange_pull.pull(b, "county-a", client=again, force=True)
    assert (r.status, r.added, r.size) == ("ok", 1, 3)
    assert [after for after, _, _ in again.seen] == [2]  # from where it stopped
    assert _stored(b) == (3, [1, 2, 3])  # no row twice, none skipped
    assert values(b) == ALL


def test_two_pullers_of_one_peer_at_once_store_each_row_once(
    app: FastAPI, b: Instance
) -> None:
    results: list[exchange_pull.PullResult] = []
    errors: list[BaseException] = []
    clients = [_Boundary(app, b, delay_s=0.05) for _ in range(2)]

    def puller(c: _Boundary) -> None:
        try:
            results.extend(exchange_pull.pull(b, "county-a", client=c, force=True))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=puller, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert [r.status for r in results] == ["ok", "ok"], results
    assert sum(r.added for r in results) == 3  # each row added by one of them
    assert _stored(b) == (3, [1, 2, 3])
    assert values(b) == ALL
    status = exchange_pull.peers(b)[0]
    assert (status["status"], status["size"], status["signals"]) == ("ok", 3, 3)
