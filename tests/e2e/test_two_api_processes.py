"""Two real API processes (`mediaproof serve` on two ports) of one instance on one
PostgreSQL database, as two replicas behind a proxy are (issue 20 #1): a session opened
through one works through the other and ends through either, a rate-limit bucket drawn
on one is empty on the other, and a job started through one is read through the other."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from tests.conftest import _drop_pg_database, _pg_database
from tests.e2e.server import Server

pytestmark = pytest.mark.postgres
PASSWORD = "a long test password"
FIX = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"
CHEAP = "/services/supportedAlgorithms"  # public, in the "lookup" bucket


@pytest.fixture
def replicas(tmp_path: Path, pg_template: str) -> Iterator[tuple[Server, Server, str]]:
    url = _pg_database(pg_template)
    home = tmp_path / "inst"
    inst = Instance(Settings(home=home, database_url=url))
    init_keys(inst.keys_dir, "Test Election Office")
    accounts.create_user(inst, "alice", Role.PUBLISHER, PASSWORD)
    inst.close()
    env = {
        "MEDIAPROOF_DATABASE_URL": url,
        "MEDIAPROOF_SERVICE_RATE_LOOKUP_BURST": "4",
        "MEDIAPROOF_SERVICE_RATE_LOOKUP_PER_MIN": "0.01",
        "MEDIAPROOF_SERVICE_JOB_AUDIO_MIN_S": "0.5",
        "MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES": "0",
        "MEDIAPROOF_SERVICE_EXCHANGE_PULL_INTERVAL_S": "0",
    }
    servers: list[Server] = []
    try:
        servers.append(Server(home, env))
        servers.append(Server(home, env))
        yield servers[0], servers[1], url
    finally:
        for s in servers:
            s.close()
        _drop_pg_database(url)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def test_sessions_buckets_and_jobs_cross_replicas(
    replicas: tuple[Server, Server, str], corpora: Path
) -> None:
    a_srv, b_srv, _ = replicas
    with (
        httpx.Client(base_url=a_srv.url, timeout=60) as a,
        httpx.Client(base_url=b_srv.url, timeout=60) as b,
    ):
        # a session opened through A (its anonymous CSRF cookie, then the login form)
        token = _csrf(a.get("/login").text)
        r = a.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303, r.text
        b.cookies.update(a.cookies)  # the proxy sends the browser's cookies to either
        me = b.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["user"]["username"] == "alice"
        csrf = _csrf(b.get("/").text)  # the session's token, read through B
        # ... acts through B (an API token made with the session's CSRF token) ...
        made = b.post(
            "/api/v1/tokens",
            json={"name": "ci", "scopes": ["account"]},
            headers={"x-csrf-token": csrf},
        )
        assert made.status_code == 201, made.text
        bearer = {"Authorization": f"Bearer {made.json()['token']}"}
        assert a.get("/api/v1/me", headers=bearer).status_code == 200
        # ... and "revoke all" through A ends the token on B
        gone = a.post("/api/v1/tokens/revoke-all", headers={"x-csrf-token": csrf})
        assert gone.status_code == 200 and gone.json()["revoked"] == 1, gone.text
        assert b.get("/api/v1/me", headers=bearer).status_code == 401
        # logging out through A ends the session on B
        assert a.post("/logout", data={"csrf_token": csrf}).status_code in (200, 303)
        assert b.cookies.get("mp_session")  # B's browser still sends the session cookie
        assert b.get("/api/v1/me").status_code == 401

    # a rate-limit bucket of 4, drawn on both: the fifth request is refused on either
    with httpx.Client(base_url=a_srv.url) as a, httpx.Client(base_url=b_srv.url) as b:
        codes = [c.get(CHEAP).status_code for c in (a, b, a, b)]
        assert codes == [200, 200, 200, 200]
        assert b.get(CHEAP).status_code == 429
        refused = a.get(CHEAP)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"

        # a job (long audio) started through A is read through B
        wav = (corpora / FIX / "sample1.wav").read_bytes()
        r = a.post("/api/v1/verify", files={"file": ("a.wav", wav)}, timeout=60)
        assert r.status_code == 202, r.text
        url = r.json()["status_url"]
        deadline = time.monotonic() + 90
        while (j := b.get(url).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, j
            time.sleep(0.3)
        assert j["status"] == "done" and j["result"]["media"]["kind"] == "audio"
        assert a.get(url).json() == j
