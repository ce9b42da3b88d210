"""A small source is not held up by a big one (services/exchange_rounds.py): the sources
of a round are fetched at once and each stored as it arrives, under the one pull lock;
the scheduler keeps a slow fetch in flight across rounds and goes on pulling the others.
The big source here is a ThreatExchange stand-in that answers its first page and then
stalls mid-pull; the small one a local file."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mediaproof.services import exchange_pull, exchange_sources
from mediaproof.services.instance import Instance
from tests.api.conftest import make_settings
from tests.integration.standins import pytx as standins
from tests.integration.test_exchange_pytx_sources import PDQ_X, PDQ_Y, creds, held

TOKEN = "1234567890|" + "r0und" * 6


@pytest.fixture
def b(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    settings = make_settings(tmp_path / "b")
    inst = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        yield inst
    finally:
        inst.close()


def _pdq(i: int) -> str:
    """A PDQ-like hash with 128 of 256 bits set (the quality gate keeps it)."""
    bits = random.Random(i).sample(range(256), 128)
    return f"{sum(1 << k for k in bits):064x}"


def big_and_small(b: Instance, tmp_path: Path, tx: standins.ThreatExchange) -> Path:
    # 350 indicators: several pages of the library's threat_updates paging
    tx.updates = [
        standins.TxUpdate(i, _pdq(i), "HASH_PDQ", 100 + i, owner=2222) for i in range(1, 351)
    ]
    tx.hold_after = 1  # the first page, then the exchange stalls
    exchange_sources.add_source(
        b,
        "a-big",  # listed (and, before, pulled) first
        kind="pytx:fb_threatexchange",
        base_url=tx.url,
        credentials_file=creds(tmp_path, TOKEN),
        privacy_group=303,
    )
    f = tmp_path / "small.txt"
    f.write_text(f"pdq {PDQ_X}\n")
    exchange_sources.add_source(b, "b-small", kind="pytx:local_file", filename=f)
    return f


def wait_for(cond: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_a_round_stores_the_small_source_before_the_big_one_finishes(
    b: Instance, tmp_path: Path
) -> None:
    tx = standins.ThreatExchange(TOKEN, privacy_group=303)
    with tx:
        big_and_small(b, tmp_path, tx)
        results: list[exchange_pull.PullResult] = []
        t = threading.Thread(target=lambda: results.extend(exchange_pull.pull(b)))
        t.start()
        try:
            stored = wait_for(lambda: PDQ_X in held(b, "b-small"))
            big_busy = not tx.release.is_set() and held(b, "a-big") == {}
        finally:
            tx.release.set()
            t.join(60)
        assert stored and big_busy, "the small source waited for the big one"
        assert len(tx.requests) > 2  # the big one went on paging once released
        assert [(r.peer, r.status) for r in results] == [("a-big", "ok"), ("b-small", "ok")]
        assert len(held(b, "a-big")) == 350


def test_the_scheduler_keeps_pulling_the_small_source_while_the_big_one_is_in_flight(
    b: Instance, tmp_path: Path
) -> None:
    tx = standins.ThreatExchange(TOKEN, privacy_group=303)
    with tx:
        f = big_and_small(b, tmp_path, tx)
        sched = exchange_pull.PullScheduler(b, interval_s=0.1)
        sched.start()
        try:
            assert wait_for(lambda: PDQ_X in held(b, "b-small"))
            f.write_text(f"pdq {PDQ_X}\npdq {PDQ_Y}\n")  # a new signal at the small source
            assert wait_for(lambda: PDQ_Y in held(b, "b-small")), "not pulled again"
            assert held(b, "a-big") == {}  # still in flight
            tx.release.set()
            assert wait_for(lambda: len(held(b, "a-big")) == 350)
        finally:
            tx.release.set()
            sched.stop()
