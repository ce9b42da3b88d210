"""Image watermark detector speed: CPU ms of ``detect_luma`` per file, median of N.

JPEGs at 640x427, 1280x853 and 12 MP (4000x3000), each unmarked, marked (quality 92)
and re-posted (the marked file decoded and re-encoded at quality 80), made from
scikit-image photographs. Each detection is timed with the process's CPU clock
(``time.process_time``: all its threads, OpenCV's pool included), so other work on a
shared machine does not count; the JPEG decode (``load_luma``) is timed apart.
``--baseline FILE`` loads another copy of ``mediaproof/watermark/image.py`` (e.g.
``git show 3605147:src/mediaproof/watermark/image.py > /tmp/image_old.py``) and times
it on the same files, alternating, so both versions see the same machine load; the
JSON says whether their detections agree.

    PYTHONPATH=src .venv/bin/python bench/bench_detector.py [--runs 7]
        [--baseline /tmp/image_old.py] [--profile 640x427/unmarked]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

from mediaproof.watermark import image as current
from mediaproof.watermark.mediaio import load_luma
from mediaproof.watermark.models import Detection, Payload

KEY = b"bench-detector-key-0123456789abc"
SIZES = {"640x427": (640, 427), "1280x853": (1280, 853), "12MP": (4000, 3000)}


def _photo(w: int, h: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    from skimage import data

    a = np.asarray(data.coffee(), dtype=np.uint8)  # 400x600, a real photograph
    return np.asarray(Image.fromarray(a).resize((w, h), Image.LANCZOS), dtype=np.uint8)


def make_files(d: Path) -> dict[str, Path]:
    scheme = current.SpreadSpectrumImageScheme()
    files: dict[str, Path] = {}
    for label, (w, h) in SIZES.items():
        img = _photo(w, h)
        marked = scheme.embed(img, Payload(123456789, 3), KEY)
        for kind, arr, q in (("unmarked", img, 92), ("marked", marked, 92)):
            p = d / f"{label}-{kind}.jpg"
            Image.fromarray(arr).save(p, "JPEG", quality=q)
            files[f"{label}/{kind}"] = p
        buf = io.BytesIO()
        Image.open(files[f"{label}/marked"]).convert("RGB").save(buf, "JPEG", quality=80)
        p = d / f"{label}-repost.jpg"
        p.write_bytes(buf.getvalue())
        files[f"{label}/repost"] = p
    return files


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("image_baseline", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["image_baseline"] = mod
    spec.loader.exec_module(mod)
    return mod


def _summary(det: Detection) -> dict[str, Any]:
    return {
        "claimed": det.claimed,
        "payload": None if det.payload is None else [det.payload.asset_id, det.payload.version],
        "sync_z": round(det.sync_score, 6),
        "decodes": det.details.get("decodes"),
    }


def _time(mod: ModuleType, y: np.ndarray[Any, Any]) -> tuple[float, Detection]:
    scheme = mod.SpreadSpectrumImageScheme()
    t0 = time.process_time()
    det = scheme.detect_luma(y, KEY)
    return 1000 * (time.process_time() - t0), det


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--baseline", type=Path, help="another image.py to time side by side")
    ap.add_argument("--only", help="comma-separated labels, e.g. 640x427/unmarked")
    ap.add_argument("--profile", help="cProfile one label (current code) and print the top")
    args = ap.parse_args()
    versions: dict[str, ModuleType] = {"current": current}
    if args.baseline:
        versions = {"baseline": _load(args.baseline), "current": current}
    with tempfile.TemporaryDirectory() as d:
        files = make_files(Path(d))
        if args.profile:
            y = load_luma(files[args.profile])
            scheme = current.SpreadSpectrumImageScheme()
            scheme.detect_luma(y, KEY)
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.runs):
                scheme.detect_luma(y, KEY)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            return
        only = set(args.only.split(",")) if args.only else None
        out: dict[str, Any] = {}
        for label, path in files.items():
            if only and label not in only:
                continue
            t0 = time.process_time()
            y = load_luma(path)
            load_ms = 1000 * (time.process_time() - t0)
            for mod in versions.values():
                _time(mod, y)  # warm caches (lru caches, FFT plans)
            times: dict[str, list[float]] = {v: [] for v in versions}
            dets: dict[str, Detection] = {}
            for _ in range(args.runs):
                for name, mod in versions.items():  # alternate: both see the same load
                    ms, dets[name] = _time(mod, y)
                    times[name].append(ms)
            row: dict[str, Any] = {
                "luma_shape": list(y.shape),
                "load_luma_cpu_ms": round(load_ms, 1),
            }
            for name in versions:
                row[f"{name}_cpu_ms_median"] = round(statistics.median(times[name]), 1)
                row[name] = _summary(dets[name])
            if args.baseline:
                row["agree"] = row["baseline"] == row["current"]
            out[label] = row
    print(
        json.dumps(
            {
                "benchmark": "image watermark detect_luma, CPU ms (process_time), "
                f"median of {args.runs}",
                "results": out,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
