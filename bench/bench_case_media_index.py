"""The case media index's per-call top-up (``SqlCaseMediaIndex.refresh``) once caught up,
and the cost of banking one row (the commit that writes its change row), on PostgreSQL.

Every upload check and notice calls ``refresh``. Run from the repository root:

    PYTHONPATH=src python bench/bench_case_media_index.py [--rows 20000] [--inactive 0.1]

Prints one JSON object. The database is a new one on the local server, dropped at exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import time

from sqlalchemy import create_engine, text

from mediaproof.services.cases.media_index import SqlCaseMediaIndex
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.tables_cases import BankRow, CaseRow

ADMIN = os.environ.get("MEDIAPROOF_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def _pdq(n: int) -> str:
    return json.dumps({"pdq": hashlib.sha256(f"pdq{n}".encode()).hexdigest()})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--inactive", type=float, default=0.1)
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    name = f"bench_case_media_{os.getpid()}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(ADMIN.rsplit("/", 1)[0] + "/" + name)
    try:
        upgrade(db.engine)
        with db.session() as s:
            case = CaseRow(
                public_id="c1",
                number="C-1",
                state="decided",
                category="deepfake",
                priority=1,
                due_at=T0,
                clock="{}",
                created_at=T0,
                updated_at=T0,
                version=1,
            )
            s.add(case)
            s.flush()
            cut = int(args.rows * (1 - args.inactive))
            s.add_all(
                BankRow(
                    case_id=case.id,
                    sha256=_sha(i),
                    fingerprints=_pdq(i),
                    active=i < cut,
                    added_at=T0,
                )
                for i in range(args.rows)
            )
            case_id = case.id
        index = SqlCaseMediaIndex(db)
        t = time.perf_counter()
        index.refresh()
        load_s = time.perf_counter() - t
        calls = []
        for _ in range(args.calls):
            t = time.perf_counter()
            index.refresh()
            calls.append(time.perf_counter() - t)
        commits = []
        for i in range(args.rows, args.rows + 100):
            t = time.perf_counter()
            with db.session() as s:
                s.add(
                    BankRow(
                        case_id=case_id,
                        sha256=_sha(i),
                        fingerprints=_pdq(i),
                        active=True,
                        added_at=T0,
                    )
                )
            commits.append(time.perf_counter() - t)
        print(
            json.dumps(
                {
                    "backend": "postgresql",
                    "bank_rows": args.rows,
                    "inactive_share": args.inactive,
                    "first_load_s": round(load_s, 3),
                    "refresh_caught_up_median_ms": round(statistics.median(calls) * 1e3, 3),
                    "bank_row_commit_median_ms": round(statistics.median(commits) * 1e3, 3),
                    "calls": args.calls,
                    "loadavg_1m": round(os.getloadavg()[0], 2),
                }
            )
        )
    finally:
        db.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
