"""Server CPU per verify over HTTP, by kind of file, one request at a time: where
`bench_service.py`'s CPU per request goes, without its mix and queueing.

Starts one keyed `mediaproof serve` per source tree (this checkout's, and with
--baseline-src another, e.g. main's) on the files `bench_service.py` uses: its 640x427
JPEGs, half of them registered (their uploads are the "registered source" kind: PDQ
finds the signed release, whose kept pixels differ, so the copy is aligned and a heatmap
drawn), the signed releases, stripped re-posts of them (aligned too) and the unregistered
rest. Each file is posted to each server in turn (alternating, so the machine's load
falls on both alike); the server's CPU time (process tree, user + system, in clock
ticks of 10 ms) is read before and after. Medians per kind, after one warm-up pass.

    PYTHONPATH=src .venv/bin/python bench/bench_verify_cpu_http.py [--passes 3]
        [--baseline-src /work/main/src]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

import _serve  # bench/_serve.py (these run as scripts from bench/)
import bench_service as bs

KINDS = ["registered source"] * 4 + ["unregistered"] * 4 + ["signed", "re-post"] * 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--baseline-src", help="a second source tree to serve side by side")
    args = ap.parse_args()
    trees = {"this": _serve.SRC}
    if args.baseline_src:
        trees["baseline"] = str(Path(args.baseline_src).resolve())
    cpu: dict[str, dict[str, list[float]]] = {n: {} for n in trees}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = bs.small_jpegs(8, tmp)
        servers: dict[str, tuple[subprocess.Popen[bytes], str, list[bytes]]] = {}
        try:
            for name, src in trees.items():
                _serve.SRC = src  # launch_serve puts it first on the server's path
                proc, url, token = bs.start_server(tmp / name, watermark_key=True)
                jpegs, _ = bs._prepare(url, token, list(base))
                servers[name] = (proc, url, jpegs)
            for p in range(args.passes + 1):
                for i, kind in enumerate(KINDS):
                    for name, (proc, url, jpegs) in servers.items():
                        c0 = bs._server_cpu_s(proc.pid)
                        r = httpx.post(
                            url + "/api/v1/verify",
                            files={"file": ("s.jpg", jpegs[i], "image/jpeg")},
                            timeout=120,
                        )
                        r.raise_for_status()
                        time.sleep(0.3)  # the workers' last ticks
                        c1 = bs._server_cpu_s(proc.pid)
                        if p > 0 and c0 is not None and c1 is not None:
                            cpu[name].setdefault(kind, []).append(1000 * (c1[0] - c0[0]))
        finally:
            for proc, _, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=15)
    out = {
        name: {
            **{k: round(statistics.median(v), 1) for k, v in kinds.items()},
            "mean_of_all": round(statistics.mean(x for v in kinds.values() for x in v), 1),
        }
        for name, kinds in cpu.items()
    }
    print(
        json.dumps(
            {
                "benchmark": "server CPU ms per verify (process tree), keyed instance, "
                f"640x427 JPEGs, sequential, median of {args.passes} per file kind x 4 files",
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "trees": trees,
                "server_cpu_ms_per_verify": out,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
