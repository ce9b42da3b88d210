"""`mediaproof serve` pulls its exchange peers on a schedule: from a real peer service on
loopback, and with backoff from one that is down."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.config import Settings
from mediaproof.exchange.models import CollectionSpec
from mediaproof.services import exchange, exchange_pull
from mediaproof.services.instance import Instance
from tests.api.conftest import make_settings
from tests.e2e.server import Server, free_port
from tests.integration.test_exchange_db import PDQ_A, PDQ_C, VPDQ_A, banked


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_serve_pulls_peers_on_a_schedule(tmp_path: Path) -> None:
    a_home = tmp_path / "a"
    inst = Instance(Settings(home=a_home))
    try:
        banked(inst)
        exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
        token, _ = exchange.grant(inst, "confirmed", "county-b")
        key = exchange.public_key(inst)
    finally:
        inst.close()
    a = Server(a_home)
    try:
        b_app = create_app(make_settings(tmp_path / "b", exchange_pull_interval_s=0.3))
        b: Instance = b_app.state.ctx.inst
        exchange_pull.add_peer(
            b, "county-a", url=a.url, collection="confirmed", token=token, key=key
        )
        down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        exchange_pull.add_peer(b, "gone", url=down, collection="confirmed", token="mp_x", key=key)
        with TestClient(b_app):  # the lifespan starts the scheduler
            wait_for(lambda: exchange_pull.peers(b)[0]["status"] == "ok")
            got = {s["value"] for s in exchange_pull.incoming(b, "county-a")}
            assert got == {PDQ_A, PDQ_C, VPDQ_A}
            wait_for(lambda: exchange_pull.peers(b)[1]["status"] == "error")
            time.sleep(1.2)  # several ticks: the failed source waits out its backoff
            gone = exchange_pull.peers(b)[1]
            assert gone["failures"] == 1 and "cannot reach" in gone["last_error"]
            nxt = dt.datetime.fromisoformat(gone["next_attempt_at"])
            assert nxt > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    finally:
        a.close()
