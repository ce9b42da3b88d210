"""CPU of the video watermark reader: seeking to its 8 frames vs decoding from the start.

Joins a corpus video ``--times`` times (ffmpeg's concat demuxer, streams copied) into a
temporary file and runs, alternately, ``--rounds`` times each:

* ``from_start``: the reader before seeking (every frame decoded from the start up to
  the last sampled one; ``sample_frames_from_start``) and the detector's vote;
* ``seek``: ``detect_video`` as verify runs it (``sample_frames``: a seek and at most one
  group of pictures per sampled frame).

CPU is this process's user + system time (its decoder threads included) plus its
children's; the load average is printed with it. Prints JSON.

    PYTHONPATH=src nice -n 10 .venv/bin/python bench/bench_video_watermark.py \\
        [--video ../shared/corpora/vpdq-tmk-threatexchange/videos/chair-22-sd-grey-bar.mp4]
        [--times 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "../shared/corpora/vpdq-tmk-threatexchange"
KEY = b"bench-video-watermark-key-000001"


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def join(video: Path, times: int, out: Path) -> None:
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{video.resolve()}'\n" for _ in range(times)))
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    subprocess.run([*cmd, "-c", "copy", str(out)], check=True)


def main() -> None:
    from mediaproof.fingerprint.video_ranges import frame_index
    from mediaproof.watermark.video import detect_frame, detect_video, vote
    from mediaproof.watermark.video_sample import sample_frames_from_start

    ap = argparse.ArgumentParser()
    ap.add_argument("--video", type=Path, default=CORPUS / "videos/chair-22-sd-grey-bar.mp4")
    ap.add_argument("--times", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    def old(p: Path) -> object:
        return vote([detect_frame(f, KEY) for f in sample_frames_from_start(p)])

    def new(p: Path) -> object:
        return detect_video(p, KEY)

    ways: dict[str, Callable[[Path], object]] = {"from_start": old, "seek": new}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.mp4"
        join(args.video, args.times, path)
        index = frame_index(path)
        cpu: dict[str, list[float]] = {k: [] for k in ways}
        wall: dict[str, list[float]] = {k: [] for k in ways}
        answers: dict[str, object] = {}
        load_before = os.getloadavg()
        for _ in range(args.rounds):
            for name, fn in ways.items():  # alternate, so load drifts hit both alike
                c0, t0 = _cpu(), time.perf_counter()
                answers[name] = fn(path)
                cpu[name].append(_cpu() - c0)
                wall[name].append(time.perf_counter() - t0)
        print(
            json.dumps(
                {
                    "video": args.video.name,
                    "times": args.times,
                    "frames": index.frames if index else None,
                    "key_frames": len(index.keys) if index else None,
                    "size_bytes": path.stat().st_size,
                    "rounds": args.rounds,
                    "cpu_s_median": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
                    "cpu_s": {k: [round(x, 3) for x in v] for k, v in cpu.items()},
                    "wall_s_median": {k: round(statistics.median(v), 3) for k, v in wall.items()},
                    "same_detection": answers["from_start"] == answers["seek"],
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                    "cpus": os.cpu_count(),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
