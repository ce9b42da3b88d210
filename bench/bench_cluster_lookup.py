"""A lookup at the centre of a large near-duplicate cluster through the matchers' fan-out
(issue 20): the answer's bytes and the lookup's wall and CPU, old code against new, side
by side in one run.

    nice -n 5 env PYTHONPATH=src python bench/bench_cluster_lookup.py \
        --old-src /path/to/old/src --cluster 5000 --background 20000 --shards 2

One PostgreSQL database (``bench_matchers.fill``: assets of 8 PDQ rows; the first
``--cluster`` assets have one row 0-10 bits from a centre, their other 7 rows random; the
``--background`` assets are random), then ``--shards`` matcher processes per version
(``python -m mediaproof.cli.matcher serve`` with that version's ``src``; no snapshot, so
each reads its shard's rows). Per round, for each version in turn (the order alternates):
a client process of that version runs ``--lookups`` lookups of the centre through its
``MatcherFanOut`` and reports per lookup its wall and its own CPU (its threads included),
the matchers' CPU over the loop per lookup (``/proc``, all its shards; their change
polling included), the rows and assets answered,
and the bytes of each shard's ``/lookup`` body. Medians over rounds are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_matchers import TOKEN, Matcher, cpu_of, drop_db, fill, loadavg, make_db  # noqa: E402

NEW_SRC = str(HERE.parent / "src")


def hashes(cluster: int, background: int, seed: int) -> tuple[np.ndarray, bytes]:
    """(rows (8 per asset), the centre): asset k's first row is near the centre for
    k < cluster."""
    rng = np.random.default_rng(seed)
    n = 8 * (cluster + background)
    out = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    centre = rng.integers(0, 256, 32, dtype=np.uint8)
    bits = np.unpackbits(np.repeat(centre[None, :], cluster, axis=0), axis=1)
    flips = rng.integers(0, 11, cluster)
    for i, k in enumerate(flips.tolist()):
        bits[i, rng.choice(256, k, replace=False)] ^= 1
    out[0 : 8 * cluster : 8] = np.packbits(bits, axis=1)
    return out, centre.tobytes()


def client(args: argparse.Namespace) -> None:
    """One version's lookups (runs with that version's ``src`` on PYTHONPATH)."""
    import httpx

    from mediaproof.services.matcher_client import MatcherFanOut

    urls, pids = args.urls.split(","), [int(p) for p in args.pids.split(",")]
    centre = bytes.fromhex(args.centre)
    fan = MatcherFanOut([[u] for u in urls], TOKEN, timeout_s=60)
    body = {"signal": "pdq", "hash": centre.hex(), "max_distance": 31}
    raw = httpx.Client(headers={"authorization": f"Bearer {TOKEN}"}, timeout=60,
                       trust_env=False)  # fmt: skip
    try:
        for _ in range(2):
            fan.find_near("pdq", centre, 31)
        wall, cpu = [], []
        rows = assets = 0
        s0 = sum(cpu_of(p) for p in pids)  # /proc counts in ticks: over the whole loop
        for _ in range(args.lookups):
            t, c = time.perf_counter(), time.process_time()
            found = fan.find_near("pdq", centre, 31)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - t)
            rows, assets = len(found), len({m.asset_id for m in found})
        server = (sum(cpu_of(p) for p in pids) - s0) / args.lookups
        sizes = [len(raw.post(f"{u}/lookup", json=body).content) for u in urls]
        total = getattr(found, "total", None)
    finally:
        fan.close()
        raw.close()
    print(json.dumps({
        "wall_ms": [round(x * 1000, 3) for x in wall],
        "client_cpu_ms": [round(x * 1000, 3) for x in cpu],
        "matchers_cpu_ms_per_lookup": round(server * 1000, 3), "rows": rows, "assets": assets,
        "total": total, "response_bytes_per_shard": sizes,
    }))  # fmt: skip


def med(xs: list[float]) -> float:
    return round(float(np.median(xs)), 3)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--old-src", help="the old code's src folder (e.g. a worktree of main)")
    ap.add_argument("--cluster", type=int, default=5000)
    ap.add_argument("--background", type=int, default=20000)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--lookups", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--urls", help=argparse.SUPPRESS)
    ap.add_argument("--pids", help=argparse.SUPPRESS)
    ap.add_argument("--centre", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client(args)
        return
    if not args.old_src:
        ap.error("--old-src is needed")
    versions = {"old": str(Path(args.old_src).resolve()), "new": NEW_SRC}
    out: dict[str, Any] = {"loadavg_start": loadavg(), "cluster": args.cluster,
                           "background": args.background, "shards": args.shards,
                           "rounds": args.rounds, "lookups_per_round": args.lookups}  # fmt: skip
    rows, centre = hashes(args.cluster, args.background, args.seed)
    url = make_db()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    procs: dict[str, list[Matcher]] = {}
    try:
        fill(url, rows)
        for v, src in versions.items():
            home = tmp / v
            env = {**os.environ, "PYTHONPATH": src, "MEDIAPROOF_HOME": str(home),
                   "MEDIAPROOF_DATABASE_URL": url, "MEDIAPROOF_MATCHER_TOKEN": TOKEN}  # fmt: skip
            procs[v] = [Matcher(i, args.shards, env, tmp / f"{v}-{i}.log")
                        for i in range(args.shards)]  # fmt: skip
        t0 = time.perf_counter()
        while not all(m.status() for ms in procs.values() for m in ms):
            if time.perf_counter() - t0 > 600:
                raise RuntimeError("matchers not ready in 600 s")
            time.sleep(0.3)
        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in versions}
        for r in range(args.rounds):
            for v in list(versions)[:: 1 if r % 2 == 0 else -1]:
                cmd = [sys.executable, __file__, "--client", "--lookups", str(args.lookups),
                       "--urls", ",".join(m.url for m in procs[v]),
                       "--pids", ",".join(str(m.proc.pid) for m in procs[v]),
                       "--centre", centre.hex()]  # fmt: skip
                env = {**os.environ, "PYTHONPATH": versions[v]}
                res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                runs[v].append(json.loads(res.stdout))
        for v, rs in runs.items():
            walls = [x for r in rs for x in r["wall_ms"]]
            out[v] = {
                "wall_ms_median": med(walls),
                "wall_ms_p90": round(float(np.percentile(walls, 90)), 3),
                "client_cpu_ms_median": med([x for r in rs for x in r["client_cpu_ms"]]),
                # all the loop's matcher CPU (their 2-4 change polls a second included)
                "matchers_cpu_ms_per_lookup_median": med(
                    [r["matchers_cpu_ms_per_lookup"] for r in rs]
                ),
                "round_wall_ms_medians": [med(r["wall_ms"]) for r in rs],
                "rows": rs[-1]["rows"], "assets": rs[-1]["assets"], "total": rs[-1]["total"],
                "response_bytes_per_shard": rs[-1]["response_bytes_per_shard"],
                "response_bytes": sum(rs[-1]["response_bytes_per_shard"]),
            }  # fmt: skip
        out["ratio_old_over_new"] = {
            k: round(out["old"][k] / max(out["new"][k], 1e-9), 2)
            for k in ("wall_ms_median", "client_cpu_ms_median",
                      "matchers_cpu_ms_per_lookup_median", "response_bytes")
        }  # fmt: skip
        out["loadavg_end"] = loadavg()
    finally:
        for ms in procs.values():
            for m in ms:
                m.stop()
        drop_db(url)
        shutil.rmtree(tmp, ignore_errors=True)
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
