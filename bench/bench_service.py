"""Load on the running HTTP service over loopback: verify small JPEGs and soft-binding
lookups from concurrent clients, for a bounded time per concurrency level. Prints JSON.

By default it starts `mediaproof serve` on a fresh instance in a temp directory (keys, a
publisher, anonymous rate limits raised so the load is not refused) and stops it at the
end; --url drives a service that is already running instead (then requests meet that
service's rate limits: per address, or with --token the more generous per-account ones,
MEDIAPROOF_SERVICE_RATE_VERIFY_SIGNED_PER_MIN).

    .venv/bin/python bench/bench_service.py [--seconds 10] [--concurrency 1,2,4,8]
        [--watermark-key] [--analysis-processes 0,auto] [--rounds 2]

With several --analysis-processes values it starts one server per value and runs them
side by side: every round runs each concurrency level on each server in turn, so a
change in the machine's load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from _serve import launch_serve  # bench/_serve.py (these run as scripts from bench/)
from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.fingerprint.pdq import fingerprint_image
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.watermark import ensure_watermark_key

SHA_ALG = "io.mediaproof.sha256"
PDQ_ALG = "io.mediaproof.pdq"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else 0.0


def small_jpegs(n: int, tmp: Path) -> list[bytes]:
    """Phone-sized shares of a photo: 640x427 JPEGs of about 40-60 KB."""
    out = []
    for i in range(n):
        big = sample_photo(tmp / f"src{i}.jpg", 1280, 854, seed=100 + i)
        with Image.open(big) as im:
            buf = io.BytesIO()
            im.resize((640, 427)).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def start_server(
    home: Path, watermark_key: bool = False, analysis_processes: str = "auto"
) -> tuple[subprocess.Popen[bytes], str, str]:
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "Bench Elections Office")
    if watermark_key:
        # as on any instance that has published an image of 512 px or more: every
        # verify then runs the watermark detector (the bench's releases are too small
        # to be marked, so without this the detector never runs)
        ensure_watermark_key(home)
    accounts.create_user(inst, "bench", Role.PUBLISHER, "bench password 1234")
    secret, _ = accounts.create_token(inst, _session(inst), "bench", ["publish"])
    inst.close()
    env = {
        "MEDIAPROOF_SERVICE_RATE_VERIFY_BURST": "1000000",
        "MEDIAPROOF_SERVICE_RATE_VERIFY_PER_MIN": "1000000",
        "MEDIAPROOF_SERVICE_RATE_LOOKUP_BURST": "1000000",
        "MEDIAPROOF_SERVICE_RATE_LOOKUP_PER_MIN": "1000000",
        "MEDIAPROOF_SERVICE_RATE_VERIFY_SIGNED_BURST": "1000000",
        "MEDIAPROOF_SERVICE_RATE_VERIFY_SIGNED_PER_MIN": "1000000",
    }
    if analysis_processes != "auto":
        env["MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES"] = analysis_processes
    proc, url = launch_serve(
        home,
        env,
        args=("--log-level", "warning"),
        drop=("MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES",),
    )
    return proc, url, secret


def _session(inst: Instance) -> Any:
    token, _ = accounts.login(inst, "bench", "bench password 1234")
    return accounts.session_principal(inst, token)


async def one_level(
    url: str,
    concurrency: int,
    seconds: float,
    jpegs: list[bytes],
    bindings: list[tuple[str, str]],
    headers: dict[str, str],
    server_pid: int | None = None,
) -> dict[str, Any]:
    lat: dict[str, list[float]] = {"verify": [], "lookup": []}
    errors: dict[str, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30, headers=headers) as c:

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                kind = "verify" if rng.random() < 0.5 else "lookup"
                t0 = time.perf_counter()
                try:
                    if kind == "verify":
                        r = await c.post(
                            "/api/v1/verify",
                            files={"file": ("s.jpg", rng.choice(jpegs), "image/jpeg")},
                        )
                    else:
                        alg, value = rng.choice(bindings)
                        r = await c.get("/matches/byBinding", params={"alg": alg, "value": value})
                    ok = r.status_code == 200
                    key = f"{kind}:{r.status_code}"
                except httpx.HTTPError as e:
                    ok, key = False, f"{kind}:{type(e).__name__}"
                dt = time.perf_counter() - t0
                if ok:
                    lat[kind].append(dt)
                else:
                    errors[key] = errors.get(key, 0) + 1

        t_start = time.monotonic()
        cpu0 = _server_cpu_s(server_pid)
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.monotonic() - t_start
        cpu1 = _server_cpu_s(server_pid)
    allx = lat["verify"] + lat["lookup"]
    ms = lambda x: round(x * 1000, 1)  # noqa: E731
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests": len(allx),
        "requests_per_s": round(len(allx) / elapsed, 1),
        "p50_ms": ms(pct(allx, 50)),
        "p99_ms": ms(pct(allx, 99)),
        # the server's own CPU time (user + system) per answered request: comparable
        # between runs on a loaded machine, where wall-clock latencies are not
        "server_cpu_ms_per_request": (
            round(1000 * (cpu1 - cpu0) / max(len(allx), 1), 1)
            if cpu0 is not None and cpu1 is not None
            else None
        ),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "by_kind": {
            k: {"requests": len(v), "p50_ms": ms(pct(v, 50)), "p99_ms": ms(pct(v, 99))}
            for k, v in lat.items()
        },
    }


def _server_cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a local process and its live descendants (the
    analysis workers; Linux /proc), else None."""
    if pid is None:
        return None
    stats: dict[int, list[str]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stats[int(d.name)] = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
    if pid not in stats:
        return None
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, f in stats.items() if int(f[1]) == parent and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    ticks = sum(int(stats[p][11]) + int(stats[p][12]) for p in tree)
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running service (default: start one)")
    ap.add_argument("--token", help="API token for --url (per-account rate limits)")
    ap.add_argument("--seconds", type=float, default=10.0, help="per concurrency level")
    ap.add_argument("--concurrency", default="1,2,4,8")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument(
        "--watermark-key", action="store_true", help="give the started instance a watermark key"
    )
    ap.add_argument(
        "--analysis-processes",
        default="auto",
        help="comma-separated MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES values, one server "
        "each, run side by side ('auto': the service's default)",
    )
    ap.add_argument("--rounds", type=int, default=1, help="repeat every level this often")
    args = ap.parse_args()
    configs = args.analysis_processes.split(",") if not args.url else ["(running)"]

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = small_jpegs(args.images, tmp)
        servers: dict[str, tuple[subprocess.Popen[bytes] | None, str, str | None]] = {}
        try:
            for cfg in configs:
                if args.url:
                    servers[cfg] = (None, args.url.rstrip("/"), args.token)
                else:
                    servers[cfg] = start_server(tmp / f"instance-{cfg}", args.watermark_key, cfg)
            loads = {cfg: _prepare(u, t, list(base)) for cfg, (_, u, t) in servers.items()}
            results = []
            for rnd in range(args.rounds):
                for n in (int(x) for x in args.concurrency.split(",")):
                    for cfg, (proc, url, token) in servers.items():
                        jpegs, bindings = loads[cfg]
                        # the load itself is anonymous, as the public's would be,
                        # unless --url + --token
                        hdr = {"Authorization": f"Bearer {token}"} if args.url and token else {}
                        asyncio.run(one_level(url, n, 1.0, jpegs, bindings, hdr))  # warm-up
                        pid = proc.pid if proc is not None else None
                        r = asyncio.run(one_level(url, n, args.seconds, jpegs, bindings, hdr, pid))
                        results.append({"analysis_processes": cfg, "round": rnd + 1, **r})
        finally:
            for proc, _, _ in servers.values():
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=15)
    print(
        json.dumps(
            {
                "benchmark": "service: 50% POST /api/v1/verify (640x427 JPEGs: unknown, "
                "signed releases, stripped re-posts), 50% GET /matches/byBinding "
                "(SHA-256 and PDQ)",
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "watermark_key": bool(args.watermark_key) if not args.url else None,
                "url": "started locally" if not args.url else args.url,
                "results": results,
            },
            indent=2,
        )
    )


def _prepare(
    url: str, token: str | None, jpegs: list[bytes]
) -> tuple[list[bytes], list[tuple[str, str]]]:
    """Register half the images (signed releases, and stripped re-posts of them) so that
    lookups and verifies see hits and misses; returns the files and the bindings."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    bindings = [(SHA_ALG, b64(hashlib.sha256(j).digest())) for j in jpegs]
    bindings += [(PDQ_ALG, b64(fingerprint_image(j, dihedral=False).pdq.value)) for j in jpegs]
    if token:
        for i, j in enumerate(jpegs[: len(jpegs) // 2]):
            r = httpx.post(
                url + "/api/v1/assets",
                headers=headers,
                timeout=60,
                data={"title": f"bench {i}"},
                files={"file": ("b.jpg", j)},
            )
            r.raise_for_status()
            signed = httpx.get(url + r.json()["download_url"], headers=headers).content
            jpegs.append(signed)
            bindings.append((SHA_ALG, b64(hashlib.sha256(signed).digest())))
            # a stripped re-post: verify finds it by PDQ and draws the heatmap
            with Image.open(io.BytesIO(signed)) as im:
                buf = io.BytesIO()
                im.convert("RGB").save(buf, "JPEG", quality=80)
            jpegs.append(buf.getvalue())
    return jpegs, bindings


if __name__ == "__main__":
    main()
