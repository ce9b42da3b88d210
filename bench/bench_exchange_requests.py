"""The publisher's CPU per page request at N signals, in process (no HTTP, no puller):
an empty pull (the first page after the last row) and the incremental 1k (the first page
of the last 1,000 rows, proofs checked before they leave). Prints JSON.

    PYTHONPATH=src .venv/bin/python bench/bench_exchange_requests.py --signals 300000 \\
        --home /tmp/pub300k [--reps 5] [--sync-log-half]

The home (SQLite) is built as bench_exchange_pull.py builds A's (bulk rows, marked synced
so no sync runs, then the stored tree) unless it holds the collection already, so the code
before and after a change can be run on one home in turn: build it once, then alternate
``PYTHONPATH=<old src>`` and ``PYTHONPATH=<new src>`` runs (a home the new code opened is
migrated past what the old code knows: build it with the old code, and copy it for the
new). ``--sync-log-half`` also times what a sync does with the log before it reads the
bank (read every row, ``live_signals``, ``tree_of``).

The collection's rows are also its accepted contributions (what its sync must publish), so
a sync finds its log up to date. ``--read-sync`` times the empty pull with the sync a read
runs first (the collection is marked not synced before each: ``empty_pull_read_sync_cpu_ms``)
and the same after one change to the sync's inputs (a withdrawal of a signal the
collection does not hold, so nothing is appended: ``empty_pull_after_a_change_cpu_ms``).
A home built before the contributions were added would be tombstoned by its first sync:
build a new one for ``--read-sync``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, update

from bench_exchange_pull import FILL_BATCH, _pdq, _row
from mediaproof.config import Settings
from mediaproof.exchange.log import tree_of
from mediaproof.exchange.models import MAX_PAGE, CollectionSpec, live_signals
from mediaproof.services import exchange, exchange_tree
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository, digest
from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow, ExchangeWithdrawalRow
from mediaproof.storage.sql.tables_exchange_contrib import ExchangeContributionRow

NAME = "bench"


def build(inst: Instance, n: int) -> dict[str, float]:
    exchange.init_key(inst)
    exchange.create_collection(inst, CollectionSpec(NAME, "Bench County"))
    rng, now, t = random.Random(1), dt.datetime.now(dt.UTC), time.perf_counter()
    for lo in range(0, n, FILL_BATCH):
        hi = min(n, lo + FILL_BATCH)
        with inst.db.session() as s:
            repo = ExchangeRepository(s)
            c = repo.collection(NAME)
            assert c is not None
            c.synced_at = now + dt.timedelta(days=365)
            rows = [_row(NAME, q, _pdq(rng)) for q in range(lo + 1, hi + 1)]
            repo.append_many(c, rows, now)
            s.execute(
                insert(ExchangeContributionRow),
                [
                    {"collection_id": c.id, "contributor": "bench", "signal_type": "pdq",
                     "digest": digest(r.value), "value": r.value, "category": r.category.value,
                     "tags": " ".join(r.tags), "reason": "bench", "status": "accepted",
                     "submitted_at": now, "seq": r.seq}
                    for r in rows
                ],
            )  # fmt: skip
    fill = time.perf_counter() - t
    exchange_tree.ensure(inst, NAME, wait_s=None)
    return {"fill_s": round(fill, 1), "tree_build_s": round(time.perf_counter() - t - fill, 1)}


def _cpu(f: Callable[[], object]) -> float:
    t = time.process_time()
    f()
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", type=int, default=100_000)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sync-log-half", action="store_true")
    ap.add_argument("--read-sync", action="store_true")
    args = ap.parse_args()
    n = args.signals
    out: dict[str, object] = {"signals": n, "load_avg_1m_start": os.getloadavg()[0]}
    inst = Instance(Settings(home=args.home))
    try:
        with inst.db.session() as s:
            built = ExchangeRepository(s).collection(NAME) is not None
        if not built:
            out["build"] = build(inst, n)

        def empty() -> None:
            r = exchange.updates(inst, None, NAME, after=n, limit=MAX_PAGE)
            assert r["size"] == n and not r["updates"], "the home holds another size"

        def incremental() -> None:
            r = exchange.updates(inst, None, NAME, after=n - 1000, limit=MAX_PAGE)
            assert len(r["updates"]) == 1000 and r["updates"][-1]["inclusion_proof"]

        def log_half() -> None:
            with inst.db.session() as s:
                repo = ExchangeRepository(s)
                c = repo.collection(NAME)
                assert c is not None
                rows = repo.updates(c)
                live_signals(rows)
                tree_of(rows)

        def not_synced() -> None:
            with inst.db.session() as s:
                s.execute(update(ExchangeCollectionRow).values(synced_at=None))

        changes = itertools.count()

        def change() -> None:
            not_synced()
            with inst.db.session() as s:
                s.add(
                    ExchangeWithdrawalRow(
                        collection_id=s.scalar(select(ExchangeCollectionRow.id)),
                        signal_type="pdq",
                        digest=digest(f"not held {time.time_ns()} {next(changes)}"),
                        reason="bench",
                        at=dt.datetime.now(dt.UTC),
                    )
                )

        def timed(before: Callable[[], None]) -> float:
            before()
            return _cpu(empty)

        empty()  # warm
        incremental()
        out["empty_pull_cpu_ms"] = round(
            1e3 * statistics.median(_cpu(empty) for _ in range(args.reps)), 1
        )
        out["incremental_1k_cpu_ms"] = round(
            1e3 * statistics.median(_cpu(incremental) for _ in range(args.reps)), 1
        )
        if args.read_sync:
            timed(not_synced)  # the first sync of the home (the new code's records its inputs)
            out["empty_pull_read_sync_cpu_ms"] = round(
                1e3 * statistics.median(timed(not_synced) for _ in range(args.reps)), 1
            )
            out["empty_pull_after_a_change_cpu_ms"] = round(
                1e3 * statistics.median(timed(change) for _ in range(args.reps)), 1
            )
            with inst.db.session() as s:  # marked synced again, as built
                s.execute(
                    update(ExchangeCollectionRow).values(
                        synced_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
                    )
                )
        if args.sync_log_half:
            out["sync_log_half_cpu_s"] = round(_cpu(log_half), 2)
    finally:
        inst.close()
    out["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
