"""Queued verify jobs through RabbitMQ: throughput and latency by number of workers.
Prints JSON.

For each --workers value: a fresh instance (SQLite, or --database-url), a unique queue on
the broker (deleted afterwards), that many `mediaproof worker --concurrency 1` processes
(started and warmed with one job first), then --jobs verify jobs of one audio file
submitted at once through a JobRunner with the broker's publisher, as an API process
does. Reports jobs/s from the first submit to the last end, and the submit-to-done
latency p50/p95 of the jobs.

    .venv/bin/python bench/bench_queue.py [--jobs 24] [--workers 1,2]
        [--broker amqp://guest:guest@127.0.0.1:5672//] [--file audio.wav]

Not asserted in tests: timings need a quiet machine.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kombu import Connection  # noqa: E402

from mediaproof.config import ServiceSettings, Settings  # noqa: E402
from mediaproof.config_cluster import QueueSettings  # noqa: E402
from mediaproof.queue.app import Topology  # noqa: E402
from mediaproof.queue.publish import Publisher  # noqa: E402
from mediaproof.services.instance import Instance  # noqa: E402
from mediaproof.services.jobs import JobRunner, Portable, job_blobs  # noqa: E402

DEFAULT_FILE = (
    ROOT.parent / "shared/corpora/c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"
)


def _wait(jobs: JobRunner, ids: list[str], timeout_s: float) -> dict[str, float]:
    ended: dict[str, float] = {}
    deadline = time.monotonic() + timeout_s
    while len(ended) < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(ended)} of {len(ids)} jobs ended in {timeout_s} s")
        for i in ids:
            if i not in ended and jobs.get(i).status in ("done", "failed"):
                ended[i] = time.monotonic()
                if jobs.get(i).status != "done":
                    raise SystemExit(f"a job failed: {jobs.get(i).error}")
        time.sleep(0.05)
    return ended


def run(n_workers: int, n_jobs: int, broker: str, file: Path, db_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        home = Path(tmp) / "home"
        queue = f"mediaproof-bench-{uuid.uuid4().hex[:12]}"
        settings = Settings(
            home=home,
            database_url=db_url,
            broker_url=broker,  # type: ignore[arg-type]
            queue=QueueSettings(name=queue),
            service=ServiceSettings(analysis_processes=0, max_pending_jobs=n_jobs + 8),
        )
        inst = Instance(settings)
        jobs = JobRunner(
            inst.db, 600, n_jobs + 8, blobs=job_blobs(settings), dispatch=Publisher(settings)
        )
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "MEDIAPROOF_HOME": str(home),
            "MEDIAPROOF_BROKER_URL": broker,
            "MEDIAPROOF_QUEUE_NAME": queue,
            **({"MEDIAPROOF_DATABASE_URL": db_url} if db_url else {}),
        }
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "mediaproof", "worker", "--log-level", "warning"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(n_workers)
        ]
        try:

            def submit() -> str:
                copy = Path(tmp) / f"upload-{uuid.uuid4().hex}"
                copy.write_bytes(file.read_bytes())
                return jobs.submit(
                    "verify",
                    lambda _p: {},
                    cleanup=lambda: copy.unlink(missing_ok=True),
                    portable=Portable("verify", copy),
                ).id

            # warm every worker (imports, the instance, the database) before timing
            _wait(jobs, [submit() for _ in range(n_workers)], 300)
            t0 = time.monotonic()
            started: dict[str, float] = {}
            for _ in range(n_jobs):
                started[submit()] = time.monotonic()
            ended = _wait(jobs, list(started), 600)
            total = max(ended.values()) - t0
            lat = sorted(ended[i] - started[i] for i in started)
            return {
                "workers": n_workers,
                "jobs": n_jobs,
                "seconds": round(total, 3),
                "jobs_per_s": round(n_jobs / total, 3),
                "latency_p50_s": round(statistics.median(lat), 3),
                "latency_p95_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 3),
            }
        finally:
            for p in procs:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(p.pid, signal.SIGKILL)
            jobs.shutdown()
            inst.close()
            with Connection(broker) as conn:
                Topology(queue, settings.queue.delivery_limit).delete(conn)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=24)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--database-url", default=None)
    a = ap.parse_args()
    results = [run(int(w), a.jobs, a.broker, a.file, a.database_url) for w in a.workers.split(",")]
    print(
        json.dumps(
            {
                "bench": "queue",
                "file": a.file.name,
                "file_bytes": a.file.stat().st_size,
                "cpus": os.cpu_count(),
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
