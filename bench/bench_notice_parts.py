"""The largest single queue task of a notice's media analysis (``notice.analyze``),
whole and split into parts (docs/queue.md, "Long media in parts"). Prints JSON.

Long video: the chair-19 corpus video (18.8 s, SD, sound) joined ``--joins`` times
(stream copy). Per round, old and new side by side in one process: **whole** is the
analysis as one task (``analyse_into``, what ``notice.analyze`` ran before it split);
**split** is the tasks the split job runs with the default part length: the job's own
task (probe, frame index, plan), each part (``read_part``), and the combine
(``seed_cache`` + ``analyse_into`` with the parts' readings). CPU is this process's user +
system time plus its waited-for children's (ffprobe, fpcalc), so the work of subprocesses
counts; analysis runs in-process (``analysis_processes=0``), as in a worker.

Long audio (``--audio-min``): sample1.wav looped to that many minutes, AAC in MP4; a
notice analysis and a verify, each one task (audio is never split).

    nice -n 5 .venv/bin/python bench/bench_notice_parts.py [--joins 32] [--rounds 3]
        [--part-s 120] [--audio-min 20,60]

Not asserted in tests: timings need a quiet machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.factories import notice_input  # noqa: E402

from mediaproof.cases.events import InMemoryEventSink  # noqa: E402
from mediaproof.config import ServiceSettings, Settings  # noqa: E402
from mediaproof.media.ingest import ingest_file  # noqa: E402
from mediaproof.services.cases import CaseService  # noqa: E402
from mediaproof.services.cases.intake_form import analyse_into  # noqa: E402
from mediaproof.services.instance import Instance  # noqa: E402
from mediaproof.services.job_parts import Span, plan_parts, read_part, seed_cache  # noqa: E402
from mediaproof.services.public_verify import verify_upload  # noqa: E402
from mediaproof.services.publishing import register_existing  # noqa: E402
from mediaproof.watermark import ensure_watermark_key  # noqa: E402

CORPORA = ROOT.parent / "shared/corpora"
VIDEOS = CORPORA / "vpdq-tmk-threatexchange/videos"
WAV = CORPORA / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU s, wall s, result)."""
    c0, w0 = cpu(), time.monotonic()
    out = fn()
    return round(cpu() - c0, 2), round(time.monotonic() - w0, 2), out


def joined_video(out: Path, joins: int) -> Path:
    listing = out.with_suffix(".txt")
    listing.write_text(f"file '{VIDEOS / 'chair-19-sd-bar.mp4'}'\n" * joins)
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0"),
            *("-i", str(listing), "-c", "copy", str(out)),
        ],
        check=True,
    )
    return out


def looped_audio(out: Path, minutes: float) -> Path:
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(WAV)),
            *("-t", str(minutes * 60), "-c:a", "aac", "-b:a", "128k", str(out)),
        ],
        check=True,
    )
    return out


def new_notice(inst: Instance, svc: CaseService, path: Path, mime: str) -> str:
    import datetime as dt

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    inp = notice_input(media_sha256=sha, mime=mime, fingerprints={})
    return str(svc.file_notice(inp, dt.datetime.now(dt.UTC)).notice_id)


def video_round(inst: Instance, svc: CaseService, path: Path, part_s: float) -> dict[str, Any]:
    # old: notice.analyze as one task
    whole_cpu, whole_wall, _ = timed(
        lambda: analyse_into(inst, svc, new_notice(inst, svc, path, "video/mp4"), path)
    )
    # new: the split job's tasks
    limits = inst.settings.limits
    plan_cpu, plan_wall, spans = timed(
        lambda: plan_parts(path, ingest_file(path, limits), part_s, limits)
    )
    assert spans is not None, "not split"
    parts = []
    reads = []
    for span in spans:

        def one(span: Span = span) -> dict[str, Any]:
            return read_part(path, Span.of(span.as_dict()), inst.settings)

        c, w, r = timed(one)
        assert "error" not in r["video"], r["video"]
        parts.append((c, w))
        reads.append(json.loads(json.dumps(r)))  # as the part's row holds it
    nid = new_notice(inst, svc, path, "video/mp4")
    comb_cpu, comb_wall, _ = timed(
        lambda: analyse_into(inst, svc, nid, path, seed_cache(path, reads, inst.settings))
    )
    split_max = max([plan_cpu, comb_cpu] + [c for c, _ in parts])
    return {
        "whole_cpu_s": whole_cpu,
        "whole_wall_s": whole_wall,
        "split_plan_cpu_s": plan_cpu,
        "split_parts_cpu_s": [c for c, _ in parts],
        "split_combine_cpu_s": comb_cpu,
        "split_largest_task_cpu_s": split_max,
        "split_total_cpu_s": round(plan_cpu + comb_cpu + sum(c for c, _ in parts), 2),
        "split_largest_task_wall_s": max([plan_wall, comb_wall] + [w for _, w in parts]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--joins", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--part-s", type=float, default=120.0)
    ap.add_argument("--audio-min", default="20,60")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-notice-parts-") as tmp:
        home = Path(tmp) / "home"
        ensure_watermark_key(home)
        inst = Instance(Settings(home=home, service=ServiceSettings(analysis_processes=0)))
        # a registered original of the same footage: the match analyzer has candidates
        register_existing(inst, VIDEOS / "chair-20-sd-bar.mp4", title="chair")
        svc = CaseService(inst.db, sink=InMemoryEventSink())
        # warm up (lazy model and library loads) before timing anything
        short = VIDEOS / "chair-19-sd-bar.mp4"
        analyse_into(inst, svc, new_notice(inst, svc, short, "video/mp4"), short)
        video = joined_video(Path(tmp) / "long.mp4", a.joins)
        duration = ingest_file(video, inst.settings.limits).duration_s
        rounds = [video_round(inst, svc, video, a.part_s) for _ in range(a.rounds)]

        def med(k: str) -> float | None:  # --rounds 0: audio only
            if not rounds:
                return None
            return round(float(statistics.median(r[k] for r in rounds)), 2)

        audio = []
        for minutes in [float(m) for m in a.audio_min.split(",") if m]:
            f = looped_audio(Path(tmp) / f"long-{minutes:g}.m4a", minutes)

            def notice(f: Path = f) -> dict[str, Any]:
                return analyse_into(inst, svc, new_notice(inst, svc, f, "audio/mp4"), f)

            def verify(f: Path = f) -> dict[str, Any]:
                return verify_upload(inst, f)

            nc, nw, _ = timed(notice)
            vc, vw, _ = timed(verify)
            audio.append(
                {
                    "minutes": minutes,
                    "notice_cpu_s": nc,
                    "notice_wall_s": nw,
                    "verify_cpu_s": vc,
                    "verify_wall_s": vw,
                }
            )
        inst.close()
    print(
        json.dumps(
            {
                "bench": "notice_parts",
                "video_s": duration,
                "joins": a.joins,
                "part_s": a.part_s,
                "parts": len(rounds[0]["split_parts_cpu_s"]) if rounds else None,
                "cpus": os.cpu_count(),
                "load_avg_1m_start": round(load0, 2),
                "load_avg_1m_end": round(os.getloadavg()[0], 2),
                "median": {
                    "whole_task_cpu_s": med("whole_cpu_s"),
                    "split_largest_task_cpu_s": med("split_largest_task_cpu_s"),
                    "split_combine_cpu_s": med("split_combine_cpu_s"),
                    "split_total_cpu_s": med("split_total_cpu_s"),
                    "ratio_largest_split_to_whole": round(
                        (med("split_largest_task_cpu_s") or 0) / (med("whole_cpu_s") or 1), 3
                    ),
                },
                "rounds": rounds,
                "audio_one_task": audio,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
