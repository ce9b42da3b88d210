"""Benchmark PDQ hashing throughput: our pipeline vs python-threatexchange's PdqSignal.

Test JPEGs (1 MP and 12 MP, quality 90) are generated at run time by upscaling corpus
photos, so no large files are committed. One thread; images/s per core.

    PYTHONPATH=src python bench/bench_pdq.py --repeat 10

Paths measured, per size:
  * ours_query:      fingerprint_image(path, dihedral=False)  (what a lookup computes)
  * ours_reference:  fingerprint_image(path)                  (+ 7 dihedral variants, registration)
  * threatexchange:  PdqSignal.hash_from_bytes(file bytes)    (full-resolution decode)
The distance between our hash and threatexchange's is reported too (the two decode
pipelines differ by a few bits; stored and queried images both use ours).
threatexchange is optional (the ``bench`` extra); without it that path is skipped.

``--compare-before`` also times, interleaved file by file in the same run, the query
path as it was before the decode clean-up (a frozen copy below: environment limits
read on every call, EXIF orientation applied on a copy) and checks both paths give the
same hashes and sizes:

    PYTHONPATH=src python bench/bench_pdq.py --repeat 10 --compare-before
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from mediaproof.config import Limits
from mediaproof.fingerprint.pdq import (
    PdqHash,
    _draft_scale,
    _to_rgb_array,
    fingerprint_image,
    pdq_hash_rgb,
    unletterbox,
)

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("MEDIAPROOF_CORPORA", REPO.parent / "shared" / "corpora"))
SOURCES = [
    "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg",
    "pdq-threatexchange/images/misc-images/c.png",
    "pdq-threatexchange/images/python-threatexchange-resources/sample-b.jpg",
]
SIZES = {"1MP": (1155, 866), "12MP": (4000, 3000)}


def make_images(folder: Path, wanted: set[str] | None = None) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for label, size in SIZES.items():
        if wanted is not None and label not in wanted:
            continue
        out[label] = []
        for i, rel in enumerate(SOURCES):
            src = CORPORA / rel
            if not src.is_file():
                continue
            im = Image.open(src).convert("RGB").resize(size, Image.Resampling.BICUBIC)
            p = folder / f"{label}-{i}.jpg"
            im.save(p, quality=90)
            out[label].append(p)
    return out


def rate(fn: Callable[[Path], Any], files: list[Path], repeat: int) -> dict[str, float]:
    """Wall time and thread CPU time per image (the machine may be shared: the CPU
    time is what one core needs; the wall time includes waiting for a core)."""
    fn(files[0])  # warm up
    times, cpu = [], []
    for _ in range(repeat):
        for f in files:
            t, c = time.perf_counter(), time.thread_time()
            fn(f)
            cpu.append(time.thread_time() - c)
            times.append(time.perf_counter() - t)
    mean = sum(times) / len(times)
    cmean = sum(cpu) / len(cpu)
    times.sort()
    return {
        "images_per_s_one_core": round(1 / cmean, 1),
        "images_per_s_wall": round(1 / mean, 1),
        "cpu_mean_ms": round(cmean * 1000, 2),
        "mean_ms": round(mean * 1000, 2),
        "p50_ms": round(times[len(times) // 2] * 1000, 2),
        "n": len(times),
    }


def before_query(path: Path) -> tuple[PdqHash, PdqHash | None, tuple[int, int]]:
    """The query path before the clean-up (frozen copy of decode_for_pdq at 367b469)."""
    limits = Limits()  # read from the environment on every call
    with Image.open(path) as im:
        w, h = im.size
        if w * h > limits.max_pixels:
            raise ValueError("too many pixels")
        if im.format == "JPEG":
            scale = _draft_scale(w, h)
            if scale > 1:
                im.draft("RGB", (-(-w // scale), -(-h // scale)))
        im.load()
        oriented = ImageOps.exif_transpose(im)  # a copy, even when nothing rotates
        if oriented.size != im.size and oriented.size == (im.size[1], im.size[0]):
            w, h = h, w
        rgb = _to_rgb_array(oriented)
    inner = unletterbox(rgb)
    return pdq_hash_rgb(rgb), (pdq_hash_rgb(inner) if inner is not None else None), (w, h)


def after_query(path: Path) -> tuple[PdqHash, PdqHash | None, tuple[int, int]]:
    fp = fingerprint_image(path, dihedral=False)
    return fp.pdq, fp.unletterboxed, (fp.width, fp.height)


def side_by_side(files: list[Path], repeat: int) -> dict[str, Any]:
    """Before and after, alternating per image so both see the same machine load."""
    paths = {"before": before_query, "after": after_query}
    cpu: dict[str, list[float]] = {k: [] for k in paths}
    for f in files:
        assert before_query(f) == after_query(f), f"hashes differ on {f.name}"
    for _ in range(repeat):
        for f in files:
            for name, fn in paths.items():
                c = time.thread_time()
                fn(f)
                cpu[name].append(time.thread_time() - c)
    out: dict[str, Any] = {"identical_hashes": True, "n": len(cpu["after"])}
    for name, xs in cpu.items():
        med = float(np.median(xs))
        out[name] = {
            "cpu_median_ms": round(med * 1000, 2),
            "images_per_s_one_core": round(1 / med, 1),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--compare-before", action="store_true")
    ap.add_argument("--sizes", default=",".join(SIZES), help="e.g. 12MP")
    args = ap.parse_args()
    try:
        from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes
    except ImportError:
        pdq_from_bytes = None

    report: dict[str, Any] = {"threads": 1, "load_average_at_start": os.getloadavg()[0]}
    wanted = set(args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        images = make_images(Path(tmp), wanted)
        for label, files in images.items():
            if not files:
                continue
            res: dict[str, Any] = {"files": len(files), "size": SIZES[label]}
            if args.compare_before:
                res["before_vs_after_query"] = side_by_side(files, args.repeat)
            res["ours_query"] = rate(
                lambda p: fingerprint_image(p, dihedral=False), files, args.repeat
            )
            res["ours_reference"] = rate(fingerprint_image, files, max(1, args.repeat // 2))
            if pdq_from_bytes is None:
                res["threatexchange"] = "not installed (pip install -e '.[bench]')"
                report[label] = res
                continue
            tx = pdq_from_bytes
            res["threatexchange"] = rate(lambda p: tx(p.read_bytes()), files, args.repeat)  # noqa: B023
            res["speedup_query_vs_threatexchange"] = round(
                res["ours_query"]["images_per_s_one_core"]
                / res["threatexchange"]["images_per_s_one_core"],
                1,
            )
            res["bits_from_threatexchange"] = [
                fingerprint_image(p, dihedral=False).pdq.distance(
                    PdqHash.from_hex(tx(p.read_bytes())[0])
                )
                for p in files
            ]
            report[label] = res
        report["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
