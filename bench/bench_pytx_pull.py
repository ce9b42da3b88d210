"""Pulls from python-threatexchange sources: a first pull of N signals and an
incremental pull, through the library's own clients, stored as received signals. Prints
JSON (medians of --repeats runs, each on a fresh SQLite instance).

    PYTHONPATH=src .venv/bin/python bench/bench_pytx_pull.py [--signals 10000] [--repeats 3]

- ``local_file``: a file of N ``pdq`` lines; the second pull is the file with 1% of the
  lines replaced (the whole file is read each time: a full replacement).
- ``stop_ncii``: the StopNCII stand-in (tests/integration/standins/pytx.py) on 127.0.0.1
  serving N records; the second pull asks from the checkpoint and gets 100 new ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.integration.standins

from tests.integration.standins import pytx as standins

from mediaproof.config import Settings
from mediaproof.services import exchange_pull, exchange_sources
from mediaproof.services.instance import Instance

T0 = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


def pdq(rng: random.Random) -> str:
    """A PDQ with 128 of 256 bits set (what the quality gate keeps)."""
    n = 0
    for b in rng.sample(range(256), 128):
        n |= 1 << b
    return f"{n:064x}"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def run_local_file(n: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        inst = Instance(Settings(home=Path(d) / "i"))
        try:
            f = Path(d) / "signals.txt"
            values = [pdq(rng) for _ in range(n)]
            f.write_text("".join(f"pdq {v}\n" for v in values))
            exchange_sources.add_source(inst, "lists", kind="pytx:local_file", filename=f)
            first, r1 = timed(lambda: exchange_pull.pull_one(inst, "lists", now=T0, force=True))
            for i in rng.sample(range(n), max(1, n // 100)):
                values[i] = pdq(rng)
            f.write_text("".join(f"pdq {v}\n" for v in values))
            second, r2 = timed(lambda: exchange_pull.pull_one(inst, "lists", now=T0, force=True))
            assert r1.added == n and r2.added == max(1, n // 100)
        finally:
            inst.close()
    return {"first_s": first, "replace_1pct_s": second}


def run_stop_ncii(n: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as d, standins.StopNcii("fk", "sk") as sn:
        inst = Instance(Settings(home=Path(d) / "i"))
        try:
            sn.records = [standins.NciiRecord(pdq(rng), 100 + i) for i in range(n)]
            creds = Path(d) / "creds"
            creds.write_text("fk,sk\n")
            creds.chmod(0o600)
            exchange_sources.add_source(
                inst, "sn", kind="pytx:stop_ncii", base_url=sn.url, credentials_file=creds
            )
            first, r1 = timed(lambda: exchange_pull.pull_one(inst, "sn", now=T0, force=True))
            sn.records += [standins.NciiRecord(pdq(rng), 100 + n + i) for i in range(100)]
            second, r2 = timed(lambda: exchange_pull.pull_one(inst, "sn", now=T0, force=True))
            assert r1.added == n and r2.added == 100
        finally:
            inst.close()
    return {"first_s": first, "incremental_100_s": second}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    out: dict[str, object] = {
        "signals": a.signals,
        "repeats": a.repeats,
        "loadavg_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    for name, fn in (("local_file", run_local_file), ("stop_ncii", run_stop_ncii)):
        runs = [fn(a.signals, seed) for seed in range(a.repeats)]
        out[name] = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    out["loadavg_1m_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
