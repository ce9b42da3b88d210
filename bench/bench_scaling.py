"""Verify throughput with 1, 2 and 4 API processes (and queue workers) of one instance,
on this machine, behind a client that round-robins over them (issue 20's bench item).
Prints JSON: requests/s, p50/p99 per level, the scaling ratio against one process, and
the first level where adding processes stopped paying (``flattens_at``).

Two workloads, each on its own PostgreSQL database (one instance shared by every process,
as in deploy/compose.yaml):

- ``verify``: 640x427 JPEGs to ``POST /api/v1/verify`` (answered in the request), from
  ``--concurrency`` client connections spread round-robin over N ``mediaproof serve``
  processes, for ``--seconds`` per level;
- ``jobs``: a 2 s WAV that is a queued job (``MEDIAPROOF_SERVICE_JOB_AUDIO_MIN_S`` 0.5)
  through N APIs and run by N ``mediaproof worker`` processes on the local RabbitMQ (a
  queue of its own), ``--jobs`` per level, timed from the first submit to the last result.

Each API process analyses in its own threads (``ANALYSIS_PROCESSES=0``), so a level's
process count is its whole parallelism. Levels run in ``--rounds`` rounds, alternating
order (1,2,4 then 4,2,1), so a change in the machine's load falls on every level alike;
the median round is reported. The client runs on the same machine and takes CPU from
the servers: the ratio is a lower bound of what separate client machines would see.

    PYTHONPATH=src .venv/bin/python bench/bench_scaling.py [--levels 1,2,4] [--seconds 8]
        [--concurrency 8] [--jobs 12] [--rounds 2] [--workloads verify,jobs]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import create_engine, text

from _serve import launch_serve  # bench/_serve.py (these run as scripts from bench/)
from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services.instance import Instance

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "MEDIAPROOF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BROKER = os.environ.get("MEDIAPROOF_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
WAV = (
    Path(os.environ.get("MEDIAPROOF_CORPORA", REPO.parent / "shared" / "corpora"))
    / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"
)
FLAT = 1.2  # a level that adds less than 20 % over the one before has flattened


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else 0.0


def small_jpegs(n: int, tmp: Path) -> list[bytes]:
    out = []
    for i in range(n):
        big = sample_photo(tmp / f"src{i}.jpg", 1280, 854, seed=300 + i)
        with Image.open(big) as im:
            buf = io.BytesIO()
            im.resize((640, 427)).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


class Database:
    """A fresh PostgreSQL database for one workload, dropped at the end."""

    def __init__(self) -> None:
        self.name = f"mp_bench_scaling_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


class Fleet:
    """N API processes (and N workers) of one instance; stopped with their groups."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env
        self.apis: list[tuple[subprocess.Popen[bytes], str]] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    def scale(self, n: int, *, workers: bool) -> list[str]:
        while len(self.apis) < n:
            self.apis.append(launch_serve(self.home, self.env, settle_s=0.5))
        while len(self.apis) > n:
            self._stop(self.apis.pop()[0], group=False)
        while workers and len(self.workers) < n:
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src")])),
                "MEDIAPROOF_HOME": str(self.home),
                **self.env,
            }
            self.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "mediaproof",
                        "worker",
                        "--concurrency",
                        "1",
                        "--name",
                        f"bench-{len(self.workers)}@localhost",
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        while len(self.workers) > (n if workers else 0):
            self._stop(self.workers.pop(), group=True)
        return [url for _, url in self.apis]

    @staticmethod
    def _stop(p: subprocess.Popen[bytes], *, group: bool) -> None:
        try:
            if group:  # a worker and its pool processes
                os.killpg(p.pid, signal.SIGTERM)
            else:
                p.terminate()
            p.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            p.kill()
            p.wait()

    def close(self) -> None:
        self.scale(0, workers=False)


async def verify_level(
    urls: list[str], concurrency: int, seconds: float, jpegs: list[bytes]
) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    targets = itertools.cycle(urls)  # each request to the next process in turn
    clients = {u: httpx.AsyncClient(base_url=u, timeout=120) for u in urls}

    async def one(seed: int) -> None:
        nonlocal errors
        i = seed
        while time.monotonic() < stop_at:
            c = clients[next(targets)]
            t0 = time.perf_counter()
            r = await c.post("/api/v1/verify", files={"file": ("a.jpg", jpegs[i % len(jpegs)])})
            if r.status_code == 200:
                lat.append(time.perf_counter() - t0)
            else:
                errors += 1
            i += concurrency

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(concurrency)))
    wall = time.monotonic() - t0
    for c in clients.values():
        await c.aclose()
    return {
        "requests": len(lat),
        "errors": errors,
        "rps": round(len(lat) / wall, 2),
        "p50_ms": round(pct(lat, 50) * 1000, 1),
        "p99_ms": round(pct(lat, 99) * 1000, 1),
    }


def jobs_level(urls: list[str], n_jobs: int) -> dict[str, Any]:
    wav = WAV.read_bytes()
    clients = [httpx.Client(base_url=u, timeout=120) for u in urls]
    try:
        t0 = time.monotonic()
        started: dict[str, float] = {}
        for i in range(n_jobs):
            r = clients[i % len(clients)].post("/api/v1/verify", files={"file": ("a.wav", wav)})
            if r.status_code != 202:
                raise RuntimeError(f"job refused: {r.status_code} {r.text[:200]}")
            started[r.json()["status_url"]] = time.monotonic()
        lat: list[float] = []
        waiting = dict(started)
        k = 0
        while waiting:
            for url in list(waiting):
                k += 1
                j = clients[k % len(clients)].get(url).json()  # read through any process
                if j["status"] in ("done", "failed"):
                    if j["status"] != "done":
                        raise RuntimeError(f"job failed: {j}")
                    lat.append(time.monotonic() - waiting.pop(url))
            time.sleep(0.05)
        wall = time.monotonic() - t0
    finally:
        for c in clients:
            c.close()
    return {
        "jobs": n_jobs,
        "jobs_per_s": round(n_jobs / wall, 3),
        "p50_s": round(pct(lat, 50), 2),
        "p99_s": round(pct(lat, 99), 2),
    }


def summarise(levels: list[int], runs: dict[int, list[dict[str, Any]]], key: str) -> dict[str, Any]:
    med = {n: round(statistics.median(r[key] for r in runs[n]), 3) for n in levels}
    base = med[levels[0]]
    out: dict[str, Any] = {
        "median_" + key: {str(n): med[n] for n in levels},
        "ratio_vs_1": {str(n): round(med[n] / base, 2) if base else None for n in levels},
        "flattens_at": None,
    }
    for prev, n in itertools.pairwise(levels):
        if med[prev] and med[n] / med[prev] < FLAT:
            out["flattens_at"] = n
            break
    return out


def run_workload(
    name: str, args: argparse.Namespace, levels: list[int], tmp: Path, jpegs: list[bytes]
) -> dict[str, Any]:
    db = Database()
    home = tmp / name
    fleet = None
    queue = f"mediaproof-bench-{uuid.uuid4().hex[:8]}"
    try:
        inst = Instance(Settings(home=home, database_url=db.url))  # migrates
        init_keys(inst.keys_dir, "Bench Elections Office")
        inst.close()
        env = {
            "MEDIAPROOF_DATABASE_URL": db.url,
            "MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES": "0",
            "MEDIAPROOF_SERVICE_RATE_VERIFY_BURST": "1000000",
            "MEDIAPROOF_SERVICE_RATE_VERIFY_PER_MIN": "1000000",
            "MEDIAPROOF_SERVICE_EXCHANGE_PULL_INTERVAL_S": "0",
        }
        if name == "jobs":
            env |= {
                "MEDIAPROOF_BROKER_URL": BROKER,
                "MEDIAPROOF_QUEUE_NAME": queue,
                "MEDIAPROOF_SERVICE_JOB_AUDIO_MIN_S": "0.5",
                "MEDIAPROOF_SERVICE_MAX_PENDING_JOBS": "10000",
            }
        fleet = Fleet(home, env)
        runs: dict[int, list[dict[str, Any]]] = {n: [] for n in levels}
        for rnd in range(args.rounds):
            order = levels if rnd % 2 == 0 else list(reversed(levels))
            for n in order:
                urls = fleet.scale(n, workers=name == "jobs")
                if name == "verify":
                    asyncio.run(verify_level(urls, args.concurrency, 1.0, jpegs))  # warm-up
                    r = asyncio.run(verify_level(urls, args.concurrency, args.seconds, jpegs))
                else:
                    jobs_level(urls, n)  # warm-up: every worker has imported its analyzers
                    r = jobs_level(urls, args.jobs)
                r |= {"processes": n, "round": rnd, "load_1m": round(os.getloadavg()[0], 2)}
                runs[n].append(r)
                print(json.dumps({"workload": name, **r}), file=sys.stderr)
        key = "rps" if name == "verify" else "jobs_per_s"
        return {"runs": [r for n in levels for r in runs[n]], **summarise(levels, runs, key)}
    finally:
        if fleet is not None:
            fleet.close()
        if name == "jobs":
            _delete_queue(queue)
        db.drop()


def _delete_queue(name: str) -> None:
    from kombu import Connection

    from mediaproof.queue.app import Topology

    try:
        with Connection(BROKER) as conn:
            Topology(name, 3).delete(conn)
    except Exception as e:  # the numbers stand; say what was left behind
        print(f"could not delete the bench queue {name}: {e}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="1,2,4")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workloads", default="verify,jobs")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    load_before = os.getloadavg()
    out: dict[str, Any] = {
        "bench": "scaling",
        "cpu_count": os.cpu_count(),
        "load_avg_before": [round(x, 2) for x in load_before],
        "levels": levels,
        "concurrency": args.concurrency,
        "seconds_per_level": args.seconds,
        "rounds": args.rounds,
        "note": (
            "client and every server process share this machine's cores; throughput "
            "cannot scale past the core count, so expect the ratio to flatten at "
            f"{os.cpu_count()} processes or before"
        ),
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        jpegs = small_jpegs(6, tmp)
        for name in args.workloads.split(","):
            out[name] = run_workload(name, args, levels, tmp, jpegs)
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
