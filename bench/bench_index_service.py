"""The fingerprint index as the service runs it: memory per hash, start-up (from rows and
from a memory-mapped snapshot), lookups; lumpy populations; bulk import.

    PYTHONPATH=src python bench/bench_index_service.py --sizes 100000,1000000 \
        --sections service,clustered,import

Prints JSON. Times are CPU seconds of this process (``time.process_time``) or of the
querying thread (``time.thread_time`` per lookup), so they mean something on a shared
machine; wall times are given only where the aim is about waiting (ready within 10 s).

``service``: N PDQ rows (N/8 assets x 8 dihedral hashes) in a SQLite database; a fresh
process (so resident memory is its own) loads them (a) from rows, (b) from the snapshot
that (a) wrote, with 1,000 rows registered after the snapshot to catch up. Reported:
resident memory beyond the same process with an empty lookup, per hash; CPU to ready;
lookup p50/p99 of ``SqlFingerprintLookup.find_near`` next to the bare ``HammingIndex``
on the same hashes.

``clustered``: ``HammingIndex`` on ``mediaproof.testing.hash_populations`` (clusters of
near-duplicates, 48 biased bits in one place, correlated bit groups) next to uniform
hashes of the same N; recall against brute force on a subset of queries.

``import``: parsing and storing ``local_file`` and CSV files into a SQLite instance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DENSE_ANSWER = 100  # hits: more than this is a near-duplicate cluster's answer
SRC = str(Path(__file__).resolve().parents[1] / "src")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs), p)) if xs else 0.0


def ms(x: float) -> float:
    return round(x * 1000, 4)


# --- service -------------------------------------------------------------------------


def fill_db(path: Path, n: int, seed: int) -> np.ndarray:
    """A migrated SQLite database with n PDQ rows; returns the stored hashes (n, 32)."""
    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade

    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    variants = ("original", "rotate90", "rotate180", "rotate270", "flipx", "flipy",
                "flipplus", "flipminus")  # fmt: skip
    con = sqlite3.connect(path)
    now = "2026-12-06 00:00:00"
    assets = (n + 7) // 8
    con.executemany(
        "INSERT INTO assets (id, sha256, mime, size, title, signed, status, created_at) "
        "VALUES (?, ?, 'image/jpeg', 1, 't', 0, 'active', ?)",
        ((i + 1, f"{i:064x}", now) for i in range(assets)),
    )
    con.executemany(
        "INSERT INTO fingerprints (asset_id, signal, value, quality, variant, pipeline, "
        "created_at) VALUES (?, 'pdq', ?, 100, ?, 'draft512', ?)",
        ((i // 8 + 1, hashes[i].tobytes(), variants[i % 8], now) for i in range(n)),
    )
    con.commit()
    con.close()
    return hashes


def child(db_path: str, snap: str, queries: str, mode: str) -> None:
    """Runs in a fresh process: memory and CPU of one start, then lookups."""
    from mediaproof.matching.hamming_index import HammingIndex
    from mediaproof.services import fingerprints
    from mediaproof.services.fingerprints import SqlFingerprintLookup

    fingerprints.SNAPSHOT_AFTER_NEW_ROWS = 2**62  # written below, timed on its own
    from mediaproof.storage.sql.engine import Database

    db = Database(f"sqlite:///{db_path}")
    q = np.load(queries)
    empty = SqlFingerprintLookup(db, snapshot_dir=Path(snap))
    base = rss()
    c0, w0 = time.process_time(), time.perf_counter()
    empty.refresh(force=True)  # the load (what the service's start does in the background)
    ready_cpu, ready_wall = time.process_time() - c0, time.perf_counter() - w0
    grown = rss() - base
    lat = []
    found = 0
    for h in q:
        t = time.thread_time()
        found += len(empty.find_near("pdq", h.tobytes(), 31))
        lat.append(time.thread_time() - t)
    after_lookups = rss() - base  # mapped snapshot pages count once touched
    out: dict[str, Any] = {
        "mode": mode,
        "rss_growth_after_lookups_bytes_per_hash": round(
            after_lookups / max(empty.hash_count, 1), 1
        ),
        "hashes": empty.hash_count,
        "snapshot_rows": empty.progress.snapshot_rows,
        "caught_up_rows": empty.progress.caught_up_rows,
        "ready_cpu_s": round(ready_cpu, 3),
        "ready_wall_s_shared_machine": round(ready_wall, 3),
        "rss_growth_bytes_per_hash": round(grown / max(empty.hash_count, 1), 1),
        "index_nbytes_per_hash": round(empty._store.nbytes / max(empty.hash_count, 1), 1),
        "lookup_cpu_ms": {"p50": ms(pct(lat, 50)), "p99": ms(pct(lat, 99))},
        "found": found,
    }
    if mode == "rows":
        c0 = time.process_time()
        empty.write_snapshot()
        out["snapshot_write_cpu_s"] = round(time.process_time() - c0, 3)
        # the bare index on the same hashes, same queries, same process
        arrays = empty._store._index["pdq"].export_arrays()
        bare = HammingIndex.from_exported(arrays)
        blat = []
        for h in q:
            t = time.thread_time()
            bare.query_arrays(h.tobytes(), 31)
            blat.append(time.thread_time() - t)
        out["bare_index_cpu_ms"] = {"p50": ms(pct(blat, 50)), "p99": ms(pct(blat, 99))}
    print(json.dumps(out))


def run_child(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": SRC}
    r = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


def bench_service(n: int, nq: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        db = t / "fp.db"
        c0 = time.process_time()
        hashes = fill_db(db, n, seed)
        fill_cpu = time.process_time() - c0
        rng = np.random.default_rng(seed + 1)
        q = hashes[rng.integers(0, n, nq)].copy()
        q[:, 0] ^= 0x0F  # 4 bits away from a stored hash
        np.save(t / "q.npy", q)
        rows = run_child(str(db), str(t / "index"), str(t / "q.npy"), "rows")
        # registered after the snapshot: must be caught up at the next start
        con = sqlite3.connect(db)
        late = rng.integers(0, 256, (1000, 32), dtype=np.uint8)
        top = con.execute("SELECT max(id) FROM assets").fetchone()[0]
        con.execute("INSERT INTO assets (id, sha256, mime, size, title, signed, status, "
                    "created_at) VALUES (?, ?, 'image/jpeg', 1, 't', 0, 'active', "
                    "'2026-12-06')", (top + 1, "f" * 64))  # fmt: skip
        con.executemany(
            "INSERT INTO fingerprints (asset_id, signal, value, quality, created_at) "
            "VALUES (?, 'pdq', ?, 100, '2026-12-06')",
            ((top + 1, h.tobytes()) for h in late),
        )
        con.commit()
        con.close()
        snap = run_child(str(db), str(t / "index"), str(t / "q.npy"), "snapshot")
    return {"n": n, "fill_db_cpu_s": round(fill_cpu, 2), "from_rows": rows, "from_snapshot": snap}


# --- clustered -----------------------------------------------------------------------


def bench_clustered(
    n: int, nq: int, seed: int, recall_q: int, share: float, clusters: int
) -> dict[str, Any]:
    from mediaproof.matching.hamming_index import HammingIndex, brute_force
    from mediaproof.testing.hash_populations import clustered_population

    out: dict[str, Any] = {"n": n}
    rng = np.random.default_rng(seed)
    uniform = rng.integers(0, 2**64 - 1, (n, 4), dtype=np.uint64, endpoint=True)
    uq = uniform[rng.integers(0, n, nq)].copy()
    uq[:, 0] ^= np.uint64(0xFF)
    for name, biased_start in (("clustered_biased_one_slot", 0), ("clustered_biased_spread", None)):
        pop = clustered_population(
            n, queries=nq, seed=seed, biased_start=biased_start, cluster_share=share,
            clusters=clusters,
        )  # fmt: skip
        out[name] = _time_index(pop.words, pop.queries, recall_q, HammingIndex, brute_force)
        out[name]["population"] = pop.params
    out["uniform"] = _time_index(uniform, uq, recall_q, HammingIndex, brute_force)
    return out


def _time_index(
    words: np.ndarray, q: np.ndarray, recall_q: int, cls: Any, bf: Any
) -> dict[str, Any]:
    """The index as built by default (dense clusters set apart) and with every row in the
    multi-index tables (``clusters=False``), timed side by side: each query is run on
    both, alternating, so load on a shared machine falls on both alike."""
    from mediaproof.matching import hamming_scan

    ids = np.arange(len(words), dtype=np.int64)
    variants = {"default": {}, "tables_only": {"clusters": False}}
    built: dict[str, Any] = {}
    build_s: dict[str, float] = {}
    for name, kw in variants.items():
        c0 = time.process_time()
        built[name] = cls.from_arrays(ids, words, **kw)
        build_s[name] = time.process_time() - c0
    # the default index once more with numpy scanning the clusters and verifying the
    # tables' candidates (as before the compiled kernels, and where numba is missing):
    # the same index, the kernels switched off
    built["default_numpy_scan"] = built["default"]
    build_s["default_numpy_scan"] = build_s["default"]
    lat: dict[str, list[float]] = {k: [] for k in built}
    counts: list[int] = []
    order = list(built.items())
    for i, h in enumerate(q):
        # the order alternates: a variant that runs second on the same index finds its
        # rows in cache, so neither may always go second
        for name, index in order if i % 2 == 0 else order[::-1]:
            hamming_scan.USE_COMPILED = name != "default_numpy_scan"
            t = time.thread_time()
            got, _ = index.query_arrays(h, 31)
            lat[name].append(time.thread_time() - t)
        counts.append(len(got))
    hamming_scan.USE_COMPILED = True
    out: dict[str, Any] = {}
    for name, index in built.items():
        out[name] = _summary(lat[name], counts, index, build_s[name])
        ok = 0
        hamming_scan.USE_COMPILED = name != "default_numpy_scan"
        for h in q[:recall_q]:
            want, _ = bf(words, h, 31)
            got, _ = index.query_arrays(h, 31)
            ok += set(want.tolist()) == set(got.tolist())
        hamming_scan.USE_COMPILED = True
        out[name]["exact_vs_brute_force"] = f"{ok}/{min(recall_q, len(q))}"
    out["p99_ratio_default_numpy_scan_over_default"] = round(
        pct(lat["default_numpy_scan"], 99) / max(pct(lat["default"], 99), 1e-9), 2
    )
    out["p99_ratio_tables_only_over_default"] = round(
        pct(lat["tables_only"], 99) / max(pct(lat["default"], 99), 1e-9), 2
    )
    out["scan"] = "compiled (numba)" if hamming_scan.compiled_in_use() else "numpy"
    return out


def _summary(lat: list[float], counts: list[int], index: Any, build: float) -> dict[str, Any]:
    hits = sum(counts)
    # a query whose answer is a whole cluster costs at least its answer: report queries
    # with small answers apart from those, and the cost per returned hash of the latter
    small = [x for x, c in zip(lat, counts, strict=True) if c <= DENSE_ANSWER]
    dense = [(x, c) for x, c in zip(lat, counts, strict=True) if c > DENSE_ANSWER]
    main = index._state.main
    return {
        "build_cpu_s": round(build, 2), "slots": index.slots,
        "clusters": 0 if main.clusters is None else len(main.clusters.leaders),
        "rows_in_clusters": len(main.words) - main.free,
        "index_bytes_per_hash": round(index.nbytes / max(len(index), 1), 1),
        "lookup_cpu_ms": {"p50": ms(pct(lat, 50)), "p99": ms(pct(lat, 99)),
                          "max": ms(max(lat))},
        "mean_hits": round(hits / max(len(lat), 1), 1),
        f"answers_up_to_{DENSE_ANSWER}": {
            "queries": len(small), "p50_ms": ms(pct(small, 50)), "p99_ms": ms(pct(small, 99)),
        },
        f"answers_over_{DENSE_ANSWER}": {
            "queries": len(dense),
            "median_hits": int(np.median([c for _, c in dense])) if dense else 0,
            "us_per_hit_median": round(
                float(np.median([x / c for x, c in dense])) * 1e6, 3
            ) if dense else 0,
        },
    }  # fmt: skip


# --- import --------------------------------------------------------------------------


def bench_import(n: int, seed: int) -> dict[str, Any]:
    from mediaproof.matching.hash_import import parse_hash_file
    from mediaproof.services.hash_lists import import_hashes
    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade

    rng = np.random.default_rng(seed)
    hexes = [h.tobytes().hex() for h in rng.integers(0, 256, (n, 32), dtype=np.uint8)]
    files = {
        "local_file": "".join(f"pdq {h}\n" for h in hexes).encode(),
        "csv": ("signal_type,signal_str,collab,category,tags\n"
                + "".join(f"pdq,{h},c,POSITIVE_CLASS,deepfake\n" for h in hexes)).encode(),
    }  # fmt: skip
    out: dict[str, Any] = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, data in files.items():
            db = Database(f"sqlite:///{Path(tmp) / (fmt + '.db')}")
            upgrade(db.engine)
            c0 = time.process_time()
            parsed = parse_hash_file(data)
            parse = time.process_time() - c0
            res = import_hashes(db, "bench", parsed)
            total = time.process_time() - c0
            db.dispose()
            out[fmt] = {
                "parse_cpu_s": round(parse, 3), "total_cpu_s": round(total, 3),
                "hashes_per_cpu_s": round(res.imported / total),
            }  # fmt: skip
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--sections", default="service,clustered,import")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--recall-queries", type=int, default=100)
    ap.add_argument("--import-sizes", default="100000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cluster-share", type=float, default=0.5, help="rows in clusters")
    ap.add_argument("--clusters", type=int, default=50, help="Zipf-sized near-dup clusters")
    a = ap.parse_args()
    sections = set(a.sections.split(","))
    sizes = [int(s) for s in a.sizes.split(",")]
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg()},
        "note": "CPU times; wall times only where labelled (machine may be shared)",
    }  # fmt: skip
    if "service" in sections:
        result["service"] = [bench_service(n, a.queries, a.seed) for n in sizes]
    if "clustered" in sections:
        result["clustered"] = [
            bench_clustered(n, a.queries, a.seed, a.recall_queries, a.cluster_share, a.clusters)
            for n in sizes
        ]
    if "import" in sections:
        result["import"] = [bench_import(int(n), a.seed) for n in a.import_sizes.split(",")]
    result["load_avg_after"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
