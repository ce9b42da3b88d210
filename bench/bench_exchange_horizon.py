"""The tombstone-horizon check every page request of a collection makes
(``services.exchange.updates``): the old ``max(seq)`` over every update older than the
collection's tombstone days beside the bounded "is any update after the client's
position that old" read that replaced it, on a long-lived collection (N updates written
over a year, the client at the end). Both on SQLite and, with ``--pg``, on PostgreSQL.
Medians of 7 calls, side by side in one run; the database's own work counts, so times
are wall (``*_wall_ms``), and on SQLite (in process) CPU too. Prints JSON.

    PYTHONPATH=src .venv/bin/python bench/bench_exchange_horizon.py [--rows 1000000]
        [--pg postgresql+psycopg://postgres@127.0.0.1/test]

``--pg`` creates and drops a scratch database ``bench_horizon`` beside the one named.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mediaproof.storage.sql.repos_exchange import ExchangeRepository
from mediaproof.storage.sql.tables import Base
from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow, ExchangeUpdateRow

BATCH = 50_000


def fill(url: str, n: int, now: dt.datetime) -> None:
    eng = create_engine(url)
    Base.metadata.create_all(eng)
    start = now - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / n
    with Session(eng) as s:
        c = ExchangeCollectionRow(
            name="c", organisation="o", signal_types="pdq", tlp="green", category="x",
            rule="{}", tombstone_days=30, created_at=now,
        )  # fmt: skip
        s.add(c)
        s.flush()
        for i in range(0, n, BATCH):
            s.execute(
                insert(ExchangeUpdateRow),
                [
                    {
                        "collection_id": c.id,
                        "seq": j + 1,
                        "signal_type": "pdq",
                        "value": f"{j:064x}",
                        "category": "x",
                        "tags": "",
                        "owner": "o",
                        "deleted": False,
                        "time": "t",
                        "created_at": start + step * j,
                    }
                    for j in range(i, min(n, i + BATCH))
                ],
            )
        s.commit()
    eng.dispose()


def measure(url: str, n: int, now: dt.datetime) -> dict[str, object]:
    eng = create_engine(url)
    cut = now - dt.timedelta(days=30)
    after = n - 10  # a client that is up to date
    out: dict[str, object] = {"rows": n}
    with Session(eng) as s:
        repo = ExchangeRepository(s)
        c = repo.collection("c")
        assert c is not None
        ways: dict[str, Callable[[], bool]] = {
            "old_max_seq": lambda: after < repo.horizon(c, cut),
            "new_bounded": lambda: repo.written_before_after(c, after, cut),
        }
        samples: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in ways}
        answers = set()
        for _ in range(7):  # alternate the two, so load changes hit both alike
            for k, f in ways.items():
                w, p = time.perf_counter(), time.process_time()
                answers.add(f())
                samples[k][0].append((time.perf_counter() - w) * 1000)
                samples[k][1].append((time.process_time() - p) * 1000)
        assert answers == {False}, "both must agree: the client is not behind"
        for k, (wall, cpu) in samples.items():
            out[f"{k}_wall_ms"] = round(statistics.median(wall), 3)
            out[f"{k}_cpu_ms"] = round(statistics.median(cpu), 3)
    eng.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", default="", help="a PostgreSQL URL whose server may get a scratch db")
    a = ap.parse_args()
    now = dt.datetime.now(dt.UTC)
    result: dict[str, object] = {"load_avg_1m": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{Path(d) / 'h.db'}"
        fill(url, a.rows, now)
        result["sqlite"] = measure(url, a.rows, now)
    if a.pg:
        admin = create_engine(a.pg, isolation_level="AUTOCOMMIT")
        scratch = make_url(a.pg).set(database="bench_horizon")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS bench_horizon"))
            conn.execute(text("CREATE DATABASE bench_horizon"))
        try:
            scratch_url = scratch.render_as_string(hide_password=False)
            fill(scratch_url, a.rows, now)
            result["postgresql"] = measure(scratch_url, a.rows, now)
        finally:
            with admin.connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS bench_horizon WITH (FORCE)"))
            admin.dispose()
    result["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
