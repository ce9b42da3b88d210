"""Does reduced-size decoding change what the image watermark detector decides? Prints JSON.

Verify reads a file's luminance with ``watermark.mediaio.load_luma``, which decodes no
larger than the detector's working size (JPEG DCT scaling, then ``Image.reduce``). This
bench reads the same files three ways and runs the same detector on each:

* ``full``: a full-resolution decode (no draft, no reduction), the reference;
* ``previous``: the earlier ``load_luma`` (JPEG draft only when the long side could
  stay >= 2048 px, other formats at full resolution);
* ``current``: ``load_luma`` as it is now.

Marked files: photos (scikit-image and ``../shared/corpora``) enlarged to about 2, 5 and
12 MP, marked, then attacked as in ``bench_watermark.py`` (re-encoding, resizing,
brightness/contrast, noise, crops, small rotations), each written as a JPEG (quality 90)
and a PNG. For each path: correct reads per attack, wrong IDs, and how far the sync
z-score moves from the reference. Unmarked files: the same photos unmarked, each
decoded under ``--keys`` random keys per path: false claims, sync-gate passes and the
z-score quantiles.

    PYTHONPATH=src .venv/bin/python bench/bench_verify_decode.py [--quick] [--keys 20]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_watermark import ATTACKS, _corpus_photos, _resize, _skimage_photos
from mediaproof.watermark.image import SpreadSpectrumImageScheme
from mediaproof.watermark.mediaio import load_luma
from mediaproof.watermark.models import Payload

F32 = npt.NDArray[np.float32]
KEY = b"bench-verify-decode-key-01234567"


def load_full(path: Path) -> F32:
    """The reference: every pixel decoded, then luminance."""
    with Image.open(path) as raw:
        im = ImageOps.exif_transpose(raw)
        return np.asarray(im.convert("L"), dtype=np.float32)


def load_previous(path: Path) -> F32:
    """``load_luma`` before reduced decoding (commit 664f354)."""
    with Image.open(path) as raw:
        if raw.format == "JPEG":
            w, h = raw.size
            scale = max(w, h) / 2048
            if scale >= 2:
                raw.draft("L", (int(w / scale) + 1, int(h / scale) + 1))
        im = ImageOps.exif_transpose(raw)
        return np.asarray(im.convert("L"), dtype=np.float32)


PATHS: dict[str, Callable[[Path], F32]] = {
    "full": load_full,
    "previous": load_previous,
    "current": load_luma,
}
# attacks that leave a file large enough for a reduced decode to differ, plus the usual
# re-posts (their files are smaller: they check that nothing else changed)
USED = (
    "none",
    "jpeg75",
    "jpeg50",
    "resize50",
    "social_1080_jpeg75",
    "screenshot_75pct_jpeg80",
    "brightness+20",
    "contrast-20",
    "noise_sigma5",
    "crop64",
    "crop36",
    "rotate2",
    "rotate5",
)


def photos(quick: bool) -> dict[str, npt.NDArray[np.uint8]]:
    base = {**_skimage_photos(), **_corpus_photos()}
    keep = ("skimage:astronaut", "skimage:coffee", "corpus:aaa-orig.jpg", "skimage:rocket")
    if quick:
        base = {k: v for k, v in base.items() if k in keep}
    out: dict[str, npt.NDArray[np.uint8]] = {}
    sizes = (2e6, 12e6) if quick else (2e6, 5e6, 12e6)
    for name, a in base.items():
        h, w = a.shape[:2]
        for mp in sizes:
            out[f"{name}@{mp / 1e6:.0f}MP"] = _resize(a, math.sqrt(mp / (h * w)))
    return out


def write(a: npt.NDArray[np.uint8], path: Path) -> Path:
    im = Image.fromarray(a)
    if path.suffix == ".jpg":
        im.save(path, "JPEG", quality=90)
    else:
        im.save(path, "PNG", compress_level=1)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="4 photos at 2 and 12 MP")
    ap.add_argument("--keys", type=int, default=20, help="random keys per unmarked file")
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    scheme = SpreadSpectrumImageScheme()
    rng = np.random.default_rng(args.seed)
    imgs = photos(args.quick)
    t0 = time.time()
    per_attack: dict[str, dict[str, list[int]]] = {p: {} for p in PATHS}
    wrong = dict.fromkeys(PATHS, 0)
    dz: dict[str, list[float]] = {"previous": [], "current": []}
    disagreements: list[dict[str, Any]] = []
    shapes: dict[str, list[int]] = {}
    unmarked: dict[str, dict[str, Any]] = {p: {"claims": 0, "gate": 0, "z": []} for p in PATHS}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, img in imgs.items():
            asset = int(rng.integers(0, 1 << 40))
            marked = np.asarray(scheme.embed(img, Payload(asset, 1), KEY), dtype=np.uint8)
            for att in USED:
                attacked = ATTACKS[att][1](
                    marked, np.random.default_rng(int(rng.integers(1 << 31)))
                )
                if min(attacked.shape[:2]) < 64:
                    continue
                for ext in ("jpg", "png"):
                    f = write(attacked, tmp / f"a.{ext}")
                    res: dict[str, tuple[bool, float]] = {}
                    for pname, load in PATHS.items():
                        y = load(f)
                        if pname == "current":
                            shapes[f"{name}/{att}.{ext}"] = [int(y.shape[1]), int(y.shape[0])]
                        det = scheme.detect_luma(y, KEY)
                        ok = det.claimed and det.payload == Payload(asset, 1)
                        wrong[pname] += int(det.claimed and not ok)
                        cell = per_attack[pname].setdefault(f"{att}.{ext}", [0, 0])
                        cell[0] += int(ok)
                        cell[1] += 1
                        res[pname] = (ok, det.sync_score)
                    for pname in ("previous", "current"):
                        dz[pname].append(res[pname][1] - res["full"][1])
                        if res[pname][0] != res["full"][0]:
                            disagreements.append(
                                {
                                    "file": f"{name}/{att}.{ext}",
                                    "path": pname,
                                    "read": res[pname][0],
                                    "full_read": res["full"][0],
                                    "z": round(res[pname][1], 2),
                                    "full_z": round(res["full"][1], 2),
                                }
                            )
            for ext in ("jpg", "png"):
                f = write(img, tmp / f"u.{ext}")
                ys = {p: load(f) for p, load in PATHS.items()}
                for _ in range(args.keys):
                    key = rng.bytes(32)
                    for pname, y in ys.items():
                        det = scheme.detect_luma(y, key)
                        unmarked[pname]["claims"] += int(det.claimed)
                        unmarked[pname]["gate"] += int(det.sync_score >= det.sync_threshold)
                        unmarked[pname]["z"].append(det.sync_score)
            print(f"[decode] {name} done, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)

    def quant(xs: list[float]) -> dict[str, float]:
        a = np.asarray(xs)
        return {q: round(float(np.quantile(a, float(q))), 3) for q in ("0.5", "0.99")} | {
            "max": round(float(a.max()), 3)
        }

    out = {
        "benchmark": "watermark detection on files: full-resolution decode vs reduced decode",
        "images": len(imgs),
        "seconds": round(time.time() - t0, 1),
        "reads": {
            p: {
                "ok": sum(v[0] for v in per_attack[p].values()),
                "n": sum(v[1] for v in per_attack[p].values()),
                "wrong_ids": wrong[p],
            }
            for p in PATHS
        },
        "per_attack_ok": {
            k: {p: per_attack[p][k][0] for p in PATHS} | {"n": per_attack["full"][k][1]}
            for k in per_attack["full"]
        },
        "decisions_differing_from_full": disagreements,
        "sync_z_minus_full": {
            p: {
                "median": round(statistics.median(v), 4),
                "median_abs": round(statistics.median(abs(x) for x in v), 4),
                "max_abs": round(max(abs(x) for x in v), 4),
            }
            for p, v in dz.items()
        },
        "unmarked": {
            p: {
                "decodes": len(v["z"]),
                "false_claims": v["claims"],
                "sync_gate_passed": v["gate"],
                "sync_z": quant(v["z"]),
            }
            for p, v in unmarked.items()
        },
        "current_decode_sizes_12MP_none": {k: v for k, v in shapes.items() if "12MP/none" in k},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
