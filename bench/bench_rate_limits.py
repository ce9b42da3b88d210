"""Rate-limit takes: the in-process buckets next to the database buckets, on SQLite and
PostgreSQL (services/rate_limits.py), one thread and several.

    PYTHONPATH=src python bench/bench_rate_limits.py --takes 2000 --threads 1,4
    # PostgreSQL: --pg postgresql+psycopg://postgres@127.0.0.1:5432/test (a scratch
    # database is created there and dropped)

Prints JSON: for each store and thread count, takes per second and the median and p99
microseconds per take (clients spread over 1,000 keys, a burst no take exhausts). What a
request pays for its rate limit; on SQLite the take is also a write that waits for the
one writer, which is why SQLite keeps the in-process buckets by default.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from mediaproof.api.ratelimit import Limiter, RateLimiter
from mediaproof.services.rate_limits import BucketSpec, DatabaseRateLimiter
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade

SPECS = {"lookup": BucketSpec(per_minute=1e9, burst=10**9)}


def _run(limiter: Limiter, takes: int, threads: int) -> dict[str, Any]:
    per = takes // threads
    lat: list[float] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        mine = []
        for i in range(per):
            t0 = time.perf_counter()
            limiter.take("lookup", f"10.0.{t}.{i % 1000}")
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {
        "threads": threads,
        "takes_per_s": round(len(lat) / wall),
        "median_us": round(statistics.median(lat) * 1e6, 1),
        "p99_us": round(lat[int(len(lat) * 0.99)] * 1e6, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--takes", type=int, default=2000)
    ap.add_argument("--threads", default="1,4")
    ap.add_argument("--pg", default=None)
    a = ap.parse_args()
    counts = [int(x) for x in a.threads.split(",")]
    out: dict[str, Any] = {"load_avg": os.getloadavg(), "takes": a.takes, "results": {}}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db.engine)
        stores: dict[str, Limiter] = {
            "memory": RateLimiter(SPECS),
            "sqlite": DatabaseRateLimiter(db, SPECS),
        }
        pg_admin, pg_name, pg_db = None, None, None
        if a.pg:
            pg_name = f"mp_bench_{uuid.uuid4().hex[:8]}"
            pg_admin = create_engine(a.pg, isolation_level="AUTOCOMMIT")
            with pg_admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{pg_name}"'))
            pg_db = Database(a.pg.rsplit("/", 1)[0] + "/" + pg_name)
            upgrade(pg_db.engine)
            stores["postgresql"] = DatabaseRateLimiter(pg_db, SPECS)
        try:
            for name, limiter in stores.items():
                out["results"][name] = [_run(limiter, a.takes, n) for n in counts]
        finally:
            db.dispose()
            if pg_admin is not None and pg_db is not None:
                pg_db.dispose()
                with pg_admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
                pg_admin.dispose()
    out["load_avg_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
