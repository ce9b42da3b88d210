"""Exchange timings: a full pull of a collection, an incremental pull, and the delay from
a second reviewer's confirmation to the signal on the peer. Prints JSON.

    .venv/bin/python bench/bench_exchange.py [--signals 10000] [--incremental 100]

Publisher and peer run in one process (the peer pulls through the real HTTP stack via
Starlette's test client, no sockets), each on its own SQLite file. ``peak_rss_mib`` is
the whole process's (both sides). The publisher hashes its rows on the first page of
every pull (docs/exchange.md), so the full pull grows with the collection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import secrets
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import NoticeCategory, NoticeInput, Outcome, Relationship
from mediaproof.config import ServiceSettings, Settings
from mediaproof.exchange.models import Category, CollectionSpec, FeedRow, SignalType
from mediaproof.services import exchange, exchange_pull
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository


def fill(inst: Instance, name: str, start: int, n: int) -> None:
    """Updates written straight to the table (not from the bank); the collection is
    marked synced so a pull does not reconcile them away with the bank."""
    now = dt.datetime.now(dt.UTC)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = repo.collection(name)
        assert row is not None
        row.synced_at = now + dt.timedelta(days=1)
        for seq in range(start + 1, start + n + 1):
            repo.append(
                row,
                FeedRow(
                    collection=name,
                    seq=seq,
                    signal_type=SignalType.PDQ,
                    value=secrets.token_hex(32),
                    category=Category.POSITIVE_CLASS,
                    tags=("bench",),
                    quality=None,
                    owner="Bench County",
                    deleted=False,
                    time="2026-12-06T00:00:00Z",
                ),
                now,
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", type=int, default=10_000)
    ap.add_argument("--incremental", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        svc = ServiceSettings(rate_exchange_burst=1_000_000, analysis_processes=0)
        app = create_app(Settings(home=Path(tmp) / "a", service=svc))
        a: Instance = app.state.ctx.inst
        b = Instance(Settings(home=Path(tmp) / "b"))
        exchange.create_collection(a, CollectionSpec("bench", "Bench County"))
        fill(a, "bench", 0, args.signals)
        token, _ = exchange.grant(a, "bench", "peer")
        exchange.create_collection(a, CollectionSpec("latency", "Bench County"))
        token2, _ = exchange.grant(a, "latency", "peer")
        for peer, name, tok in (("a", "bench", token), ("a-latency", "latency", token2)):
            exchange_pull.add_peer(
                b,
                peer,
                url="http://testserver",
                collection=name,
                token=tok,
                key=exchange.public_key(a),
            )
        out: dict[str, object] = {"signals": args.signals}
        with TestClient(app) as client:
            t = time.perf_counter()
            r = exchange_pull.pull_one(b, "a", client=client)
            out["full_pull_s"] = round(time.perf_counter() - t, 3)
            assert r.status == "ok" and r.added == args.signals, r

            fill(a, "bench", args.signals, args.incremental)
            t = time.perf_counter()
            r = exchange_pull.pull_one(b, "a", client=client)
            out["incremental_pull_s"] = round(time.perf_counter() - t, 3)
            out["incremental"] = args.incremental
            assert r.status == "ok" and r.added == args.incremental, r

            # confirmation -> signal on the peer (one pull right after the confirmation)
            cases = CaseService(a.db, sink=InMemoryEventSink())
            pdq = secrets.token_hex(32)
            rec = cases.file_notice(
                NoticeInput(
                    category=NoticeCategory.DEEPFAKE_OF_CANDIDATE,
                    explanation="A synthetic clip of the candidate.",
                    reporter_name="Bench Reporter",
                    reporter_email="bench@example.org",
                    relationship=Relationship.THIRD_PARTY,
                    good_faith=True,
                    signature="Bench Reporter",
                    media_sha256=secrets.token_hex(32),
                    content_url="https://video.example/v/1",
                    location="video.example",
                    fingerprints={"pdq": pdq},
                    mime="image/jpeg",
                ),
                dt.datetime.now(dt.UTC),
            )
            cases.decide(
                rec.case_number,
                reviewer="alice",
                outcome=Outcome.REMOVE,
                rule_id="DM-1",
                explanation="Synthetic.",
                now=dt.datetime.now(dt.UTC),
            )
            exchange_pull.pull_one(b, "a-latency", client=client)
            exchange.SYNC_ON_READ_S = 0.0  # measure the pull, not the sync throttle
            t = time.perf_counter()
            cases.confirm(rec.case_number, reviewer="bob", now=dt.datetime.now(dt.UTC))
            r = exchange_pull.pull_one(b, "a-latency", client=client)
            out["confirm_to_peer_s"] = round(time.perf_counter() - t, 3)
            got = {s["value"] for s in exchange_pull.incoming(b, "a-latency")}
            assert r.added == 1 and pdq in got, r
        b.close()
        out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
