"""The bounded lookup answer through real HTTP matchers (issue 20): a query at the centre
of a near-duplicate cluster larger than ``LOOKUP_LIMIT`` gets, through the fan-out over
1, 2 and 3 shards, exactly what the API process's own index answers and what brute force
says: the nearest ``LOOKUP_LIMIT`` assets, every row of each, the total within the
radius, ``truncated``. Each matcher is ``matcher_http``'s app over a real
:class:`ShardReplica` on SQLite, served by uvicorn on loopback."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn

from mediaproof.cli.matcher_http import create_matcher_app
from mediaproof.config import Settings
from mediaproof.matching.hamming_words import brute_force, hashes_to_words
from mediaproof.matching.lookup import LOOKUP_LIMIT, FingerprintEntry, asset_order
from mediaproof.services.instance import Instance
from mediaproof.services.matcher_client import MatcherFanOut
from mediaproof.services.matchers import ShardReplica
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from tests.e2e.server import free_port
from tests.matcher_support import AUTH, TOKEN

CLUSTER, OTHERS = 3 * LOOKUP_LIMIT, 150
VARIANTS = ("original", "flipx")


class Served:
    """A replica's app on a loopback port (uvicorn in a thread of this process)."""

    def __init__(self, replica: ShardReplica) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_matcher_app(replica, TOKEN), host="127.0.0.1", port=port,
            log_level="warning", lifespan="off",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the matcher did not start"
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Any]]:
    """An instance with a cluster of ``CLUSTER`` assets (2 hashes each, 0-10 bits from
    one centre) and ``OTHERS`` unrelated ones; yields it and (centre, owners, hashes)."""
    tmp = tmp_path_factory.mktemp("bound")
    inst = Instance(Settings(home=tmp / "inst"))
    rng = np.random.default_rng(11)
    centre = rng.integers(0, 256, 32, dtype=np.uint8)
    owners: list[int] = []
    hashes: list[bytes] = []
    with inst.db.session() as s:
        for i in range(CLUSTER + OTHERS):
            base = centre if i < CLUSTER else rng.integers(0, 256, 32, dtype=np.uint8)
            entries = []
            for v in VARIANTS:
                h = np.unpackbits(base.copy())
                h[rng.choice(256, int(rng.integers(0, 11)), replace=False)] ^= 1
                entries.append(FingerprintEntry("pdq", bytes(np.packbits(h)), quality=100,
                                                variant=v))  # fmt: skip
            a = AssetRepository(s).add(
                sha256=uuid.uuid4().hex * 2, mime="image/png", size=1, title="t"
            )
            FingerprintRepository(s).add_many(a.id, entries)
            owners += [a.id] * len(entries)
            hashes += [e.value for e in entries if e.value is not None]
    try:
        yield inst, (bytes(centre), owners, hashes)
    finally:
        inst.close()


def _brute(owners: list[int], hashes: list[bytes], q: bytes) -> tuple[list[Any], int]:
    pos, dist = brute_force(hashes_to_words(hashes), hashes_to_words([q])[0], 31)
    best: dict[str, int] = {}
    for p, d in zip(pos.tolist(), dist.tolist(), strict=True):
        best[str(owners[p])] = min(best.get(str(owners[p]), 256), d)
    kept = set(sorted(best, key=lambda a: (best[a], asset_order(a)))[:LOOKUP_LIMIT])
    rows = sorted(
        (
            (d, asset_order(str(owners[p])), str(owners[p]), VARIANTS[p % 2])
            for p, d in zip(pos.tolist(), dist.tolist(), strict=True)
            if str(owners[p]) in kept
        )
    )
    return [(a, d, v) for d, _, a, v in rows], len(best)


@pytest.mark.parametrize("shards", [1, 2, 3])
def test_fanout_answer_is_bounded_exact_and_the_in_process_one(
    registry: tuple[Instance, Any], tmp_path: Path, shards: int
) -> None:
    inst, (centre, owners, hashes) = registry
    replicas = [
        ShardReplica(inst.db, inst.blob_store, i, shards, tmp_path / f"c{i}", stale_after_s=600)
        for i in range(shards)
    ]
    served: list[Served] = []
    fanout = None
    try:
        for r in replicas:
            r.load()
            served.append(Served(r))
        fanout = MatcherFanOut([[s.url] for s in served], TOKEN, timeout_s=20)
        local = inst.fingerprint_lookup  # no MEDIAPROOF_MATCHERS: the process's own index
        rng = np.random.default_rng(shards)
        queries = [centre] + [
            bytes(np.frombuffer(centre, np.uint8) ^ rng.integers(0, 2, 32, dtype=np.uint8))
            for _ in range(3)
        ] + [hashes[-1], bytes(32)]  # fmt: skip
        for q in queries:
            want, total = _brute(owners, hashes, q)
            got = fanout.find_near("pdq", q, 31)
            mine = local.find_near("pdq", q, 31)
            assert list(got) == list(mine)  # the same candidates, in the same order
            assert [(c.asset_id, c.distance, c.variant) for c in got] == want
            assert got.total == mine.total == total  # type: ignore[attr-defined]
            assert got.truncated == (total > LOOKUP_LIMIT)
        # the centre: the whole cluster is within the radius, the answer is bounded
        got = fanout.find_near("pdq", centre, 31)
        assert got.total >= CLUSTER and got.truncated
        assert len({c.asset_id for c in got}) == LOOKUP_LIMIT
        # each shard's own answer on the wire is bounded too, and says what it left out
        body = {"signal": "pdq", "hash": centre.hex(), "max_distance": 31}
        per_shard = [httpx.post(f"{s.url}/lookup", json=body, headers=AUTH).json()
                     for s in served]  # fmt: skip
        assert sum(p["total"] for p in per_shard) == got.total
        for p in per_shard:
            assert len({m["asset_id"] for m in p["matches"]}) == min(p["total"], LOOKUP_LIMIT)
            assert p["truncated"] == (p["total"] > LOOKUP_LIMIT)
        too_many = httpx.post(f"{served[0].url}/lookup", headers=AUTH,
                              json={**body, "limit": LOOKUP_LIMIT + 1})  # fmt: skip
        assert too_many.status_code == 422
    finally:
        if fanout is not None:
            fanout.close()
        for s in served:
            s.close()
