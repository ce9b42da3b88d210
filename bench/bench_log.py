"""Benchmark the transparency log; prints one JSON object.

    PYTHONPATH=src python bench/bench_log.py                       # 1M and 10M entries
    PYTHONPATH=src python bench/bench_log.py --sizes 100000 --quick  # a quick run

Measures: single appends (each one fsynced), batched appends (validated entries, one
fsync per batch), and at each size: inclusion and consistency proof generation from the
on-disk store and verification. Big trees are filled through the store directly with
pre-canonical entries (the validated path is what the throughput numbers measure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mediaproof.transparency import entries as E
from mediaproof.transparency import merkle
from mediaproof.transparency.log import TransparencyLog

TEMPLATE = '{"content_sha256":"%064x","time":"2026-01-01T00:00:00Z","type":"alibi.recorded","v":1}'


def _entry(i: int) -> E.Entry:
    return E.alibi_recorded(content_sha256=f"{i:064x}", time="2026-01-01T00:00:00Z")


def _stats_us(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "mean_us": round(statistics.fmean(s) * 1e6, 2),
        "p50_us": round(s[len(s) // 2] * 1e6, 2),
        "p99_us": round(s[min(len(s) - 1, int(len(s) * 0.99))] * 1e6, 2),
    }


def bench_appends(home: Path, singles: int, batches: int, batch_size: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with TransparencyLog.open(home, origin="bench.example/log") as log:
        t = time.perf_counter()
        for i in range(singles):
            log.append(_entry(i))
        dt = time.perf_counter() - t
        out["single_append_per_s"] = round(singles / dt, 1)
        out["single_append_note"] = "one entry per call, validated, fdatasync each"

        made = 0.0
        appended = 0.0
        for b in range(batches):
            t = time.perf_counter()
            batch = [_entry(singles + b * batch_size + j) for j in range(batch_size)]
            t2 = time.perf_counter()
            log.append_many(batch)
            t3 = time.perf_counter()
            made += t2 - t
            appended += t3 - t2
        n = batches * batch_size
        out["batch_size"] = batch_size
        out["batched_append_per_s"] = round(n / appended, 1)
        out["batched_append_incl_validation_per_s"] = round(n / (made + appended), 1)
        t = time.perf_counter()
        log.checkpoint()
        out["first_checkpoint_ms"] = round((time.perf_counter() - t) * 1e3, 1)
        log.append_many([_entry(10**9 + j) for j in range(batch_size)])
        t = time.perf_counter()
        log.checkpoint()
        out["incremental_checkpoint_ms"] = round((time.perf_counter() - t) * 1e3, 1)
        out["incremental_checkpoint_note"] = f"after {batch_size} more entries; tiles fsynced"
    return out


def fill(home: Path, size: int, chunk: int = 100_000) -> float:
    with TransparencyLog.open(home, origin="bench.example/log") as log:
        t = time.perf_counter()
        store = log._store  # pre-canonical entries: skip per-entry validation to fill fast
        i = store.size
        while i < size:
            n = min(chunk, size - i)
            store.append_many([(TEMPLATE % k).encode() for k in range(i, i + n)])
            i += n
        return time.perf_counter() - t


def bench_proofs(home: Path, size: int, samples: int) -> dict[str, Any]:
    rng = random.Random(size)
    t = time.perf_counter()
    log = TransparencyLog.open(home)  # recovery checks and the check against the checkpoint
    open_s = time.perf_counter() - t
    with log:
        assert log.size >= size
        t = time.perf_counter()
        root = log.root(size)
        root_s = time.perf_counter() - t
        gen: list[float] = []
        ver: list[float] = []
        lengths = []
        for _ in range(samples):
            i = rng.randrange(size)
            t = time.perf_counter()
            p = log.prove_inclusion(i, size)
            t2 = time.perf_counter()
            leaf = merkle.leaf_hash(log.entry(i))  # reading the entry is not verification
            t3 = time.perf_counter()
            merkle.verify_inclusion(leaf, i, size, p.hashes, root)
            t4 = time.perf_counter()
            gen.append(t2 - t)
            ver.append(t4 - t3)
            lengths.append(len(p.hashes))
        cgen: list[float] = []
        cver: list[float] = []
        old_roots: dict[int, bytes] = {}
        olds = [rng.randrange(1, size) for _ in range(min(samples, 200))]
        for old in olds:
            old_roots[old] = log.root(old)
        for old in olds:
            t = time.perf_counter()
            c = log.prove_consistency(old, size)
            t2 = time.perf_counter()
            merkle.verify_consistency(old, size, old_roots[old], root, c)
            t3 = time.perf_counter()
            cgen.append(t2 - t)
            cver.append(t3 - t2)
    return {
        "size": size,
        "open_ms": round(open_s * 1e3, 1),
        "root_ms": round(root_s * 1e3, 3),
        "inclusion_proof_hashes_mean": round(statistics.fmean(lengths), 1),
        "inclusion_generate": _stats_us(gen),
        "inclusion_verify": _stats_us(ver),
        "consistency_generate": _stats_us(cgen),
        "consistency_verify": _stats_us(cver),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000000,10000000", help="comma-separated tree sizes")
    ap.add_argument("--singles", type=int, default=300, help="single appends to time")
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=1000, help="proofs per size")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--quick", action="store_true", help="fewer appends and proofs")
    args = ap.parse_args()
    if args.quick:
        args.singles, args.batches, args.samples = 50, 5, 200
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-log-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        result["appends"] = bench_appends(
            work / "appends", args.singles, args.batches, args.batch_size
        )
        result["proofs"] = []
        big = work / "big"
        for size in sorted(int(s) for s in args.sizes.split(",") if s):
            fill_s = fill(big, size)
            row = bench_proofs(big, size, args.samples)
            row["fill_s"] = round(fill_s, 1)
            result["proofs"].append(row)
            disk = sum(f.stat().st_size for f in (big / "tlog").rglob("*") if f.is_file())
            row["store_bytes"] = disk
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
