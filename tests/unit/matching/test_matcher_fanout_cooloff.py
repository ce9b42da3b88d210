"""The API's fan-out asks a replica that just failed last, for a while, and still asks
it when no sibling answers. Two real HTTP servers on loopback stand in for the
replicas: the client under test is ours, the replicas' answers are fixed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mediaproof.errors import BusyError
from mediaproof.services.matcher_client import MatcherFanOut

TOKEN = "matcher-test-token-0123456789"


class Replica:
    """A loopback server answering ``/lookup`` with ``status`` and counting requests."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.hits = 0
        replica = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                replica.hits += 1
                body = json.dumps({"matches": []}).encode()
                self.send_response(replica.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replicas() -> Iterator[tuple[Replica, Replica]]:
    down, up = Replica(503), Replica(200)
    yield down, up
    down.close()
    up.close()


def lookup(fanout: MatcherFanOut) -> None:
    assert fanout.find_near("pdq", bytes(32), 31) == []


def test_a_failed_replica_is_asked_last_until_its_cool_off_ends(
    replicas: tuple[Replica, Replica],
) -> None:
    down, up = replicas
    fanout = MatcherFanOut([[down.url, up.url]], TOKEN, timeout_s=2, cool_off_s=0.5)
    try:
        lookup(fanout)  # round robin starts at the failing replica: one failed try
        assert (down.hits, up.hits) == (1, 1)
        for _ in range(10):  # its turn comes back every other lookup, but it is cooling off
            lookup(fanout)
        assert down.hits == 1 and up.hits == 11
        assert fanout.retries == 1
        time.sleep(0.6)  # cool-off over: it is tried again in its turn
        lookup(fanout)
        lookup(fanout)
        assert down.hits == 2
    finally:
        fanout.close()


def test_a_cooling_replica_is_still_asked_when_no_sibling_answers(
    replicas: tuple[Replica, Replica],
) -> None:
    down, up = replicas
    fanout = MatcherFanOut([[up.url, down.url]], TOKEN, timeout_s=2, cool_off_s=60)
    try:
        up.status = 503
        with pytest.raises(BusyError):
            lookup(fanout)
        assert (up.hits, down.hits) == (1, 1)
        # both cool off now, so turn order decides (the failing one's turn is first);
        # the other recovered and answers although it is cooling off
        up.status = 200
        lookup(fanout)
        assert (up.hits, down.hits) == (2, 2)
        # having answered, it is asked first again, whoever's turn it is
        lookup(fanout)
        lookup(fanout)
        assert (up.hits, down.hits) == (4, 2)
    finally:
        fanout.close()
