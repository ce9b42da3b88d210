"""Verify of small JPEGs in-process: CPU milliseconds per analyzer, median of N runs.

Three files on a fresh instance: an unmatched photo, a stripped re-post of a signed,
watermarked release (decoded and re-encoded: no credentials, found by PDQ, aligned with
a heatmap), and the release itself. Each analyzer is timed with the calling thread's CPU
clock (``time.thread_time``), so other work on a shared machine does not count
(``total_all_threads`` adds the library helper threads a server also pays for); a
``report_sha256`` of the report (without the heatmap bytes) shows whether a change kept
the results identical. Keys, watermark IDs and signatures are random, so to compare
reports across code versions give both runs the same ``--home``: the first run makes the
instance and files there, later runs reuse them (the hash then only changes when a
result does). Compare before/after by running it on both commits (or with ``git stash``)
and diffing the JSON.

    PYTHONPATH=src .venv/bin/python bench/bench_verify_small.py [--runs 7] [--size 1280x853]
        [--home /tmp/bench-verify-small]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mediaproof.analysis.evidence import AnalysisContext, Analyzer, Evidence
from mediaproof.analysis.pipeline import run_analyzers
from mediaproof.config import Settings
from mediaproof.media.ingest import ingest_file
from mediaproof.media.samples import sample_photo, strip_by_reencoding
from mediaproof.provenance.keys import init_keys
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, sign_and_register
from mediaproof.services.verification import analyzers_for
from mediaproof.watermark import ensure_watermark_key


class Timed:
    """An analyzer wrapper that adds its CPU time to ``sink[name]``."""

    def __init__(self, inner: Analyzer, sink: dict[str, float]) -> None:
        self.inner = inner
        self.name = inner.name
        self.sink = sink

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        t0 = time.thread_time()
        try:
            return self.inner.analyze(ctx)
        finally:
            self.sink[self.name] = self.sink.get(self.name, 0.0) + time.thread_time() - t0


def verify_timed(inst: Instance, path: Path) -> tuple[dict[str, float], str]:
    sink: dict[str, float] = {}
    p0 = time.process_time()
    t0 = time.thread_time()
    media = ingest_file(path, inst.settings.limits)
    sink["ingest"] = time.thread_time() - t0
    analyzers = [Timed(a, sink) for a in analyzers_for(inst, likeness=False)]
    report = run_analyzers(path, media, inst.settings, analyzers, services=inst)
    sink["total"] = time.thread_time() - t0
    # every thread of the process: BLAS and OpenCV helper threads too, which the
    # per-analyzer thread clocks miss and a server's CPU time counts
    sink["total_all_threads"] = time.process_time() - p0
    found = report.as_dict()
    found.pop("analysed_at", None)  # the only field that changes from run to run
    body = json.dumps(found, sort_keys=True, default=str).encode()
    return sink, hashlib.sha256(body).hexdigest()


def prepare(home: Path, w: int, h: int) -> dict[str, Path]:
    """The instance and the three files under ``home``, made once and then reused."""
    made = home / "bench-files.json"
    if made.exists():
        return {k: Path(v) for k, v in json.loads(made.read_text()).items()}
    inst = Instance(Settings(home=home / "instance"))
    init_keys(inst.keys_dir, "Bench Elections Office")
    # an instance that ever published an image of 512 px or more has a watermark key, so
    # its verify always runs the detector: the usual case, and the costlier one
    ensure_watermark_key(inst.home)
    src = sample_photo(home / "release.jpg", w, h, seed=11)
    pub = sign_and_register(
        inst, SignRequest(src=src, dest=home / "signed.jpg", title="bench release")
    )
    inst.close()
    files = {
        "unmatched": sample_photo(home / "other.jpg", w, h, seed=12),
        "repost": strip_by_reencoding(pub.output, home / "repost.jpg", quality=80),
        "signed": pub.output,
    }
    made.write_text(json.dumps({k: str(v) for k, v in files.items()}))
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--size", default="1280x853", help="WxH of the sample photos")
    ap.add_argument("--home", type=Path, help="reuse (or make) the instance and files here")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as d:
        home = args.home or Path(d)
        files = prepare(home, w, h)
        inst = Instance(Settings(home=home / "instance"))
        out: dict[str, Any] = {}
        for label, path in files.items():
            verify_timed(inst, path)  # warm caches (imports, keys, lru caches)
            runs = [verify_timed(inst, path) for _ in range(args.runs)]
            names = runs[0][0].keys()
            out[label] = {
                "cpu_ms_median": {
                    n: round(1000 * statistics.median(r[0].get(n, 0.0) for r in runs), 1)
                    for n in names
                },
                "report_sha256": sorted({r[1] for r in runs}),
            }
        inst.close()
    print(
        json.dumps(
            {
                "benchmark": f"in-process verify, {w}x{h} JPEGs, CPU ms per analyzer "
                f"(thread_time), median of {args.runs}",
                "results": out,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
