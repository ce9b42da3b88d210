"""The sharded matchers (issue 20, item 3): lookup latency through the fan-out over 1, 2
and 4 shards next to the in-process index, memory per matcher, snapshot build time, and
the time from a registration to matchable on every replica.

    nice -n 15 env PYTHONPATH=src python bench/bench_matchers.py --hashes 10000000 \
        --populations uniform,clustered --shards 1,2,4 --out bench/matchers_10m.json

Needs the local PostgreSQL (``MEDIAPROOF_TEST_PG_URL``, default the test server's
``test`` database: a throw-away database is made beside it per population and dropped at
the end). Per population:

- N PDQ rows (N/8 assets x 8 hashes) are written with ``COPY`` (the text rows are put
  together by numpy, not row by row in Python: 10^7 rows in well under a minute of this
  process), then ``ANALYZE``. ``uniform``: uniformly random hashes, queried 4 bits off
  a stored hash. ``clustered``: ``mediaproof.testing.hash_populations`` (the index
  bench's generator: 48 biased bits in one slot, correlated bit groups, Zipf-sized
  near-duplicate clusters; ``--cluster-share`` / ``--clusters``), queried with its own
  queries (near stored rows, near cluster centres, fresh draws). The 8 rows of an asset
  are 8 draws, not the dihedral variants of one image.
- For each shard count the snapshots are built and published with
  ``build_snapshots`` (what ``matcher snapshot`` and the ``index.snapshot`` task run:
  rows read from the database, index built, files written and published to a local
  blob folder); wall and this process's CPU are reported.
- With the 1-shard snapshot, the whole index is loaded in this process (one
  ``ShardReplica`` of 1 shard, no HTTP) as the baseline.
- One matcher process per shard (``python -m mediaproof.cli.matcher serve``) maps its
  snapshot; time to ``/readyz`` 200; then the same queries go through ``MatcherFanOut``
  (the API's client, loopback HTTP). Per lookup: wall and this process's CPU (the
  fan-out's threads included); the matchers' CPU (``/proc``, all shards together) per
  lookup on average, and their idle CPU (change polling) measured for 5 s before;
  resident memory per matcher (anonymous and mapped-file parts).
- ``--registrations`` new assets are registered one at a time (the repository's
  ``add_many``: one change row each); reported: the time until the owning shard's
  replica finds it, and until every replica has applied its change (``/readyz`` seq).

Prints JSON (and writes it to ``--out`` after every stage, so a run cut short keeps what
it measured). Wall times on a shared machine: the load average is printed beside them;
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
CHUNK = 1_000_000
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
DENSE_ANSWER = 100  # matches: more than this is a near-duplicate cluster's answer
IDLE_S = 5.0  # how long the matchers' idle CPU (their polling) is measured


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs), p)) if xs else 0.0


def ms(x: float) -> float:
    return round(x * 1000, 3)


def lat_summary(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"n": 0}
    return {"p50_ms": ms(pct(xs, 50)), "p99_ms": ms(pct(xs, 99)), "max_ms": ms(max(xs)),
            "n": len(xs)}  # fmt: skip


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mem_of(pid: int) -> dict[str, float]:
    """Resident MB of a process: all, anonymous (heap) and file-backed (mapped snapshot)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = round(int(rest.split()[0]) / 1024, 1)
    return out


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the database ------------------------------------------------------------------


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


def _decimal(x: np.ndarray, width: int) -> np.ndarray:
    """(k, width) ASCII digits of non-negative ints, zero-padded (COPY reads 0042 as 42)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((x[:, None] // powers) % 10 + 48).astype(np.uint8)


def _hex(b: np.ndarray) -> np.ndarray:
    out = np.empty((len(b), 2 * b.shape[1]), np.uint8)
    out[:, 0::2] = HEX[b >> 4]
    out[:, 1::2] = HEX[b & 15]
    return out


def copy_lines(*parts: bytes | np.ndarray) -> bytes:
    """COPY text rows from fixed-width parts: constants (the same in every row) and
    (k, w) uint8 arrays (one row each), put side by side."""
    k = next(len(p) for p in parts if isinstance(p, np.ndarray))
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    buf = np.empty((k, sum(widths)), np.uint8)
    at = 0
    for p, w in zip(parts, widths, strict=True):
        buf[:, at : at + w] = np.frombuffer(p, np.uint8) if isinstance(p, bytes) else p
        at += w
    return buf.tobytes()


def fill(url: str, hashes: np.ndarray) -> None:
    """len(hashes) PDQ rows of len/8 active assets, by COPY."""
    import psycopg

    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade

    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    n = len(hashes)
    assets = (n + 7) // 8
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con:
        with con.cursor() as cur:
            with cur.copy(
                "COPY assets (id, sha256, mime, size, title, signed, status, created_at) FROM STDIN"
            ) as cp:
                for a in range(0, assets, CHUNK):
                    ids = np.arange(a + 1, min(a + CHUNK, assets) + 1, dtype=np.int64)
                    d = _decimal(ids, 10)
                    rest = b"\timage/jpeg\t1\tt\tf\tactive\t2026-12-06\n"
                    cp.write(copy_lines(d, b"\t" + b"0" * 54, d, rest))
            with cur.copy(
                "COPY fingerprints (asset_id, signal, value, quality, created_at) FROM STDIN"
            ) as cp:
                for a in range(0, n, CHUNK):
                    rows = np.arange(a, min(a + CHUNK, n), dtype=np.int64)
                    aid, value = _decimal(rows // 8 + 1, 10), _hex(hashes[a : a + CHUNK])
                    cp.write(copy_lines(aid, b"\tpdq\t\\\\x", value, b"\t100\t2026-12-06\n"))
            cur.execute("SELECT setval(pg_get_serial_sequence('assets', 'id'), %s)", (assets,))
        con.commit()
        # what autovacuum would do soon after a bulk load: without statistics the planner
        # joins the rows to their assets row by row (minutes per batch at 10^6)
        con.autocommit = True
        con.execute("ANALYZE assets")
        con.execute("ANALYZE fingerprints")


def population(kind: str, n: int, nq: int, args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(stored hashes (n, 32) uint8, queries [(32 bytes)], the population's parameters)."""
    rng = np.random.default_rng(args.seed)
    if kind == "uniform":
        hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
        q = hashes[rng.integers(0, n, nq)].copy()
        q[:, 0] ^= 0x0F  # 4 bits off a stored hash: each query has at least one match
        return hashes, [h.tobytes() for h in q], {"kind": "uniform", "query_bits_off": 4}
    if kind == "clustered":
        from mediaproof.testing.hash_populations import clustered_population

        pop = clustered_population(
            n,
            queries=nq,
            seed=args.seed,
            biased_start=0,
            cluster_share=args.cluster_share,
            clusters=args.clusters,
        )
        as_bytes = pop.words.astype("<u8").view(np.uint8).reshape(n, 32)
        qb = pop.queries.astype("<u8").view(np.uint8).reshape(-1, 32)
        return as_bytes, [h.tobytes() for h in qb], {"kind": "clustered", **pop.params}
    raise ValueError(f"unknown population {kind!r}")


# --- the matchers ------------------------------------------------------------------


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

    def status(self) -> dict[str, Any] | None:
        import httpx

        if self.proc.poll() is not None:
            raise RuntimeError(self.log.read_text()[-2000:])
        try:
            r = httpx.get(f"{self.url}/readyz", timeout=5)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def register_one(db: Any, rng: np.random.Generator) -> tuple[int, bytes, int]:
    """A new asset with one PDQ row, as registration stores it; (id, hash, change seq)."""
    from sqlalchemy import func, select

    from mediaproof.matching.lookup import FingerprintEntry
    from mediaproof.storage.sql.repos import AssetRepository
    from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
    from mediaproof.storage.sql.tables_fingerprints import IndexChangeRow

    h = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
    with db.session() as s:
        a = AssetRepository(s).add(sha256=uuid.uuid4().hex * 2, mime="image/png", size=1,
                                   title="t")  # fmt: skip
        FingerprintRepository(s).add_many(a.id, [FingerprintEntry("pdq", h, quality=100)])
        aid = a.id
    with db.session() as s:
        seq = s.scalar(select(func.max(IndexChangeRow.seq)).where(IndexChangeRow.asset_id == aid))
    return aid, h, int(seq or 0)


def registrations(db: Any, procs: list[Matcher], shards: int, k: int, seed: int) -> dict[str, Any]:
    """Register k assets one at a time; for each, the time until its shard's replica
    finds it and until every replica has applied its change."""
    import httpx

    from mediaproof.matching.shards import shard_of

    rng = np.random.default_rng(seed)
    owner_s, all_s = [], []
    with httpx.Client(headers={"authorization": f"Bearer {TOKEN}"}, timeout=10) as hc:
        for _ in range(k):
            aid, h, seq = register_one(db, rng)
            t = time.perf_counter()
            owner = procs[shard_of(aid, shards)]
            found_at: float | None = None
            applied: dict[int, float] = {}
            while found_at is None or len(applied) < len(procs):
                now = time.perf_counter() - t
                if now > 30:
                    raise RuntimeError("registration not matchable on every replica in 30 s")
                if found_at is None:
                    r = hc.post(f"{owner.url}/lookup", json={"hash": h.hex()})
                    if any(m["asset_id"] == str(aid) for m in r.json()["matches"]):
                        found_at = time.perf_counter() - t
                for m in procs:
                    if m.shard not in applied:
                        st = hc.get(f"{m.url}/readyz").json()
                        if st.get("seq", 0) >= seq:
                            applied[m.shard] = time.perf_counter() - t
                time.sleep(0.01)
            owner_s.append(found_at)
            all_s.append(max(max(applied.values()), found_at))
    return {
        "owner_replica_finds_it_ms": {"p50": ms(pct(owner_s, 50)), "max": ms(max(owner_s))},
        "every_replica_applied_ms": {"p50": ms(pct(all_s, 50)), "max": ms(max(all_s))},
        "n": k,
    }


def split_by_answer(lat: list[float], counts: list[int]) -> dict[str, Any]:
    small = [x for x, c in zip(lat, counts, strict=True) if c <= DENSE_ANSWER]
    dense = [x for x, c in zip(lat, counts, strict=True) if c > DENSE_ANSWER]
    out: dict[str, Any] = {f"answers_up_to_{DENSE_ANSWER}": lat_summary(small)}
    if dense:
        out[f"answers_over_{DENSE_ANSWER}"] = {
            **lat_summary(dense), "median_matches": int(np.median([c for c in counts
                                                                 if c > DENSE_ANSWER])),
        }  # fmt: skip
    return out


def in_process(db: Any, store: Any, cache: Path, queries: list[bytes]) -> dict[str, Any]:
    """The whole index (the 1-shard snapshot) in this process: wall and thread CPU."""
    from mediaproof.services.matchers import ShardReplica

    # no polling thread (nothing changes meanwhile): never stale, however long the loop
    base = ShardReplica(db, store, 0, 1, cache, stale_after_s=float("inf"))
    t0 = time.perf_counter()
    base.load()
    load_s = time.perf_counter() - t0
    for h in queries[:20]:
        base.find_near("pdq", h, 31)
    wall, cpu, counts = [], [], []
    for h in queries:
        t, c = time.perf_counter(), time.thread_time()
        counts.append(len(base.find_near("pdq", h, 31)[1]))
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - t)
    base.close()
    return {"load_wall_s": round(load_s, 2), "wall": lat_summary(wall), "cpu": lat_summary(cpu),
            "matches": sum(counts), **split_by_answer(wall, counts)}  # fmt: skip


def fan_out(procs: list[Matcher], queries: list[bytes]) -> dict[str, Any]:
    from mediaproof.services.matcher_client import MatcherFanOut

    client = MatcherFanOut([[m.url] for m in procs], TOKEN, timeout_s=30)
    try:
        for h in queries[:20]:
            client.find_near("pdq", h, 31)
        # the matchers' CPU while idle (their change polling): what the loop's includes too
        idle0, t0 = sum(cpu_of(m.proc.pid) for m in procs), time.perf_counter()
        time.sleep(IDLE_S)
        idle = (sum(cpu_of(m.proc.pid) for m in procs) - idle0) / (time.perf_counter() - t0)
        wall, cpu, counts = [], [], []
        server0, loop0 = sum(cpu_of(m.proc.pid) for m in procs), time.perf_counter()
        for h in queries:
            t, c = time.perf_counter(), time.process_time()
            counts.append(len(client.find_near("pdq", h, 31)))
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - t)
        server = sum(cpu_of(m.proc.pid) for m in procs) - server0
        loop_s = time.perf_counter() - loop0
    finally:
        client.close()
    return {
        "wall": lat_summary(wall), "client_cpu": lat_summary(cpu),
        "matchers_cpu_ms_per_lookup_mean": ms(server / len(queries)),
        "matchers_idle_cpu_ms_per_s": ms(idle), "lookup_loop_wall_s": round(loop_s, 1),
        "matchers_cpu_ms_per_lookup_less_idle": ms(max(0.0, server - idle * loop_s)
                                                   / len(queries)),
        "matches": sum(counts), **split_by_answer(wall, counts),
    }  # fmt: skip


def one_population(kind: str, args: argparse.Namespace, save: Any) -> dict[str, Any]:
    from mediaproof.config import Settings
    from mediaproof.services.matchers import build_snapshots
    from mediaproof.storage.blobs import LocalBlobStore
    from mediaproof.storage.sql.engine import Database

    out: dict[str, Any] = {"loadavg_start": loadavg()}
    t0 = time.perf_counter()
    hashes, queries, params = population(kind, args.hashes, args.queries, args)
    out["population"] = params
    out["generate_wall_s"] = round(time.perf_counter() - t0, 1)
    url = make_db()
    tmp = Path(tempfile.mkdtemp(prefix="bench-matchers-", dir=args.tmp))
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        fill(url, hashes)
        out["fill"] = {"wall_s": round(time.perf_counter() - t0, 1),
                       "this_process_cpu_s": round(time.process_time() - c0, 1)}  # fmt: skip
        del hashes
        save(out)
        db = Database(url)
        home = tmp / "home"
        store = LocalBlobStore(home)
        settings = Settings(home=home, database_url=url)
        env = {**os.environ, "PYTHONPATH": SRC, "MEDIAPROOF_HOME": str(home),
               "MEDIAPROOF_DATABASE_URL": url, "MEDIAPROOF_MATCHER_TOKEN": TOKEN}  # fmt: skip
        out["fanout"] = {}
        for shards in args.shards:
            res: dict[str, Any] = {"loadavg_start": loadavg()}
            t0, c0 = time.perf_counter(), time.process_time()
            built = build_snapshots(db, store, shards, tmp / "build")
            res["snapshot_build"] = {
                "wall_s": round(time.perf_counter() - t0, 1),
                "this_process_cpu_s": round(time.process_time() - c0, 1),
                "hashes_per_shard": [b.hashes for b in built],
            }  # fmt: skip
            snap_bytes = sum(
                p.stat().st_size
                for b in built
                for p in (home / "matchers" / str(shards) / str(b.shard) / b.name).glob("*.npy")
            )
            res["snapshot_bytes_per_hash"] = round(snap_bytes / args.hashes, 1)
            out["fanout"][str(shards)] = res
            save(out)
            if shards == 1 and not args.no_in_process:
                out["in_process"] = in_process(db, store, settings.cache_dir / "inproc", queries)
                shutil.rmtree(settings.cache_dir / "inproc", ignore_errors=True)
                save(out)
            t0 = time.perf_counter()
            procs = [Matcher(i, shards, env, tmp / f"m{shards}-{i}.log") for i in range(shards)]
            try:
                while not all(m.status() for m in procs):
                    if time.perf_counter() - t0 > 900:
                        raise RuntimeError("matchers not ready in 900 s")
                    time.sleep(0.2)
                res["ready_wall_s"] = round(time.perf_counter() - t0, 1)
                res.update(fan_out(procs, queries))
                res["rss_mb_per_matcher"] = {m.shard: mem_of(m.proc.pid) for m in procs}
                statuses = [m.status() or {} for m in procs]
                per_shard = args.hashes / shards
                res["index_bytes_per_hash"] = round(
                    max(s.get("index_bytes", 0) for s in statuses) / per_shard, 1
                )
                res["registration_to_matchable"] = registrations(
                    db, procs, shards, args.registrations, args.seed + shards
                )
                res["loadavg_end"] = loadavg()
            finally:
                for m in procs:
                    m.stop()
                # the next shard count's files replace these (disk: ~1.4 GB per 10^7)
                shutil.rmtree(home / "matchers" / str(shards), ignore_errors=True)
                shutil.rmtree(settings.cache_dir / "matchers", ignore_errors=True)
            save(out)
        db.dispose()
    finally:
        drop_db(url)
        shutil.rmtree(tmp, ignore_errors=True)
    out["loadavg_end"] = loadavg()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--hashes", type=int, default=1_000_000)
    ap.add_argument("--populations", default="uniform,clustered")
    ap.add_argument("--shards", default="1,2,4")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--registrations", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cluster-share", type=float, default=0.01, help="rows in clusters")
    ap.add_argument("--clusters", type=int, default=1000, help="Zipf-sized near-dup clusters")
    ap.add_argument("--no-in-process", action="store_true", help="skip the in-process baseline")
    ap.add_argument("--tmp", default=None, help="folder for the snapshots (default: $TMPDIR)")
    ap.add_argument("--out", default=None, help="write the JSON here too, after every stage")
    args = ap.parse_args()
    args.shards = [int(s) for s in args.shards.split(",")]
    sys.path.insert(0, SRC)
    result: dict[str, Any] = {
        "hashes": args.hashes, "queries": args.queries, "python": platform.python_version(),
        "cpus": os.cpu_count(), "nice": os.nice(0), "loadavg_start": loadavg(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "populations": {},
    }  # fmt: skip

    def save(part: dict[str, Any] | None = None) -> None:
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=2) + "\n")

    for kind in args.populations.split(","):
        result["populations"][kind] = {}
        result["populations"][kind] = one_population(
            kind, args, lambda part, k=kind: (result["populations"].__setitem__(k, part), save())
        )
        save()
    result["loadavg_end"] = loadavg()
    result["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
