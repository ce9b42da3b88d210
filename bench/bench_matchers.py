"""The sharded matchers (issue 20, item 3): lookup latency through the fan-out over 1, 2
and 4 shards next to the in-process index, memory per hash per shard, and the time from
a registration to matchable on every replica.

    PYTHONPATH=src python bench/bench_matchers.py --hashes 1000000 --shards 1,2,4

Needs the local PostgreSQL (``MEDIAPROOF_TEST_PG_URL``, default the test server's
``test`` database: a throw-away database is made beside it and dropped at the end).
N PDQ rows (N/8 assets x 8 hashes) are written with COPY; for each shard count the
shard snapshots are built and published (local blob folder), one matcher process per
shard (``python -m mediaproof.cli.matcher serve``) maps its snapshot, and the same
queries (4 bits off a stored hash) go through ``MatcherFanOut`` (wall time: it is a
network path) and, for the baseline, to one in-process replica of the whole index in
this process (wall time too, same queries). Then ``--registrations`` new assets are
written one at a time and every replica's ``/lookup`` is polled until it finds each.

Prints JSON. Wall times on a shared machine: the load average is printed beside them;
compare the ratios of one run, not numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

SRC = str(Path(__file__).resolve().parents[1] / "src")
TOKEN = "bench-matcher-token-0123456789"
PG = os.environ.get("MEDIAPROOF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs), p)) if xs else 0.0


def ms(x: float) -> float:
    return round(x * 1000, 3)


def lat_summary(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": ms(pct(xs, 50)), "p99_ms": ms(pct(xs, 99)), "max_ms": ms(max(xs))}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def make_db() -> str:
    from sqlalchemy import create_engine, text

    name = f"mp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG.rsplit("/", 1)[0] + "/" + name


def drop_db(url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def fill(url: str, n: int, seed: int) -> np.ndarray:
    """n PDQ rows of n/8 active assets, by COPY; returns the hashes (n, 32)."""
    import psycopg

    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade

    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    assets = (n + 7) // 8
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
        with con.cursor() as cur:
            with cur.copy(
                "COPY assets (id, sha256, mime, size, title, signed, status, created_at) "
                "FROM STDIN"
            ) as cp:
                for i in range(assets):
                    cp.write_row((i + 1, f"{i:064x}", "image/jpeg", 1, "t", False, "active",
                                  "2026-12-06"))  # fmt: skip
            with cur.copy(
                "COPY fingerprints (asset_id, signal, value, quality, created_at) FROM STDIN"
            ) as cp:
                for i in range(n):
                    cp.write_row((i // 8 + 1, "pdq", hashes[i].tobytes(), 100, "2026-12-06"))
            cur.execute("SELECT setval(pg_get_serial_sequence('assets', 'id'), %s)", (assets,))
        con.commit()
        # what autovacuum would do soon after a bulk load: without statistics the planner
        # joins the rows to their assets row by row (minutes per batch at 10^6)
        con.autocommit = True
        con.execute("ANALYZE assets")
        con.execute("ANALYZE fingerprints")
    return hashes


class Matcher:
    def __init__(self, shard: int, shards: int, env: dict[str, str], log: Path) -> None:
        self.shard, self.port = shard, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mediaproof.cli.matcher", "serve", "--shard", str(shard),
             "--shards", str(shards), "--port", str(self.port), "--log-level", "warning"],
            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def ready(self) -> bool:
        import httpx

        if self.proc.poll() is not None:
            raise RuntimeError(self.log.read_text()[-2000:])
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def register_one(db: Any, rng: np.random.Generator) -> tuple[int, bytes]:
    from mediaproof.matching.lookup import FingerprintEntry
    from mediaproof.storage.sql.repos import AssetRepository
    from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository

    h = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
    with db.session() as s:
        a = AssetRepository(s).add(sha256=uuid.uuid4().hex * 2, mime="image/png", size=1,
                                   title="t")  # fmt: skip
        FingerprintRepository(s).add_many(a.id, [FingerprintEntry("pdq", h, quality=100)])
    return a.id, h


def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    from mediaproof.config import Settings
    from mediaproof.matching.shards import shard_of
    from mediaproof.services.matcher_client import MatcherFanOut
    from mediaproof.services.matchers import ShardReplica, build_snapshots
    from mediaproof.storage.blobs import LocalBlobStore
    from mediaproof.storage.sql.engine import Database

    out: dict[str, Any] = {
        "hashes": args.hashes, "queries": args.queries, "python": platform.python_version(),
        "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
    }  # fmt: skip
    url = make_db()
    tmp = Path(tempfile.mkdtemp(prefix="bench-matchers-"))
    try:
        t0 = time.perf_counter()
        hashes = fill(url, args.hashes, args.seed)
        out["fill_wall_s"] = round(time.perf_counter() - t0, 1)
        rng = np.random.default_rng(args.seed + 1)
        q = hashes[rng.integers(0, len(hashes), args.queries)].copy()
        q[:, 0] ^= 0x0F  # 4 bits off a stored hash: each query has at least one match
        queries = [h.tobytes() for h in q]
        del hashes
        db = Database(url)
        home = tmp / "home"
        store = LocalBlobStore(home)
        settings = Settings(home=home, database_url=url)
        env = {**os.environ, "PYTHONPATH": SRC, "MEDIAPROOF_HOME": str(home),
               "MEDIAPROOF_DATABASE_URL": url, "MEDIAPROOF_MATCHER_TOKEN": TOKEN}  # fmt: skip

        # the baseline: the whole index in this process (one shard of one), same queries
        build_snapshots(db, store, 1, tmp / "build")
        base = ShardReplica(db, store, 0, 1, settings.cache_dir / "inproc")
        base.load()
        for h in queries[:20]:
            base.find_near("pdq", h, 31)
        lat = []
        found = 0
        for h in queries:
            t = time.perf_counter()
            found += len(base.find_near("pdq", h, 31)[1])
            lat.append(time.perf_counter() - t)
        out["in_process"] = {**lat_summary(lat), "matches": found}
        base.close()
        del base

        out["fanout"] = {}
        for shards in args.shards:
            t0 = time.perf_counter()
            built = build_snapshots(db, store, shards, tmp / "build")
            build_s = time.perf_counter() - t0
            snap_bytes = {}
            for b in built:
                folder = home / "matchers" / str(shards) / str(b.shard) / b.name
                snap_bytes[b.shard] = sum(p.stat().st_size for p in folder.glob("*.npy"))
            t0 = time.perf_counter()
            procs = [Matcher(i, shards, env, tmp / f"m{shards}-{i}.log") for i in range(shards)]
            try:
                while not all(m.ready() for m in procs):
                    if time.perf_counter() - t0 > 600:
                        raise RuntimeError("matchers not ready in 600 s")
                    time.sleep(0.1)
                ready_s = time.perf_counter() - t0
                client = MatcherFanOut([[m.url] for m in procs], TOKEN, timeout_s=10)
                for h in queries[:20]:
                    client.find_near("pdq", h, 31)
                lat, found = [], 0
                for h in queries:
                    t = time.perf_counter()
                    found += len(client.find_near("pdq", h, 31))
                    lat.append(time.perf_counter() - t)
                rss = {m.shard: rss_of(m.proc.pid) for m in procs}
                index_bytes = max(
                    httpx.get(f"{m.url}/readyz").json()["index_bytes"] for m in procs
                )
                # registration -> matchable on every replica of its shard
                delays = []
                for _ in range(args.registrations):
                    aid, h = register_one(db, rng)
                    t = time.perf_counter()
                    owner = procs[shard_of(aid, shards)]
                    with httpx.Client(headers={"authorization": f"Bearer {TOKEN}"}) as hc:
                        while True:
                            r = hc.post(f"{owner.url}/lookup", json={"hash": h.hex()})
                            if any(m["asset_id"] == str(aid) for m in r.json()["matches"]):
                                break
                            if time.perf_counter() - t > 30:
                                raise RuntimeError("registration not matchable in 30 s")
                            time.sleep(0.01)
                    delays.append(time.perf_counter() - t)
                client.close()
                per_shard = args.hashes / shards
                out["fanout"][str(shards)] = {
                    **lat_summary(lat), "matches": found,
                    "snapshot_build_wall_s": round(build_s, 1),
                    "ready_wall_s": round(ready_s, 1),
                    "rss_mb_per_process": {k: round(v / 2**20, 1) for k, v in rss.items()},
                    "snapshot_bytes_per_hash": round(sum(snap_bytes.values()) / args.hashes, 1),
                    "rss_bytes_per_hash_per_shard": round(max(rss.values()) / per_shard, 1),
                    "index_bytes_per_hash": round(index_bytes / per_shard, 1),
                    "registration_to_matchable_ms": {
                        "p50": ms(pct(delays, 50)), "max": ms(max(delays)), "n": len(delays),
                    },
                }  # fmt: skip
            finally:
                for m in procs:
                    m.stop()
        db.dispose()
    finally:
        drop_db(url)
        shutil.rmtree(tmp, ignore_errors=True)
    out["loadavg_end"] = os.getloadavg()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--hashes", type=int, default=1_000_000)
    ap.add_argument("--shards", default="1,2,4")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--registrations", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    args.shards = [int(s) for s in args.shards.split(",")]
    sys.path.insert(0, SRC)
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
