"""Case workflow timings: file a notice, decide, confirm, report, export. Prints JSON.

    .venv/bin/python bench/bench_cases.py [--cases 300] [--db-url URL]

Default is a fresh SQLite file in a temporary directory. Per-operation medians and p95
in milliseconds; report and export over all cases at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import NoticeCategory, NoticeInput, Outcome, Relationship
from mediaproof.services.cases import CaseService
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade


def summary(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {
        "n": len(xs),
        "median_ms": round(statistics.median(xs) * 1000, 2),
        "p95_ms": round(xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))] * 1000, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--db-url")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        upgrade(db.engine)
        svc = CaseService(db, sink=InMemoryEventSink())
        t0 = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
        timings: dict[str, list[float]] = {"file_notice": [], "decide": [], "confirm": []}
        numbers = []
        for i in range(args.cases):
            inp = NoticeInput(
                category=NoticeCategory.DEEPFAKE_OF_CANDIDATE,
                explanation="Synthetic voice of the candidate.",
                reporter_name=f"Reporter {i}",
                reporter_email=f"r{i}@example.org",
                relationship=Relationship.THIRD_PARTY,
                good_faith=True,
                signature=f"Reporter {i}",
                media_sha256=f"{i:064x}",
            )
            s = time.perf_counter()
            numbers.append(svc.file_notice(inp, t0).case_number)
            timings["file_notice"].append(time.perf_counter() - s)
        for i, n in enumerate(numbers):
            outcome = Outcome.REMOVE if i % 4 == 0 else Outcome.LABEL
            s = time.perf_counter()
            svc.decide(
                n,
                reviewer="a",
                outcome=outcome,
                rule_id="DM-1",
                explanation="Synthetic; see rule DM-1.",
                now=t0,
            )
            timings["decide"].append(time.perf_counter() - s)
            if outcome is Outcome.REMOVE:
                s = time.perf_counter()
                svc.confirm(n, reviewer="b", now=t0)
                timings["confirm"].append(time.perf_counter() - s)
        s = time.perf_counter()
        svc.transparency_report(t0 - dt.timedelta(days=1), t0 + dt.timedelta(days=1))
        report_s = time.perf_counter() - s
        s = time.perf_counter()
        batches = svc.sor_export(t0)
        export_s = time.perf_counter() - s
        db.dispose()
    print(
        json.dumps(
            {
                "backend": url.split(":", 1)[0],
                "cases": args.cases,
                **{k: summary(v) for k, v in timings.items()},
                "transparency_report_ms": round(report_s * 1000, 1),
                "sor_export_ms": round(export_s * 1000, 1),
                "sor_statements": sum(len(b["statements"]) for b in batches),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
