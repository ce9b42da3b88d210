"""The matchers' snapshot build as the queue task `index.snapshot` (run in this process
through Celery's own task machinery, on a SQLite instance), and the fan-out's answer
when no replica of a shard can be reached (real refused connections on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mediaproof.config import Settings
from mediaproof.errors import BusyError
from mediaproof.matching.shards import shard_of
from mediaproof.queue.app import SNAPSHOT_TASK_NAME, make_celery
from mediaproof.services import job_worker
from mediaproof.services.matcher_client import MatcherFanOut
from mediaproof.services.matchers import ShardReplica, shelf_for
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from tests.e2e.server import free_port
from tests.matcher_support import Registry


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    s = Settings(home=tmp_path / "inst", broker_url="amqp://guest:guest@127.0.0.1:5672//")
    yield s
    inst = job_worker._instance
    if inst is not None:
        inst.close()
    job_worker._instance = None


def test_index_snapshot_task_builds_and_publishes_every_shard(
    settings: Settings, tmp_path: Path
) -> None:
    inst = job_worker.worker_instance(settings)
    reg = Registry(inst.db)
    reg.register(40)
    app = make_celery(settings)
    try:
        assert SNAPSHOT_TASK_NAME in app.tasks
        built = app.tasks[SNAPSHOT_TASK_NAME].apply(args=[2]).get()
    finally:
        app.close()
    with inst.db.session() as s:
        seq = FingerprintRepository(s).last_change_seq()
    assert [(b["shard"], b["shards"], b["seq"]) for b in built] == [(0, 2, seq), (1, 2, seq)]
    assert sum(b["hashes"] for b in built) == 40 * 8
    for b in built:
        assert shelf_for(inst.blob_store, b["shard"], 2).current() == b["name"]
    # what the task published is what a replica maps and serves
    replica = ShardReplica(inst.db, inst.blob_store, 1, 2, tmp_path / "cache")
    replica.load()
    assert replica.snapshot == built[1]["name"]
    for a in sorted(reg.hashes)[::3]:
        q = reg.query(a)
        _seq, found = replica.find_near("pdq", q, 31)
        assert sorted((c.asset_id, int(c.distance)) for c in found) == reg.brute(q, 2, 1)
        if shard_of(a, 2) == 1:
            assert str(a) in {c.asset_id for c in found}


def test_fanout_fails_clearly_when_a_shard_has_no_replica_left() -> None:
    dead = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    client = MatcherFanOut([dead], "matcher-test-token-0123456789", timeout_s=1)
    try:
        with pytest.raises(BusyError, match="no replica of matcher shard 0 answered") as e:
            client.find_near("pdq", bytes(32), 31)
        assert all(u in str(e.value) for u in dead)  # both were tried
        with pytest.raises(ValueError, match="32-byte"):
            client.find_near("pdq", b"short", 31)
        with pytest.raises(ValueError, match="pdq, vpdq"):
            client.find_near("md5", bytes(32), 0)
    finally:
        client.close()


def test_api_with_matchers_but_no_token_is_a_config_error(tmp_path: Path) -> None:
    from mediaproof.errors import ConfigError
    from mediaproof.services.instance import Instance

    inst = Instance(Settings(home=tmp_path / "i", matchers="0=http://127.0.0.1:9"))
    try:
        with pytest.raises(ConfigError, match="MEDIAPROOF_MATCHER_TOKEN"):
            _ = inst.fingerprint_lookup
    finally:
        inst.close()


def test_a_snapshot_ahead_of_the_database_is_not_served(tmp_path: Path) -> None:
    """A snapshot built from another database (the instance was reset or restored) names
    changes this one never had: the replica reads its rows instead of serving it."""
    from mediaproof.services.instance import Instance
    from mediaproof.services.matchers import build_snapshots

    first = Instance(Settings(home=tmp_path / "a"))
    reg = Registry(first.db)
    reg.register(30)
    build_snapshots(first.db, first.blob_store, 1, tmp_path / "build")
    second = Instance(Settings(home=tmp_path / "b"))  # a fresh database, same store below
    try:
        other = Registry(second.db, seed=99)
        other.register(2)
        replica = ShardReplica(second.db, first.blob_store, 0, 1, tmp_path / "cache")
        replica.load()
        assert replica.status()["hashes"] == 2 * 8  # the fresh database's, not the 240
        q = other.query(sorted(other.hashes)[0])
        _seq, found = replica.find_near("pdq", q, 31)
        assert sorted((c.asset_id, int(c.distance)) for c in found) == other.brute(q)
    finally:
        first.close()
        second.close()
