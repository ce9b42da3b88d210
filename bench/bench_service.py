"""Load on the running HTTP service over loopback: verify small JPEGs and soft-binding
lookups from concurrent clients, for a bounded time per concurrency level. Prints JSON.

By default it starts `mediaproof serve` on a fresh instance in a temp directory (keys, a
publisher, anonymous rate limits raised so the load is not refused) and stops it at the
end; --url drives a service that is already running instead (then requests meet that
service's rate limits: per address, or with --token the more generous per-account ones,
MEDIAPROOF_SERVICE_RATE_VERIFY_SIGNED_PER_MIN).

    .venv/bin/python bench/bench_service.py [--seconds 10] [--concurrency 1,2,4,8]
        [--watermark-key] [--analysis-processes 0,auto] [--rounds 2]
        [--src old=/work/main/src,new=src] [--clients own-address|one-address]

With several --analysis-processes values, or several source trees (--src: the server
runs from each in turn, to compare old and new code), it starts one server per
combination and runs them side by side: every round runs each concurrency level on each
server in turn, so a change in the machine's load falls on all of them alike.

Each concurrent client has its own address by default (X-Forwarded-For; the server is
started with BEHIND_PROXY), as separate members of the public would. With --clients
one-address they all come from 127.0.0.1, and the service counts them as one client:
its fair admission (MEDIAPROOF_SERVICE_ANALYSIS_PER_CLIENT, half the analysis workers,
so 1 of 2 on two cores) then runs their analysis steps one at a time, by design. Before
that admission existed (issue 15) every client of this bench used every worker, so
own-address is what its earlier numbers measured.

Every result carries the 1-minute load average at its start and end and the server's
CPU time per request (the server process, and its analysis workers): on a shared
machine these say how far the latencies can be trusted.
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
    home: Path,
    watermark_key: bool = False,
    analysis_processes: str = "auto",
    src: str | None = None,
    own_addresses: bool = False,
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
    if own_addresses:
        env["MEDIAPROOF_SERVICE_BEHIND_PROXY"] = "true"
    proc, url = launch_serve(
        home,
        env,
        args=("--log-level", "warning"),
        drop=("MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES", "MEDIAPROOF_SERVICE_BEHIND_PROXY"),
        src=src,
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
    own_addresses: bool = False,
) -> dict[str, Any]:
    lat: dict[str, list[float]] = {"verify": [], "lookup": []}
    errors: dict[str, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30, headers=headers) as c:

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            # a documentation address (RFC 5737) per client; the server trusts it only
            # when started behind_proxy (--clients own-address)
            who = {"X-Forwarded-For": f"192.0.2.{seed + 1}"} if own_addresses else {}
            while time.monotonic() < stop:
                kind = "verify" if rng.random() < 0.5 else "lookup"
                t0 = time.perf_counter()
                try:
                    if kind == "verify":
                        r = await c.post(
                            "/api/v1/verify",
                            files={"file": ("s.jpg", rng.choice(jpegs), "image/jpeg")},
                            headers=who,
                        )
                    else:
                        alg, value = rng.choice(bindings)
                        r = await c.get(
                            "/matches/byBinding",
                            params={"alg": alg, "value": value},
                            headers=who,
                        )
                    ok = r.status_code == 200
                    key = f"{kind}:{r.status_code}"
                except httpx.HTTPError as e:
                    ok, key = False, f"{kind}:{type(e).__name__}"
                dt = time.perf_counter() - t0
                if ok:
                    lat[kind].append(dt)
                else:
                    errors[key] = errors.get(key, 0) + 1

        load0 = os.getloadavg()[0]
        t_start = time.monotonic()
        cpu0 = _server_cpu_s(server_pid)
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.monotonic() - t_start
        cpu1 = _server_cpu_s(server_pid)
        load1 = os.getloadavg()[0]
    allx = lat["verify"] + lat["lookup"]
    ms = lambda x: round(x * 1000, 1)  # noqa: E731

    def cpu_ms(part: int) -> float | None:
        if cpu0 is None or cpu1 is None:
            return None
        return round(1000 * (cpu1[part] - cpu0[part]) / max(len(allx), 1), 1)

    return {
        "concurrency": concurrency,
        "load_1min_start": round(load0, 2),
        "load_1min_end": round(load1, 2),
        "seconds": round(elapsed, 1),
        "requests": len(allx),
        "requests_per_s": round(len(allx) / elapsed, 1),
        "p50_ms": ms(pct(allx, 50)),
        "p99_ms": ms(pct(allx, 99)),
        # the server's own CPU time (user + system) per answered request: comparable
        # between runs on a loaded machine, where wall-clock latencies are not
        "server_cpu_ms_per_request": cpu_ms(0),
        # of which the server process itself (request threads, event loop), and its
        # analysis workers (and their fork server)
        "server_process_cpu_ms_per_request": cpu_ms(1),
        "analysis_workers_cpu_ms_per_request": cpu_ms(2),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "by_kind": {
            k: {"requests": len(v), "p50_ms": ms(pct(v, 50)), "p99_ms": ms(pct(v, 99))}
            for k, v in lat.items()
        },
    }


def _server_cpu_s(pid: int | None) -> tuple[float, float, float] | None:
    """User + system CPU seconds of a local process and its live descendants (the
    analysis workers; Linux /proc): (all of them, the process itself, the descendants),
    else None."""
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
    hz = os.sysconf("SC_CLK_TCK")
    ticks = {p: int(stats[p][11]) + int(stats[p][12]) for p in tree}
    own = ticks[pid] / hz
    return sum(ticks.values()) / hz, own, sum(ticks.values()) / hz - own


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
    ap.add_argument(
        "--src",
        default="",
        help="comma-separated LABEL=PATH source trees to run the server from, one server "
        "each, side by side (e.g. old=/work/main/src,new=src); default: this checkout's",
    )
    ap.add_argument(
        "--clients",
        choices=("own-address", "one-address"),
        default="own-address",
        help="the concurrent clients share one address (the service counts them as one "
        "client), or each has its own (X-Forwarded-For, server behind_proxy)",
    )
    args = ap.parse_args()
    own = args.clients == "own-address"
    trees = dict(x.split("=", 1) for x in args.src.split(",") if x) or {"this": ""}
    configs = (
        [(ap_, label) for label in trees for ap_ in args.analysis_processes.split(",")]
        if not args.url
        else [("(running)", "(running)")]
    )
    load_start = os.getloadavg()

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = small_jpegs(args.images, tmp)
        servers: dict[tuple[str, str], tuple[subprocess.Popen[bytes] | None, str, str | None]]
        servers = {}
        try:
            for cfg, label in configs:
                if args.url:
                    servers[cfg, label] = (None, args.url.rstrip("/"), args.token)
                else:
                    src = str(Path(trees[label]).resolve()) if trees[label] else None
                    home = tmp / f"instance-{cfg}-{label}"
                    servers[cfg, label] = start_server(home, args.watermark_key, cfg, src, own)
            loads = {key: _prepare(u, t, list(base)) for key, (_, u, t) in servers.items()}
            results = []
            for rnd in range(args.rounds):
                for n in (int(x) for x in args.concurrency.split(",")):
                    for (cfg, label), (proc, url, token) in servers.items():
                        jpegs, bindings = loads[cfg, label]
                        # the load itself is anonymous, as the public's would be,
                        # unless --url + --token
                        hdr = {"Authorization": f"Bearer {token}"} if args.url and token else {}
                        # warm-up
                        asyncio.run(one_level(url, n, 1.0, jpegs, bindings, hdr, None, own))
                        pid = proc.pid if proc is not None else None
                        r = asyncio.run(
                            one_level(url, n, args.seconds, jpegs, bindings, hdr, pid, own)
                        )
                        results.append(
                            {"analysis_processes": cfg, "code": label, "round": rnd + 1, **r}
                        )
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
                # (1, 5, 15-minute) load averages when the bench started and ended
                "load_average_start": [round(x, 2) for x in load_start],
                "load_average_end": [round(x, 2) for x in os.getloadavg()],
                "clients": args.clients,
                "code": {k: v or "this checkout" for k, v in trees.items()}
                if not args.url
                else None,
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
