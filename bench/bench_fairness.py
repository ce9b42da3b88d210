"""Fairness under decode-heavy load: do other clients' verifies stay fast while one
client sends files that are cheap to send and costly to decode? Prints JSON.

Starts `mediaproof serve` on a fresh instance (keys and a watermark key, so every image
verify runs the watermark decode in the analysis workers; anonymous rate limits raised
so only the analysis queue is measured; behind_proxy on so each client is its own
address through X-Forwarded-For). Then, for each --per-client value (one server each):

  alone:      --normal-clients clients verify small JPEGs in a loop for --seconds;
  with heavy: the same, while one more client keeps --heavy-concurrency uploads of a
              PNG of zeros of --heavy-size x --heavy-size in flight.

and reports the normal clients' p50/p99 latency side by side. ``--per-client auto`` is
the service's default admission (half the workers per client); a large value such as 64
is the pool without per-client admission, for comparison. The default heavy size (7000,
49 MP) is the largest square an anonymous caller may send under the default
MEDIAPROOF_LIMIT_ANON_MAX_PIXELS; the issue's 8900x8900 file is now refused at once (413)
unless --heavy-size 8900 --raise-anon-budget.

    .venv/bin/python bench/bench_fairness.py [--seconds 20] [--normal-clients 2]
        [--heavy-size 7000] [--heavy-concurrency 4] [--per-client auto,64]

Not asserted in tests: timings need a quiet machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from _serve import launch_serve  # bench/_serve.py (these run as scripts from bench/)
from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services.instance import Instance
from mediaproof.watermark import ensure_watermark_key

MANY = "1000000"


def start_server(home: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "Bench Elections Office")
    ensure_watermark_key(home)  # every image verify then runs the watermark detector
    inst.close()
    env = {
        "MEDIAPROOF_SERVICE_BEHIND_PROXY": "true",
        "MEDIAPROOF_SERVICE_RATE_VERIFY_PER_MIN": MANY,
        "MEDIAPROOF_SERVICE_RATE_VERIFY_BURST": MANY,
        **env_extra,
    }
    return launch_serve(home, env)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def summary(lat: list[float], codes: Counter[int]) -> dict[str, Any]:
    if not lat:
        return {"requests": 0, "status": dict(codes)}
    return {
        "requests": len(lat),
        "p50_s": round(pct(lat, 50), 3),
        "p99_s": round(pct(lat, 99), 3),
        "mean_s": round(statistics.fmean(lat), 3),
        "max_s": round(max(lat), 3),
        "status": dict(codes),
    }


def client_loop(
    url: str,
    address: str,
    body: bytes,
    name: str,
    stop: threading.Event,
    lat: list[float],
    codes: Counter[int],
    lock: threading.Lock,
) -> None:
    with httpx.Client(base_url=url, timeout=600, headers={"X-Forwarded-For": address}) as c:
        while not stop.is_set():
            t0 = time.monotonic()
            r = c.post("/api/v1/verify", files={"file": (name, body)})
            dt = time.monotonic() - t0
            with lock:
                lat.append(dt)
                codes[r.status_code] += 1


def phase(
    url: str, normal: list[bytes], heavy: bytes | None, heavy_n: int, seconds: float
) -> dict[str, Any]:
    stop = threading.Event()
    lock = threading.Lock()
    n_lat: list[float] = []
    n_codes: Counter[int] = Counter()
    h_lat: list[float] = []
    h_codes: Counter[int] = Counter()
    threads = [
        threading.Thread(
            target=client_loop,
            args=(url, f"10.0.0.{i + 1}", body, "photo.jpg", stop, n_lat, n_codes, lock),
        )
        for i, body in enumerate(normal)
    ]
    if heavy is not None:
        threads += [
            threading.Thread(
                target=client_loop,
                args=(url, "10.9.9.9", heavy, "zeros.png", stop, h_lat, h_codes, lock),
            )
            for _ in range(heavy_n)
        ]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    out = {"normal": summary(n_lat, n_codes)}
    if heavy is not None:
        out["heavy"] = summary(h_lat, h_codes)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--normal-clients", type=int, default=2)
    ap.add_argument("--heavy-size", type=int, default=7000)
    ap.add_argument("--heavy-concurrency", type=int, default=4)
    ap.add_argument("--per-client", default="auto,64", help="comma list: auto or a number")
    ap.add_argument("--analysis-processes", default="auto")
    ap.add_argument(
        "--raise-anon-budget",
        action="store_true",
        help="let anonymous callers send up to MEDIAPROOF_LIMIT_MAX_PIXELS",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="mp-bench-fair-") as tmp:
        root = Path(tmp)
        normal = []
        for i in range(args.normal_clients):
            src = sample_photo(root / f"p{i}.jpg", 1280, 854, seed=200 + i)
            with Image.open(src) as im:
                buf = io.BytesIO()
                im.resize((640, 427)).save(buf, "JPEG", quality=85)
            normal.append(buf.getvalue())
        buf = io.BytesIO()
        Image.new("RGB", (args.heavy_size, args.heavy_size)).save(buf, "PNG", optimize=True)
        heavy = buf.getvalue()

        results: dict[str, Any] = {}
        for mode in args.per_client.split(","):
            env: dict[str, str] = {}
            if mode != "auto":
                env["MEDIAPROOF_SERVICE_ANALYSIS_PER_CLIENT"] = mode
            if args.analysis_processes != "auto":
                env["MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES"] = args.analysis_processes
            if args.raise_anon_budget:
                env["MEDIAPROOF_LIMIT_ANON_MAX_PIXELS"] = str(args.heavy_size**2)
            proc, url = start_server(root / f"home-{mode}", env)
            try:
                # not counted: the first verify pays for imports and the workers' start
                httpx.post(
                    url + "/api/v1/verify", files={"file": ("w.jpg", normal[0])}, timeout=600
                )
                results[f"per_client={mode}"] = {
                    "alone": phase(url, normal, None, 0, args.seconds),
                    "with_heavy": phase(url, normal, heavy, args.heavy_concurrency, args.seconds),
                }
            finally:
                proc.terminate()
                proc.wait(timeout=30)

    print(
        json.dumps(
            {
                "bench": "fairness",
                "cores": len(os.sched_getaffinity(0)),
                "seconds_per_phase": args.seconds,
                "normal_clients": args.normal_clients,
                "normal_file": "640x427 JPEG",
                "heavy_file": f"{args.heavy_size}x{args.heavy_size} PNG of zeros, "
                f"{len(heavy):,} bytes, {args.heavy_concurrency} in flight from one address",
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
