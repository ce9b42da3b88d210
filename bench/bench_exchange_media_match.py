"""Matching an upload's vPDQ and Chromaprint against received signals: through the
received index (``ReceivedIndex.candidates`` then ``find`` over the rows it names, as
``exchange_match.check_upload`` does) against a scan (``find`` over every received
vPDQ / Chromaprint row, read from the database at each call). SQLite, one process.

    PYTHONPATH=src python bench/bench_exchange_media_match.py [--signals 2000] [--calls 15]

The population: ``--signals`` random vPDQ signals (40 frames each, like a 40 s clip at
one frame a second) and as many random Chromaprint signals (300 items, ~37 s), plus the
real fingerprint of Meta's chair-20-sd-bar video and its soundtrack; the query is a
re-encoded copy (ffmpeg, 320 px, CRF 32). Both ways must find the same rows. CPU time
(time.process_time) per call, medians, the two ways alternating; prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from mediaproof.config import Settings
from mediaproof.exchange.incoming import Signal, find, upload_keys
from mediaproof.exchange.models import Category, FeedRow, SignalType
from mediaproof.media.sniff import MediaKind
from mediaproof.services import exchange, exchange_pull
from mediaproof.services.cases.intake_form import media_prints
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository

VIDEO = Path(
    os.environ.get("MEDIAPROOF_CORPORA", "../shared/corpora"),
    "vpdq-tmk-threatexchange/videos/chair-20-sd-bar.mp4",
)
T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def _row(seq: int, st: SignalType, value: str) -> FeedRow:
    return FeedRow("bench", seq, st, value, Category.POSITIVE_CLASS, ("bench",), None,
                   "Bench County", False, "2026-11-03T09:00:00Z")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", type=int, default=2000)
    ap.add_argument("--calls", type=int, default=15)
    args = ap.parse_args()
    rnd = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        inst = Instance(Settings(home=Path(tmp) / "b"))
        copy = Path(tmp) / "copy.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(VIDEO), "-vf", "scale=320:-2",
                        "-c:v", "libx264", "-crf", "32", "-c:a", "aac", str(copy)],
                       check=True)  # fmt: skip
        theirs = media_prints(inst, VIDEO, MediaKind.VIDEO)
        query = media_prints(inst, copy, MediaKind.VIDEO)
        rows = [_row(1, SignalType.VPDQ, theirs["vpdq"])]
        rows.append(_row(2, SignalType.CHROMAPRINT, theirs["chromaprint"]))
        for i in range(args.signals):
            frames = ",".join(f"{rnd.getrandbits(256):064x}" for _ in range(40))
            sound = b"".join(rnd.getrandbits(32).to_bytes(4, "little") for _ in range(300))
            rows.append(_row(3 + 2 * i, SignalType.VPDQ, frames))
            rows.append(_row(4 + 2 * i, SignalType.CHROMAPRINT, sound.hex()))
        exchange_pull.add_peer(inst, "bench", url="http://x.example", collection="bench",
                               token="t", key=exchange.public_key(inst))  # fmt: skip
        with inst.db.session() as s:
            repo = IncomingRepository(s)
            peer = repo.peer("bench")
            assert peer is not None
            repo.apply_updates(peer.id, rows, T0)
        keys = upload_keys({k: query[k] for k in ("vpdq", "chromaprint")}, None)
        t = time.process_time()
        with inst.db.session() as s:
            inst.exchange_index.refresh(IncomingRepository(s))
        load_s = time.process_time() - t

        def indexed() -> list[int]:
            with inst.db.session() as s:
                found = inst.exchange_index.candidates(IncomingRepository(s), keys)
            sigs = [Signal(r.id, r.signal_type, r.value, False) for r in found.received]
            return sorted(h.signal.id for h in find(keys, sigs))

        def scan() -> list[int]:
            with inst.db.session() as s:
                every = IncomingRepository(s).matchable(["vpdq", "chromaprint"])
            sigs = [Signal(r.id, r.signal_type, r.value, False) for r in every]
            return sorted(h.signal.id for h in find(keys, sigs))

        times: dict[str, list[float]] = {"indexed": [], "scan": []}
        found: dict[str, list[int]] = {}
        for _ in range(args.calls):
            for name, fn in (("indexed", indexed), ("scan", scan)):
                t = time.process_time()
                found[name] = fn()
                times[name].append(time.process_time() - t)
        assert found["indexed"] == found["scan"] and len(found["scan"]) == 2, found
        med = {k: statistics.median(v) for k, v in times.items()}
        print(json.dumps({
            "signals": 2 + 2 * args.signals,
            "calls": args.calls,
            "loadavg": [round(x, 2) for x in os.getloadavg()],
            "index_first_load_cpu_s": round(load_s, 3),
            "indexed_cpu_ms_median": round(1000 * med["indexed"], 2),
            "scan_cpu_ms_median": round(1000 * med["scan"], 2),
            "scan_over_indexed": round(med["scan"] / med["indexed"], 1),
            "matched": found["indexed"],
        }))  # fmt: skip
        inst.close()


if __name__ == "__main__":
    main()
