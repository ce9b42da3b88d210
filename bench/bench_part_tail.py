"""The tasks of a long video's split (docs/queue.md, "Long media in parts") before and
after a short tail joins the last part: how many parts, and each part's CPU. Prints JSON.

The video is the chair-19 corpus video (18.8 s) joined ``--joins`` times (602 s at 32,
stream copy), split with ``--part-s`` (the default 120 s). Per round, the old and the new
code each run the job's own task (probe, frame index, plan) and every part
(``read_part``) in a process of their own, in alternating order; ``--old-src`` is the
old code's ``src`` (e.g. from ``git archive main | tar -x -C /tmp/old``). The combine is
left out: it reads what the parts read, whichever ranges they had. CPU is the process's
user + system time plus its waited-for children's.

    nice -n 5 .venv/bin/python bench/bench_part_tail.py --old-src /tmp/old/src [--rounds 3]

Not asserted in tests: timings need a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared/corpora/vpdq-tmk-threatexchange/videos"


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def child(video: Path, home: Path, part_s: float) -> dict[str, Any]:
    """In a process whose PYTHONPATH is one version's src: plan and read every part."""
    from mediaproof.config import ServiceSettings, Settings
    from mediaproof.media.ingest import ingest_file
    from mediaproof.services.job_parts import Span, plan_parts, read_part

    settings = Settings(home=home, service=ServiceSettings(analysis_processes=0))
    limits = settings.limits
    c0 = cpu()
    spans = plan_parts(video, ingest_file(video, limits), part_s, limits)
    plan_cpu = cpu() - c0
    assert spans is not None, "not split"
    parts = []
    for span in spans:
        c0, w0 = cpu(), time.monotonic()
        r = read_part(video, Span.of(span.as_dict()), settings)
        assert "error" not in r["video"], r["video"]
        parts.append(
            {
                "seconds": round(len(span.pts) / span.frame_rate, 2),
                "cpu_s": round(cpu() - c0, 2),
                "wall_s": round(time.monotonic() - w0, 2),
            }
        )
    return {"plan_cpu_s": round(plan_cpu, 2), "parts": parts}


def run(src: Path, video: Path, home: Path, part_s: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    args = ["--child", str(video), "--home", str(home), "--part-s", str(part_s)]
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, capture_output=True, text=True
    )
    got: dict[str, Any] = json.loads(out.stdout)
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old-src", type=Path)
    ap.add_argument("--joins", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--part-s", type=float, default=120.0)
    ap.add_argument("--child", type=Path)
    ap.add_argument("--home", type=Path)
    a = ap.parse_args()
    if a.child is not None:
        print(json.dumps(child(a.child, a.home, a.part_s)))
        return
    assert a.old_src is not None, "--old-src is required"
    sys.path.insert(0, str(ROOT / "src"))
    from mediaproof.watermark import ensure_watermark_key

    load0 = os.getloadavg()[0]
    rounds: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory(prefix="bench-part-tail-") as tmp:
        home = Path(tmp) / "home"
        ensure_watermark_key(home)  # the parts read the watermark on sampled frames
        listing = Path(tmp) / "list.txt"
        listing.write_text(f"file '{VIDEOS / 'chair-19-sd-bar.mp4'}'\n" * a.joins)
        video = Path(tmp) / "long.mp4"
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0"),
                *("-i", str(listing), "-c", "copy", str(video)),
            ],
            check=True,
        )
        srcs = {"old": a.old_src, "new": ROOT / "src"}
        for i in range(a.rounds):
            for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
                rounds[name].append(run(srcs[name], video, home, a.part_s))

    def summary(rs: list[dict[str, Any]]) -> dict[str, Any]:
        def med(values: list[float]) -> float:
            return round(float(statistics.median(values)), 2)

        return {
            "parts": len(rs[0]["parts"]),
            "part_seconds": [p["seconds"] for p in rs[0]["parts"]],
            "median_parts_cpu_s": [
                med([r["parts"][k]["cpu_s"] for r in rs]) for k in range(len(rs[0]["parts"]))
            ],
            "median_largest_part_cpu_s": med([max(p["cpu_s"] for p in r["parts"]) for r in rs]),
            "median_plan_and_parts_cpu_s": med(
                [r["plan_cpu_s"] + sum(p["cpu_s"] for p in r["parts"]) for r in rs]
            ),
        }

    print(
        json.dumps(
            {
                "bench": "part_tail",
                "joins": a.joins,
                "part_s": a.part_s,
                "rounds": a.rounds,
                "cpus": os.cpu_count(),
                "load_avg_1m_start": round(load0, 2),
                "load_avg_1m_end": round(os.getloadavg()[0], 2),
                "old": summary(rounds["old"]),
                "new": summary(rounds["new"]),
                "raw": rounds,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
