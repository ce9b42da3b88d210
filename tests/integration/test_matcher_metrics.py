"""A matcher replica's Prometheus metrics (``GET /metrics`` of ``matcher serve``):
lookups by outcome, their latency, the change applied, the lag, the snapshot's age and
the index's size, each checked against what the replica and the database say."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mediaproof.cli.matcher_http import create_matcher_app
from mediaproof.config import Settings
from mediaproof.matching.shards import shard_of
from mediaproof.services.instance import Instance
from mediaproof.services.matchers import ShardReplica, build_snapshots
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from tests.matcher_support import AUTH, TOKEN, Registry

METRICS_TOKEN = "metrics-test-token-0123456789"
SCRAPE = {"authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def inst(tmp_path: Path) -> Iterator[Instance]:
    i = Instance(Settings(home=tmp_path / "inst"))
    try:
        yield i
    finally:
        i.close()


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", headers=SCRAPE)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(r.text)
        for s in fam.samples
    }


def test_matcher_metrics_follow_lookups_changes_and_snapshots(
    inst: Instance, tmp_path: Path
) -> None:
    reg = Registry(inst.db, seed=3)
    reg.register(40)
    before = time.time()
    built = build_snapshots(inst.db, inst.blob_store, 2, tmp_path / "build")
    replica = ShardReplica(inst.db, inst.blob_store, 1, 2, tmp_path / "cache")
    client = TestClient(create_matcher_app(replica, TOKEN, METRICS_TOKEN))
    one = {("shard", "1")}

    # the scrape needs the metrics token (not the matcher's); off without one
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=AUTH).status_code == 401
    off = TestClient(create_matcher_app(replica, TOKEN))
    assert off.get("/metrics", headers=SCRAPE).status_code == 404

    q = reg.query(next(a for a in sorted(reg.active) if shard_of(a, 2) == 1))
    assert client.post("/lookup", json={"hash": q.hex()}, headers=AUTH).status_code == 503
    m = _scrape(client)
    assert m[("mediaproof_matcher_ready", tuple(one))] == 0
    assert m[("mediaproof_matcher_lookups_total", (("outcome", "busy"), ("signal", "pdq")))] == 1
    assert not any(k[0] == "mediaproof_matcher_snapshot_age_seconds" for k in m)
    assert not any(k[0] == "mediaproof_matcher_caught_up_age_seconds" for k in m)

    replica.load()
    for _ in range(3):
        r = client.post("/lookup", json={"hash": q.hex()}, headers=AUTH)
        assert r.status_code == 200 and r.json()["matches"]
    r = client.post("/lookup", json={"signal": "vpdq", "hash": q.hex()}, headers=AUTH)
    assert r.status_code == 200
    assert client.post("/lookup", json={"hash": "zz"}, headers=AUTH).status_code == 422
    m = _scrape(client)
    ok = ("mediaproof_matcher_lookups_total", (("outcome", "ok"), ("signal", "pdq")))
    assert m[ok] == 3
    assert m[("mediaproof_matcher_lookups_total", (("outcome", "ok"), ("signal", "vpdq")))] == 1
    assert m[("mediaproof_matcher_lookups_total", (("outcome", "busy"), ("signal", "pdq")))] == 1
    assert m[("mediaproof_matcher_lookups_total", (("outcome", "error"), ("signal", "pdq")))] == 0
    assert m[("mediaproof_matcher_lookup_duration_seconds_count", (("signal", "pdq"),))] == 3
    assert m[("mediaproof_matcher_lookup_duration_seconds_sum", (("signal", "pdq"),))] > 0
    with inst.db.session() as s:
        newest = FingerprintRepository(s).last_change_seq()
    assert m[("mediaproof_matcher_ready", tuple(one))] == 1
    assert m[("mediaproof_matcher_applied_seq", tuple(one))] == replica.seq == newest
    assert m[("mediaproof_matcher_changes_behind", tuple(one))] == 0
    assert 0 <= m[("mediaproof_matcher_caught_up_age_seconds", tuple(one))] < 30
    age = m[("mediaproof_matcher_snapshot_age_seconds", tuple(one))]
    assert 0 <= age <= time.time() - before
    status = replica.status()
    assert replica.snapshot == built[1].name
    assert m[("mediaproof_matcher_index_hashes", tuple(one))] == status["hashes"] > 0
    assert m[("mediaproof_matcher_index_bytes", tuple(one))] == status["index_bytes"] > 0
    assert any(k[0] == "process_cpu_seconds_total" for k in m)

    # changes the replica has not polled yet: its lag; a poll clears it
    reg.register(5)
    reg.withdraw(sorted(reg.active)[:2])
    m = _scrape(client)
    assert m[("mediaproof_matcher_changes_behind", tuple(one))] == 7
    replica.poll()
    m = _scrape(client)
    assert m[("mediaproof_matcher_changes_behind", tuple(one))] == 0
    assert m[("mediaproof_matcher_applied_seq", tuple(one))] == newest + 7
    assert m[("mediaproof_matcher_index_hashes", tuple(one))] == replica.status()["hashes"]
