"""The sharded, replicated matchers (issue 20, item 3) on PostgreSQL.

In process: a replica is not ready until it has caught up with the change sequence (nor
once it stops keeping up), answers its shard exactly, and swaps to a newer snapshot.

As real processes (2 shards x 2 replicas on loopback, snapshots in the S3-compatible
store): a registration is matchable on every replica within about a second, and a
lookup loop through the API's fan-out loses nothing while one replica per shard is
SIGKILLed; every answer equals brute force over the active assets' hashes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from mediaproof.cli.matcher_http import create_matcher_app
from mediaproof.config import Settings
from mediaproof.config_cluster import BlobSettings
from mediaproof.matching.shards import shard_of
from mediaproof.services.instance import Instance
from mediaproof.services.matchers import ShardReplica, build_snapshots
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from tests.blobs.conftest import s3_bucket, s3_env, s3_server  # noqa: F401  (fixtures)
from tests.conftest import _drop_pg_database, _pg_database
from tests.e2e.server import SRC
from tests.matcher_support import AUTH, TOKEN, Matcher, Registry, answer, fanout_spec, wait_ready

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    url = _pg_database(pg_template)
    try:
        yield url
    finally:
        _drop_pg_database(url)


def test_replica_ready_only_when_caught_up_exact_and_swaps(tmp_path: Path, pg_url: str) -> None:
    inst = Instance(Settings(home=tmp_path / "inst", database_url=pg_url))
    try:
        reg = Registry(inst.db)
        reg.register(120)
        built = build_snapshots(inst.db, inst.blob_store, 2, tmp_path / "build")
        with inst.db.session() as s:
            assert [b.seq for b in built] == [FingerprintRepository(s).last_change_seq()] * 2
        assert sum(b.hashes for b in built) == 120 * 8
        # changes after the snapshot: the replica must apply them to be right
        later = reg.register(20)
        reg.withdraw(later[:3] + sorted(reg.active)[:3])

        replica = ShardReplica(
            inst.db, inst.blob_store, 0, 2, tmp_path / "cache", stale_after_s=1.0
        )
        client = TestClient(create_matcher_app(replica, TOKEN))
        q = reg.query(next(a for a in sorted(reg.active) if shard_of(a, 2) == 0))
        body = {"signal": "pdq", "hash": q.hex(), "max_distance": 31}
        assert client.get("/readyz").status_code == 503  # nothing loaded yet
        r = client.post("/lookup", json=body, headers=AUTH)
        assert r.status_code == 503 and r.json()["error"]["code"] == "busy"

        replica.load()
        assert replica.snapshot == built[0].name and replica.seq > built[0].seq
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert client.post("/lookup", json=body).status_code == 401
        wrong_token = {"authorization": "Bearer x"}
        assert client.post("/lookup", json=body, headers=wrong_token).status_code == 401
        assert client.post("/lookup", json={"hash": "zz"}, headers=AUTH).status_code == 422
        for a in sorted(reg.hashes)[::7]:  # withdrawn ones included: they must not match
            q = reg.query(a)
            got = client.post(
                "/lookup", json={"hash": q.hex(), "max_distance": 31}, headers=AUTH
            )
            assert answer(got.json()["matches"]) == reg.brute(q, 2, 0)

        time.sleep(1.2)  # no poll for longer than stale_after_s: not known to be caught up
        assert client.get("/readyz").status_code == 503
        new = [a for a in reg.register(6) if shard_of(a, 2) == 0]
        assert new
        q = reg.query(new[0])
        replica.poll()
        assert client.get("/readyz").status_code == 200
        got = client.post("/lookup", json={"hash": q.hex()}, headers=AUTH).json()
        assert str(new[0]) in {m["asset_id"] for m in got["matches"]}
        assert answer(got["matches"]) == reg.brute(q, 2, 0)

        # a newer snapshot: loaded beside the old one, then swapped in
        rebuilt = build_snapshots(inst.db, inst.blob_store, 2, tmp_path / "build")
        assert replica.refresh_snapshot() is True
        assert replica.snapshot == rebuilt[0].name
        assert replica.refresh_snapshot() is False  # nothing newer
        for a in sorted(reg.hashes)[::5]:
            q = reg.query(a)
            got = client.post("/lookup", json={"hash": q.hex()}, headers=AUTH).json()
            assert answer(got["matches"]) == reg.brute(q, 2, 0)
    finally:
        inst.close()


def test_serve_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MEDIAPROOF_HOME": str(tmp_path / "i")}
    env.pop("MEDIAPROOF_MATCHER_TOKEN", None)
    r = subprocess.run(
        [sys.executable, "-m", "mediaproof", "matcher", "serve", "--shard", "0", "--shards", "2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode != 0
    assert "MEDIAPROOF_MATCHER_TOKEN" in r.stderr


def test_fanout_loses_no_lookup_when_one_replica_per_shard_is_killed(
    tmp_path: Path, pg_url: str, s3_env: dict[str, Any]  # noqa: F811
) -> None:
    started = time.monotonic()
    home = tmp_path / "inst"
    blob = BlobSettings(**s3_env)
    inst = Instance(Settings(home=home, database_url=pg_url, blob=blob))
    matchers: list[Matcher] = []
    try:
        reg = Registry(inst.db, seed=11)
        reg.register(300)
        built = build_snapshots(inst.db, inst.blob_store, 2, tmp_path / "build")
        assert all(b.hashes for b in built)
        later = reg.register(15)
        reg.withdraw(later[:2] + sorted(reg.active)[:4])

        env = {
            **os.environ, "PYTHONPATH": str(SRC), "MEDIAPROOF_HOME": str(home),
            "MEDIAPROOF_DATABASE_URL": pg_url, "MEDIAPROOF_MATCHER_TOKEN": TOKEN,
            "MEDIAPROOF_BLOB_STORE": blob.store or "",
            "MEDIAPROOF_BLOB_S3_ENDPOINT_URL": str(blob.s3_endpoint_url),
            "MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID": str(blob.s3_access_key_id),
            "MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY": s3_env["s3_secret_access_key"]
            .get_secret_value(),
        }  # fmt: skip
        for shard in (0, 1):
            for k in (0, 1):
                matchers.append(Matcher(shard, 2, env, tmp_path / f"m{shard}{k}.log"))
        wait_ready(matchers, 45)
        for m in matchers:  # each mapped its shard's snapshot from the object store
            st = httpx.get(f"{m.url}/readyz").json()
            assert st["snapshot"] == built[m.shard].name, st

        # a registration is matchable on every replica within about a second
        (new,) = reg.register(1)
        t0 = time.monotonic()
        q = reg.query(new)
        delays = {}
        pending = [m for m in matchers if m.shard == shard_of(new, 2)]
        while pending:
            for m in list(pending):
                got = httpx.post(f"{m.url}/lookup", json={"hash": q.hex()}, headers=AUTH)
                if str(new) in {x["asset_id"] for x in got.json()["matches"]}:
                    delays[m.port] = time.monotonic() - t0
                    pending.remove(m)
            assert time.monotonic() - t0 < 5, f"not matchable after 5 s on {pending}"
            time.sleep(0.02)
        assert max(delays.values()) < 3.0, delays  # ~0.5 s poll; generous on a loaded box

        # the API's fan-out, through Instance as `serve` builds it
        spec = fanout_spec(matchers)
        api = Instance(
            Settings(home=home, database_url=pg_url, blob=blob, matchers=spec,
                     matcher_token=TOKEN, matcher_timeout_s=2.0)
        )  # fmt: skip
        try:
            lookup = api.fingerprint_lookup
            sample = [*sorted(reg.hashes)[::9], new]
            expected = {a: reg.brute(reg.query(a)) for a in sample}
            failures: list[str] = []
            wrong: list[int] = []
            done = 0
            killed_at = None
            loop_end = time.monotonic() + 30
            while time.monotonic() < loop_end:
                a = sample[done % len(sample)]
                try:
                    got = lookup.find_near("pdq", reg.query(a), 31)
                except Exception as e:  # counted: there must be none
                    failures.append(repr(e))
                else:
                    if sorted((c.asset_id, int(c.distance)) for c in got) != expected[a]:
                        wrong.append(a)
                done += 1
                if done == 40:  # kill -9 one replica of each shard mid-loop
                    for m in (matchers[0], matchers[2]):
                        m.kill()
                    killed_at = done
                if killed_at is not None and done >= killed_at + 3 * len(sample):
                    break
            assert killed_at is not None and done >= killed_at + 3 * len(sample)
            assert failures == [] and wrong == []
            assert lookup._remote is not None and lookup._remote.retries > 0  # type: ignore[attr-defined]
        finally:
            api.close()
    finally:
        for m in matchers:
            m.close()
        inst.close()
    assert time.monotonic() - started < 60
