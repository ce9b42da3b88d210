"""Verify and sign + register of 12-megapixel JPEG and PNG photos: CPU and wall
milliseconds per analyzer, median of N runs. Prints JSON.

The photo is Meta's PDQ reference photo (``pdq-threatexchange/images/bridge-mods/
aaa-orig.jpg`` in ``../shared/corpora``; a generated photo-like picture when the corpus
is absent), cropped to 4:3, enlarged to 4000 x 3000 and given seeded sensor noise, so
its fine texture is a camera's rather than an enlargement's. It is written as a JPEG
(quality 92) and a PNG, both signed and registered (watermarked) on a fresh instance
with a watermark key. Verified, in-process (the watermark decode inline, as a worker
process runs it in the service):

* ``jpeg_signed`` / ``png_signed``: the signed files (credentials and mark);
* ``jpeg_stripped`` / ``png_stripped``: the same pixels with every byte of metadata
  gone (re-encoded at quality 85 / re-saved), found by PDQ and by the watermark.

Each analyzer (and ingest) is timed with the process's CPU clock (``process_time``: all
its threads, OpenCV's pool included; other work on a shared machine does not count) and
the wall clock. ``decisions`` lists what each verify concluded (assessment label,
provenance state, watermark claim and payload, matched assets), so two code versions
can be checked for identical answers.

``--baseline-src DIR`` times another checkout's ``src`` (e.g. ``git worktree add
/tmp/base main``, then ``--baseline-src /tmp/base/src``) in the same run: each version
prepares its own instance from the same seeded photo (an older checkout cannot open a
database migrated by newer code), and each round runs a worker process per version,
alternating, so both see the same machine load. The JSON then has both versions'
medians, the ratios (baseline / current) and whether every decision agrees (the
watermark payload's asset id is random per instance, so it is left out of that check).
``--sign-only`` times sign + register of the JPEG alone (no verify, no PNG): the issue-17
A/B of signing, e.g. ``--sign-only --runs 5 --rounds 4 --baseline-src /tmp/base/src``.
``--large-png`` also times PDQ of a 79 MP PNG (the photo at 10240 x 7680) once per
version, as a verify (plain hash) and as a registration (with the dihedral variants),
with the Hamming distance between the two versions' hashes.

    PYTHONPATH=src .venv/bin/python bench/bench_verify_12mp.py [--runs 5] [--rounds 2]
        [--baseline-src /tmp/base/src] [--home DIR] [--large-png] [--sign-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

W, H = 4000, 3000
PHOTO = Path("pdq-threatexchange/images/bridge-mods/aaa-orig.jpg")
FILES = ("jpeg_signed", "png_signed", "jpeg_stripped", "png_stripped")


def corpora_dir() -> Path | None:
    for cand in (
        os.environ.get("MEDIAPROOF_CORPORA"),
        Path(__file__).resolve().parents[1].parent / "shared" / "corpora",
    ):
        if cand and (Path(cand) / PHOTO).is_file():
            return Path(cand)
    return None


def make_photo(path_jpg: Path, path_png: Path) -> str:
    """The 12 MP test photo as JPEG and PNG; returns where its pixels came from."""
    root = corpora_dir()
    if root is not None:
        with Image.open(root / PHOTO) as im:
            src = im.convert("RGB")
        w, h = src.size
        cw = min(w, h * 4 // 3)
        ch = cw * 3 // 4
        left, top = (w - cw) // 2, (h - ch) // 2
        big = src.crop((left, top, left + cw, top + ch)).resize((W, H), Image.Resampling.LANCZOS)
        origin = f"corpora/{PHOTO} cropped to 4:3, Lanczos to {W}x{H}, noise sigma 3 (seed 17)"
    else:
        from mediaproof.media.samples import sample_photo

        tmp = path_jpg.with_suffix(".gen.jpg")
        sample_photo(tmp, W, H, seed=17)
        with Image.open(tmp) as im:
            big = im.convert("RGB")
        tmp.unlink()
        origin = "generated (media.samples.sample_photo, seed 17): corpora not found"
    rng = np.random.default_rng(17)
    a = np.asarray(big, dtype=np.float32) + rng.normal(0.0, 3.0, (H, W, 1)).astype(np.float32)
    px = Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))
    px.save(path_jpg, "JPEG", quality=92)
    px.save(path_png, "PNG", compress_level=6)
    return origin


def make_large_png(home: Path) -> Path:
    """A 79 MP PNG (10240 x 7680) of the same photo, for the PDQ timing (made once)."""
    path = home / "photo79mp.png"
    if not path.exists():
        with Image.open(home / "photo.png") as im:
            im.resize((10240, 7680), Image.Resampling.BILINEAR).save(path, compress_level=1)
    return path


def time_large_pdq(home: Path) -> dict[str, Any]:
    """PDQ of the 79 MP PNG: a verify's query (plain hash) and a registration's (with
    the 7 dihedral variants), CPU and wall seconds, once each."""
    from mediaproof.fingerprint.pdq import fingerprint_image

    path = make_large_png(home)
    out: dict[str, Any] = {}
    for label, dihedral in (("query", False), ("register", True)):
        c0, t0 = time.process_time(), time.perf_counter()
        fp = fingerprint_image(path, dihedral=dihedral)
        out[label] = {
            "cpu_s": round(time.process_time() - c0, 2),
            "wall_s": round(time.perf_counter() - t0, 2),
        }
    out["hash"] = fp.pdq.hex
    out["hashed_size"] = [fp.hashed_width, fp.hashed_height]
    return out


def prepare(home: Path) -> dict[str, Any]:
    """The instance, the sources and the files to verify under ``home`` (made once)."""
    made = home / "bench-12mp.json"
    if made.exists():
        info: dict[str, Any] = json.loads(made.read_text())
        return info
    from mediaproof.config import Settings
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.watermark import ensure_watermark_key

    home.mkdir(parents=True, exist_ok=True)
    src_jpg, src_png = home / "photo.jpg", home / "photo.png"
    origin = make_photo(src_jpg, src_png)
    inst = Instance(Settings(home=home / "instance"))
    init_keys(inst.keys_dir, "Bench Elections Office")
    ensure_watermark_key(inst.home)
    files: dict[str, str] = {}
    for ext, src in (("jpeg", src_jpg), ("png", src_png)):
        dest = home / f"signed.{src.suffix[1:]}"
        sign_and_register(inst, SignRequest(src=src, dest=dest, title=f"bench 12 MP {ext}"))
        files[f"{ext}_signed"] = str(dest)
        stripped = home / f"stripped.{src.suffix[1:]}"
        with Image.open(dest) as im:
            rgb = im.convert("RGB")
        if ext == "jpeg":
            rgb.save(stripped, "JPEG", quality=85)
        else:
            rgb.save(stripped, "PNG", compress_level=6)
        files[f"{ext}_stripped"] = str(stripped)
    inst.close()
    info = {
        "origin": origin,
        "sources": {"jpeg": str(src_jpg), "png": str(src_png)},
        "files": files,
        "bytes": {k: Path(v).stat().st_size for k, v in files.items()},
    }
    made.write_text(json.dumps(info))
    return info


class Timed:
    """An analyzer wrapper that records its process CPU and wall seconds."""

    def __init__(self, inner: Any, sink: dict[str, list[float]]) -> None:
        self.inner = inner
        self.name = inner.name
        self.sink = sink

    def analyze(self, ctx: Any) -> Any:
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            return self.inner.analyze(ctx)
        finally:
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            old = self.sink.get(self.name, [0.0, 0.0])
            self.sink[self.name] = [old[0] + cpu, old[1] + wall]


def _decisions(report: dict[str, Any]) -> dict[str, Any]:
    ev = report["evidence"]
    wm = ev.get("watermark", {}).get("data", {}).get("mediaproof") or {}
    match = ev.get("match", {}).get("data", {})
    return {
        "label": report["assessment"]["label"],
        "provenance": report["provenance"]["state"],
        "registry_asset": report["registry"].get("asset_id"),
        "watermark_status": ev.get("watermark", {}).get("status"),
        "watermark_claimed": wm.get("claimed"),
        "watermark_payload": wm.get("payload"),
        "watermark_mark": ev.get("watermark", {}).get("data", {}).get("mark"),
        "matched_assets": match.get("matched_assets"),
        "statuses": {k: v["status"] for k, v in sorted(ev.items())},
    }


def worker(
    home: Path, runs: int, large_png: bool = False, sign_only: bool = False
) -> dict[str, Any]:
    """Times sign + register and verify ``runs`` times each (after a warm-up) with the
    code on ``sys.path``; returns the raw samples. ``sign_only``: sign + register of the
    JPEG alone."""
    from mediaproof.config import Settings
    from mediaproof.media.ingest import ingest_file
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.watermark import ensure_watermark_key

    info = prepare(home)
    inst = Instance(Settings(home=home / "instance"))
    from mediaproof.analysis.pipeline import run_analyzers
    from mediaproof.services.verification import analyzers_for

    samples: dict[str, Any] = {"verify": {}, "sign_register": {}}
    decisions: dict[str, Any] = {}
    watermark_scores: dict[str, Any] = {}

    def verify(path: Path) -> tuple[dict[str, list[float]], dict[str, Any]]:
        sink: dict[str, list[float]] = {}
        c0, t0 = time.process_time(), time.perf_counter()
        media = ingest_file(path, inst.settings.limits)
        sink["ingest"] = [time.process_time() - c0, time.perf_counter() - t0]
        analyzers = [Timed(a, sink) for a in analyzers_for(inst, likeness=False)]
        report = run_analyzers(path, media, inst.settings, analyzers, services=inst)
        sink["total"] = [time.process_time() - c0, time.perf_counter() - t0]
        return sink, report.as_dict()

    for label in () if sign_only else FILES:
        path = Path(info["files"][label])
        verify(path)  # warm-up: imports, keys, lru caches, the index
        got: list[dict[str, list[float]]] = []
        for _ in range(runs):
            sink, report = verify(path)
            got.append(sink)
        samples["verify"][label] = got
        decisions[label] = _decisions(report)
        wm = report["evidence"].get("watermark", {}).get("data", {}).get("mediaproof") or {}
        watermark_scores[label] = {
            "sync_score": wm.get("sync_score"),
            "scale": (wm.get("details") or {}).get("scale"),
        }
    inst.close()
    # a scratch instance for the signing runs: registering more copies of the photo in
    # the verify instance would change what the stripped copies match
    with tempfile.TemporaryDirectory(dir=home) as d:
        inst = Instance(Settings(home=Path(d) / "instance"))
        init_keys(inst.keys_dir, "Bench Elections Office")
        ensure_watermark_key(inst.home)
        for ext, src in info["sources"].items():
            if sign_only and ext != "jpeg":
                continue
            got_s: list[list[float]] = []
            for i in range(runs + 1):
                dest = Path(d) / f"out{i}{Path(src).suffix}"
                c0, t0 = time.process_time(), time.perf_counter()
                sign_and_register(
                    inst, SignRequest(src=Path(src), dest=dest, title=f"run {i}", publisher=None)
                )
                if i:  # the first one warms up
                    got_s.append([time.process_time() - c0, time.perf_counter() - t0])
                dest.unlink()
            samples["sign_register"][ext] = got_s
        inst.close()
    result = {"samples": samples, "decisions": decisions, "watermark": watermark_scores}
    if large_png:
        result["pdq_79mp_png"] = time_large_pdq(home)
    return result


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    into.setdefault("verify", {})
    for label, runs in new["samples"]["verify"].items():
        into["verify"].setdefault(label, []).extend(runs)
    for ext, runs in new["samples"]["sign_register"].items():
        into.setdefault("sign_register", {}).setdefault(ext, []).extend(runs)
    into.setdefault("decisions", []).append(new["decisions"])
    into.setdefault("watermark", []).append(new["watermark"])
    if "pdq_79mp_png" in new:
        into["pdq_79mp_png"] = new["pdq_79mp_png"]


def _summary(acc: dict[str, Any]) -> dict[str, Any]:
    def med(xs: list[float]) -> float:
        return round(1000 * statistics.median(xs), 1)

    verify: dict[str, Any] = {}
    for label, runs in acc["verify"].items():
        names = list(runs[0])
        verify[label] = {
            "cpu_ms_median": {n: med([r[n][0] for r in runs if n in r]) for n in names},
            "wall_ms_median": {n: med([r[n][1] for r in runs if n in r]) for n in names},
            "n": len(runs),
        }
    sign = {
        ext: {
            "cpu_ms_median": med([r[0] for r in runs]),
            "wall_ms_median": med([r[1] for r in runs]),
            "cpu_ms_min": round(1000 * min(r[0] for r in runs), 1),
            "n": len(runs),
        }
        for ext, runs in acc["sign_register"].items()
    }
    first = acc["decisions"][0]
    return {
        "verify": verify,
        "sign_register": sign,
        "decisions": first,
        "decisions_stable": all(d == first for d in acc["decisions"]),
        "watermark": acc["watermark"][0],
        **({"pdq_79mp_png": acc["pdq_79mp_png"]} if "pdq_79mp_png" in acc else {}),
    }


def _comparable(decisions: dict[str, Any]) -> dict[str, Any]:
    """Decisions without the watermark payload's asset id (random per instance)."""
    out = json.loads(json.dumps(decisions))
    for d in out.values():
        if isinstance(d.get("watermark_payload"), dict):
            d["watermark_payload"].pop("asset_id", None)
    return out


def _run_worker(
    src: Path, home: Path, runs: int, mode: str = "--worker", extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [sys.executable, __file__, mode, "--home", str(home), "--runs", str(runs), *extra],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per round and version")
    ap.add_argument("--rounds", type=int, default=2, help="worker processes per version")
    ap.add_argument("--home", type=Path, help="make (or reuse) the instance and files here")
    ap.add_argument("--baseline-src", type=Path, help="another checkout's src to compare")
    ap.add_argument("--large-png", action="store_true", help="also time PDQ of a 79 MP PNG (once)")
    ap.add_argument(
        "--sign-only", action="store_true", help="time sign + register of the JPEG alone"
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.home)))
        return
    if args.worker:
        print(json.dumps(worker(args.home, args.runs, args.large_png, args.sign_only)))
        return
    current = Path(__file__).resolve().parents[1] / "src"
    load_start = list(os.getloadavg())
    with tempfile.TemporaryDirectory() as d:
        home = args.home or Path(d) / "home"
        info = _run_worker(current, home, 0, "--prepare")
        versions = {"current": current}
        homes = {"current": home}
        if args.baseline_src:
            versions = {"baseline": args.baseline_src.resolve(), "current": current}
            homes["baseline"] = home.with_name(home.name + "-baseline")
            _run_worker(versions["baseline"], homes["baseline"], 0, "--prepare")
        acc: dict[str, dict[str, Any]] = {v: {} for v in versions}
        for r in range(args.rounds):
            for name, src in versions.items():
                # the 79 MP PDQ timing once per version, in the last round
                extra = ("--large-png",) if args.large_png and r == args.rounds - 1 else ()
                if args.sign_only:
                    extra += ("--sign-only",)
                _merge(acc[name], _run_worker(src, homes[name], args.runs, extra=extra))
        results = {name: _summary(a) for name, a in acc.items()}
    out: dict[str, Any] = {
        "benchmark": f"in-process verify and sign + register of {W}x{H} photos, ms per "
        f"analyzer (process CPU and wall), median of {args.runs} x {args.rounds} rounds",
        "photo": info["origin"],
        "bytes": info["bytes"],
        "load_average": list(os.getloadavg()),
        "load_average_at_start": load_start,
        "results": results,
    }
    if "baseline" in results:
        base, cur = results["baseline"], results["current"]
        out["ratio_baseline_over_current"] = {
            "verify_total_cpu": {
                k: round(
                    base["verify"][k]["cpu_ms_median"]["total"]
                    / cur["verify"][k]["cpu_ms_median"]["total"],
                    2,
                )
                for k in cur["verify"]
            },
            "sign_register_cpu": {
                k: round(base["sign_register"][k]["cpu_ms_median"] / v["cpu_ms_median"], 2)
                for k, v in cur["sign_register"].items()
            },
        }
        out["same_decisions"] = _comparable(base["decisions"]) == _comparable(cur["decisions"])
        if "pdq_79mp_png" in cur and "pdq_79mp_png" in base:
            a, b = (int(r["pdq_79mp_png"]["hash"], 16) for r in (base, cur))
            out["pdq_79mp_png_hamming_baseline_current"] = (a ^ b).bit_count()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
