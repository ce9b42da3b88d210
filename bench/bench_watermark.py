"""Watermark benchmark: quality, robustness per attack, false claims, speed. Prints JSON.

    PYTHONPATH=src python bench/bench_watermark.py --quick            # minutes
    PYTHONPATH=src python bench/bench_watermark.py --unmarked 10000   # the full run

Images: scikit-image's photographs plus corpus photos (../shared/corpora), native and
upscaled (one to 12 MP). Comparators (invisible-watermark dwtDctSvd / rivaGan and
blind-watermark) run on the same images and attacks when installed (extra ``bench``).
Audio: LibriSpeech clips from the likeness corpus and synthetic music-like signals,
3 s excerpts at random offsets, re-encoded through ffmpeg.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from mediaproof.watermark.audio import SpreadSpectrumAudioScheme
from mediaproof.watermark.image import MAX_DECODES, SpreadSpectrumImageScheme, luminance
from mediaproof.watermark.models import Payload

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("MEDIAPROOF_CORPORA", REPO.parent / "shared" / "corpora"))
Img = np.ndarray[Any, np.dtype[np.uint8]]

# --- images -------------------------------------------------------------------------


def _skimage_photos() -> dict[str, Img]:
    from skimage import data

    out: dict[str, Img] = {}
    for name in ("astronaut", "coffee", "chelsea", "rocket", "camera", "motorcycle"):
        try:
            a = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
        except Exception:  # a photo that would need a download: skip, offline
            continue
        a = np.asarray(a)
        if a.ndim == 2:
            a = np.stack([a] * 3, axis=-1)
        out[f"skimage:{name}"] = np.ascontiguousarray(a[:, :, :3]).astype(np.uint8)
    return out


def _corpus_photos() -> dict[str, Img]:
    base = CORPORA / "pdq-threatexchange/images"
    out: dict[str, Img] = {}
    for rel in (
        "bridge-mods/aaa-orig.jpg",
        "python-threatexchange-resources/sample-b.jpg",
        "misc-images/c.png",
    ):
        p = base / rel
        if p.exists():
            out[f"corpus:{Path(rel).name}"] = np.asarray(Image.open(p).convert("RGB"))
    return out


def _resize(a: Img, f: float) -> Img:
    h, w = a.shape[:2]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(Image.fromarray(a).resize(size, Image.LANCZOS))


def image_set(quick: bool) -> dict[str, Img]:
    imgs = {**_skimage_photos(), **_corpus_photos()}
    if quick:
        keep = ("skimage:astronaut", "skimage:coffee", "skimage:rocket", "corpus:aaa-orig.jpg")
        imgs = {k: v for k, v in imgs.items() if k in keep}
    imgs["up2x:astronaut"] = _resize(imgs["skimage:astronaut"], 2.0)
    if not quick:
        imgs["up2x:rocket"] = _resize(imgs["skimage:rocket"], 2.0)
    bridge = imgs.get("corpus:aaa-orig.jpg", imgs["skimage:coffee"])
    h, w = bridge.shape[:2]
    f = math.sqrt(12e6 / (h * w))
    imgs["12MP:" + ("aaa-orig" if "corpus:aaa-orig.jpg" in imgs else "coffee")] = _resize(bridge, f)
    return imgs


def jpeg(a: Img, q: int) -> Img:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=q)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def rotate(a: Img, deg: float) -> Img:
    """Rotate about the centre and crop to the largest axis-aligned inner rectangle,
    as photo editors and platforms do (no black corners)."""
    h, w = a.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    r = cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    t = math.radians(abs(deg))
    cw = int((w * math.cos(t) - h * math.sin(t)) / (math.cos(2 * t) or 1e-9))
    ch = int((h * math.cos(t) - w * math.sin(t)) / (math.cos(2 * t) or 1e-9))
    cw, ch = max(16, min(w, cw)), max(16, min(h, ch))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(r[y0 : y0 + ch, x0 : x0 + cw])


def crop(a: Img, area: float, rng: np.random.Generator) -> Img:
    h, w = a.shape[:2]
    s = math.sqrt(area)
    ch, cw = int(h * s), int(w * s)
    y0 = int(rng.integers(0, h - ch + 1))
    x0 = int(rng.integers(0, w - cw + 1))
    return np.ascontiguousarray(a[y0 : y0 + ch, x0 : x0 + cw])


def long_side(a: Img, n: int) -> Img:
    return _resize(a, min(1.0, n / max(a.shape[:2])))


def bc(a: Img, brightness: float, contrast: float) -> Img:
    x = (a.astype(np.float32) - 128.0) * contrast + 128.0 + 255.0 * brightness
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def noise(a: Img, sigma: float, rng: np.random.Generator) -> Img:
    return np.clip(np.rint(a + rng.normal(0, sigma, a.shape)), 0, 255).astype(np.uint8)


Attack = Callable[[Img, np.random.Generator], Img]

ATTACKS: dict[str, tuple[float, Attack]] = {
    # name: (aim, attack)
    "none": (0.99, lambda a, r: a),
    "jpeg75": (0.99, lambda a, r: jpeg(a, 75)),
    "resize50": (0.99, lambda a, r: _resize(a, 0.5)),
    "social_1080_jpeg75": (0.99, lambda a, r: jpeg(long_side(a, 1080), 75)),
    "screenshot_75pct_jpeg80": (0.99, lambda a, r: jpeg(_resize(a, 0.75), 80)),
    "brightness+20": (0.99, lambda a, r: bc(a, 0.2, 1.0)),
    "brightness-20": (0.99, lambda a, r: bc(a, -0.2, 1.0)),
    "contrast+20": (0.99, lambda a, r: bc(a, 0.0, 1.2)),
    "contrast-20": (0.99, lambda a, r: bc(a, 0.0, 0.8)),
    "noise_sigma5": (0.99, lambda a, r: noise(a, 5.0, r)),
    "jpeg50": (0.95, lambda a, r: jpeg(a, 50)),
    "crop64": (0.95, lambda a, r: jpeg(crop(a, 0.64, r), 90)),
    "rotate2": (0.95, lambda a, r: jpeg(rotate(a, float(r.uniform(-2, 2))), 90)),
    "crop36": (0.80, lambda a, r: jpeg(crop(a, 0.36, r), 90)),
    "rotate5": (0.80, lambda a, r: jpeg(rotate(a, float(r.choice([-1, 1]) * r.uniform(3, 5))), 90)),
    "resize25": (0.80, lambda a, r: _resize(a, 0.25)),
    "repost_crop_rot1_0.6_jpeg70": (
        0.80,
        lambda a, r: jpeg(_resize(rotate(crop(a, 0.8, r), 1.0), 0.6), 70),
    ),
}


def psnr(a: Img, b: Img) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0**2 / mse)


def ssim(a: Img, b: Img) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(luminance(a), luminance(b), data_range=255.0))


# --- comparators ----------------------------------------------------------------------


class Comparator:
    name: str
    bits: int

    def embed(self, rgb: Img, bits: np.ndarray[Any, Any]) -> Img:
        raise NotImplementedError

    def decode(self, rgb: Img) -> np.ndarray[Any, Any] | None:
        raise NotImplementedError


class ImwatermarkComparator(Comparator):
    def __init__(self, method: str, bits: int) -> None:
        self.method, self.bits, self.name = method, bits, f"invisible-watermark:{method}"
        if method == "rivaGan":
            from imwatermark import WatermarkEncoder

            WatermarkEncoder.loadModel()

    def embed(self, rgb: Img, bits: np.ndarray[Any, Any]) -> Img:
        from imwatermark import WatermarkEncoder

        enc = WatermarkEncoder()
        enc.set_watermark("bits", [int(b) for b in bits])
        bgr = enc.encode(np.ascontiguousarray(rgb[:, :, ::-1]), self.method)
        return np.ascontiguousarray(np.asarray(bgr, dtype=np.uint8)[:, :, ::-1])

    def decode(self, rgb: Img) -> np.ndarray[Any, Any] | None:
        from imwatermark import WatermarkDecoder

        if rgb.shape[0] * rgb.shape[1] < 256 * 256:
            return None
        dec = WatermarkDecoder("bits", self.bits)
        return np.asarray(dec.decode(np.ascontiguousarray(rgb[:, :, ::-1]), self.method))


class BlindWatermarkComparator(Comparator):
    name = "blind-watermark"
    bits = 48

    def __init__(self) -> None:
        import contextlib

        # it prints a banner to stdout on first use, which would corrupt the JSON
        with contextlib.redirect_stdout(sys.stderr):
            import blind_watermark

            blind_watermark.bw_notes.close()

    def embed(self, rgb: Img, bits: np.ndarray[Any, Any]) -> Img:
        from blind_watermark import WaterMark

        bwm = WaterMark(password_img=1, password_wm=1)
        bwm.read_img(img=np.ascontiguousarray(rgb[:, :, ::-1]).astype(np.float32))
        bwm.read_wm([bool(b) for b in bits], mode="bit")
        out = bwm.embed()
        return np.clip(np.rint(out[:, :, ::-1]), 0, 255).astype(np.uint8)

    def decode(self, rgb: Img) -> np.ndarray[Any, Any] | None:
        from blind_watermark import WaterMark

        bwm = WaterMark(password_img=1, password_wm=1)
        wm = bwm.extract(
            embed_img=np.ascontiguousarray(rgb[:, :, ::-1]).astype(np.float32),
            wm_shape=self.bits,
            mode="bit",
        )
        return (np.asarray(wm) > 0.5).astype(np.uint8)


def comparators() -> tuple[list[Comparator], dict[str, str]]:
    out: list[Comparator] = []
    notes: dict[str, str] = {}
    for make in (
        lambda: ImwatermarkComparator("dwtDctSvd", 48),
        lambda: ImwatermarkComparator("rivaGan", 32),
        BlindWatermarkComparator,
    ):
        try:
            c = make()
            out.append(c)
        except Exception as e:  # not installed, or its model cannot load offline
            notes[getattr(make, "__name__", "comparator")] = f"unavailable: {e}"
    return out, notes


# --- image benchmark ------------------------------------------------------------------


def embed_via(
    scheme: SpreadSpectrumImageScheme, img: Img, payload: Payload, key: bytes, plane: str
) -> Img:
    """The marked pixels: ``rgb`` marks R, G and B (``scheme.embed``); ``ycbcr`` marks
    the Y plane of the image's YCbCr form and converts back to RGB, as signing marks a
    colour JPEG (decoded to its planes, written back as YCbCr). (With ``ycbcr`` the
    bench's originals are those planes shown as RGB without a mark: converting that RGB
    to YCbCr again would round the planes once more, which a JPEG's decode does not.)"""
    if plane == "rgb":
        return np.asarray(scheme.embed(img, payload, key), dtype=np.uint8)
    if plane == "signed-jpeg":
        return _marked_jpeg_file(scheme, img, payload, key)
    from mediaproof.watermark.mediaio import luma_plane, with_luma

    im = Image.fromarray(img).convert("YCbCr")
    with_luma(im, scheme.embed_luma(luma_plane(im), payload, key))
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


SOURCE_JPEG = {"quality": 92, "subsampling": "4:2:0"}  # what a camera or phone writes


def _source_jpeg(img: Img) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", **SOURCE_JPEG)
    return buf.getvalue()


def _decoded(data: bytes) -> Img:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _marked_jpeg_file(
    scheme: SpreadSpectrumImageScheme, img: Img, payload: Payload, key: bytes
) -> Img:
    """``signed-jpeg``: the image as a camera's JPEG (``SOURCE_JPEG``) marked the way
    signing marks it, through the code on ``sys.path`` (decoded to its planes, the mark
    on Y, written back by ``save_marked_ycbcr``: at 4:4:4 before issue 17's fifth round,
    at the source's 4:2:0 since), and the written file decoded to RGB. The original every
    figure compares with is the source file's decode."""
    from mediaproof.watermark.mediaio import (
        load_jpeg_ycbcr,
        luma_plane,
        save_marked_ycbcr,
        with_luma,
    )

    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "src.jpg", Path(d) / "marked.jpg"
        src.write_bytes(_source_jpeg(img))
        got = load_jpeg_ycbcr(src)
        assert got is not None
        im, meta = got
        with_luma(im, scheme.embed_luma(luma_plane(im), payload, key))
        save_marked_ycbcr(im, meta, out)
        return _decoded(out.read_bytes())


def _mask_arg(text: str | None) -> tuple[float, float, float] | None:
    if not text:
        return None
    a, k, m = (float(x) for x in text.split(","))
    return (a, k, m)


def bench_images(args: argparse.Namespace) -> dict[str, Any]:
    scheme = SpreadSpectrumImageScheme()
    # --baseline-mask: the same images and attacks through an earlier mask, side by side
    base_mask = _mask_arg(args.baseline_mask)
    baseline = SpreadSpectrumImageScheme(mask=base_mask) if base_mask else None
    base_attack: dict[str, list[int]] = {a: [0, 0] for a in ATTACKS}
    base_quality: list[float] = []
    key = b"bench-key-" + bytes(range(22))
    imgs = image_set(args.quick)
    rng = np.random.default_rng(1234)
    per_attack: dict[str, list[int]] = {a: [0, 0] for a in ATTACKS}
    per_image: dict[str, dict[str, Any]] = {}
    quality: list[tuple[float, float]] = []
    timings: dict[str, float] = {}
    comps, notes = comparators() if not args.no_comparators else ([], {"all": "skipped"})
    comp_stats: dict[str, dict[str, list[int]]] = {c.name: {} for c in comps}
    trials = 1 if args.quick else args.trials
    for name, source in imgs.items():
        img = source
        if args.embed_plane == "ycbcr":
            # the picture a JPEG of these pixels holds (their YCbCr planes, shown as
            # RGB): the original every figure compares with; the mark goes on its Y
            img = np.asarray(Image.fromarray(source).convert("YCbCr").convert("RGB"), np.uint8)
        elif args.embed_plane == "signed-jpeg":
            img = _decoded(_source_jpeg(source))  # the source file's picture
        asset = int(rng.integers(0, 1 << 40))
        t0 = time.process_time()
        marked = embed_via(scheme, source, Payload(asset, 1), key, args.embed_plane)
        t_embed = time.process_time() - t0
        base_marked = baseline.embed(img, Payload(asset, 1), key) if baseline else None
        if base_marked is not None:
            base_quality.append(psnr(img, base_marked))
        q = (psnr(img, marked), ssim(img, marked))
        quality.append(q)
        row: dict[str, Any] = {"shape": list(img.shape[:2]), "psnr": q[0], "ssim": q[1]}
        if name.startswith("12MP"):
            timings["embed_12mp_cpu_s"] = t_embed
            timings.update(detect_timings(scheme, marked, key))
        hits: dict[str, str] = {}
        for att, (_aim, fn) in ATTACKS.items():
            for _ in range(trials):
                # one seed per trial, so the baseline sees the same crop/angle/noise
                trial_seed = int(rng.integers(1 << 31))
                attacked = fn(marked, np.random.default_rng(trial_seed))
                too_small = att == "resize25" and max(attacked.shape[:2]) < 256
                if min(attacked.shape[:2]) < 64 or too_small:
                    continue
                det = scheme.detect(attacked, key)
                ok = det.claimed and det.payload == Payload(asset, 1)
                if det.claimed and not ok:
                    per_attack.setdefault("WRONG_ID", [0, 0])[0] += 1
                per_attack[att][0] += int(ok)
                per_attack[att][1] += 1
                hits[att] = ("ok" if ok else "miss") + f" z={det.sync_score:.1f}"
                if baseline is not None and base_marked is not None:
                    b_att = fn(base_marked, np.random.default_rng(trial_seed))
                    bd = baseline.detect(b_att, key)
                    base_attack[att][0] += int(bd.claimed and bd.payload == Payload(asset, 1))
                    base_attack[att][1] += 1
        row["attacks"] = hits
        per_image[name] = row
        # comparators are slow (blind-watermark especially): native photos <= 640 px only
        if comps and name.startswith("skimage:") and max(img.shape[:2]) <= 640:
            _bench_comparators(comps, comp_stats, img, rng)
        misses = [a for a, h in hits.items() if h.startswith("miss")]
        print(f"[image] {name} psnr={q[0]:.1f} misses={misses}", file=sys.stderr, flush=True)
    ps = sorted(p for p, _ in quality)
    ss = sorted(s for _, s in quality)
    return {
        "scheme": scheme.name,
        "images": len(imgs),
        "psnr_median": float(np.median(ps)),
        "psnr_min": ps[0],
        "ssim_median": float(np.median(ss)),
        "ssim_min": ss[0],
        "per_attack": {
            a: {
                "rate": (v[0] / v[1]) if v[1] else None,
                "ok": v[0],
                "n": v[1],
                "aim": ATTACKS[a][0] if a in ATTACKS else 0.0,
            }
            for a, v in per_attack.items()
        },
        "timings": timings,
        "per_image": per_image,
        "comparators": {
            c: {a: {"rate": v[0] / v[1] if v[1] else None, "n": v[1]} for a, v in st.items()}
            for c, st in comp_stats.items()
        },
        "comparator_notes": notes,
        "baseline": None
        if baseline is None
        else {
            "mask": list(base_mask or ()),
            "psnr_median": float(np.median(base_quality)),
            "psnr_min": min(base_quality),
            "per_attack": {
                a: {"rate": v[0] / v[1] if v[1] else None, "ok": v[0], "n": v[1]}
                for a, v in base_attack.items()
            },
        },
    }


def detect_timings(
    scheme: SpreadSpectrumImageScheme, marked: Img, key: bytes, runs: int = 1
) -> dict[str, float]:
    """CPU seconds (median of ``runs``) to detect in a marked image: from pixels, and from
    JPEG and PNG files as verify reads them (file decode included)."""
    from mediaproof.watermark.mediaio import load_luma

    def med(fn: Callable[[], object]) -> float:
        ts = []
        for _ in range(runs):
            t0 = time.process_time()
            fn()
            ts.append(time.process_time() - t0)
        return float(np.median(ts))

    out = {"detect_12mp_array_cpu_s": med(lambda: scheme.detect(marked, key))}
    with tempfile.TemporaryDirectory() as d:
        for ext in ("jpg", "png"):
            p = Path(d) / f"m.{ext}"
            Image.fromarray(marked).save(p, quality=90)
            out[f"load_luma_12mp_{ext}_cpu_s"] = med(lambda: load_luma(p))  # noqa: B023
            label = "jpeg" if ext == "jpg" else ext
            out[f"detect_12mp_{label}_file_cpu_s"] = med(
                lambda: scheme.detect_luma(load_luma(p), key)  # noqa: B023
            )
    return out


def bench_timings(args: argparse.Namespace) -> dict[str, Any]:
    """Only the 12 MP speed figures (embed, detect), medians of --timing-runs."""
    scheme = SpreadSpectrumImageScheme()
    key = b"bench-key-" + bytes(range(22))
    name, img = next((k, v) for k, v in image_set(True).items() if k.startswith("12MP"))
    ts = []
    for _ in range(args.timing_runs):
        t0 = time.process_time()
        marked = np.asarray(scheme.embed(img, Payload(12345, 1), key), dtype=np.uint8)
        ts.append(time.process_time() - t0)
    det = scheme.detect(marked, key)
    return {
        "image": name,
        "shape": list(img.shape[:2]),
        "embed_12mp_cpu_s": float(np.median(ts)),
        **detect_timings(scheme, marked, key, args.timing_runs),
        "decoded": det.claimed and det.payload == Payload(12345, 1),
    }


def _bench_comparators(
    comps: list[Comparator],
    stats: dict[str, dict[str, list[int]]],
    img: Img,
    rng: np.random.Generator,
) -> None:
    for c in comps:
        bits = rng.integers(0, 2, c.bits).astype(np.uint8)
        try:
            marked = c.embed(img, bits)
        except Exception:
            continue
        for att, (_aim, fn) in ATTACKS.items():
            attacked = fn(marked, rng)
            try:
                got = c.decode(attacked)
            except Exception:
                got = None
            ok = got is not None and got.shape == bits.shape and bool(np.array_equal(got, bits))
            s = stats[c.name].setdefault(att, [0, 0])
            s[0] += int(ok)
            s[1] += 1


def bench_unmarked(args: argparse.Namespace) -> dict[str, Any]:
    """Decodes of unmarked images (and copies marked under another key) must never claim.
    Every decode uses a fresh key, so each is an independent trial."""
    scheme = SpreadSpectrumImageScheme()
    rng = np.random.default_rng(args.seed)
    base = list({**_skimage_photos(), **_corpus_photos()}.values())
    other = SpreadSpectrumImageScheme()
    pool: list[Img] = []
    for a in base:
        pool.append(long_side(a, 640))
        pool.append(jpeg(_resize(a, 0.5), 70))
        other_key = b"someone-else's-key-0123456789abc"
        pool.append(other.embed(long_side(a, 640), Payload(1, 1), other_key))
    claims = 0
    payload_reads = 0  # Viterbi + CRC reads actually made (sync gate passed)
    sync_pass = 0  # detections whose best sync z cleared the threshold
    zs: list[float] = []
    t0 = time.time()
    n = args.unmarked
    for i in range(n):
        a = pool[i % len(pool)]
        if i >= len(pool):  # variants: random crops and rescales of the pool
            a = crop(a, float(rng.uniform(0.3, 1.0)), rng)
        key = rng.bytes(32)
        det = scheme.detect(a, key)
        claims += int(det.claimed)
        payload_reads += int(det.details.get("decodes", 0))
        sync_pass += int(det.sync_score >= det.sync_threshold)
        zs.append(det.sync_score)
        if (i + 1) % 500 == 0:
            print(f"[unmarked] {i + 1}/{n} claims={claims}", file=sys.stderr, flush=True)
    z = np.asarray(zs)
    return {
        "decodes": n,
        "false_claims": claims,
        "seconds": time.time() - t0,
        "design_bound_per_decode": MAX_DECODES * 2.0**-24,
        # the empirical side of the bound: how often the sync gate opened on unmarked
        # media, and how many CRC checks that cost
        "sync_gate_passed": sync_pass,
        "payload_reads": payload_reads,
        "sync_z_quantiles": {
            q: float(np.quantile(z, float(q))) for q in ("0.5", "0.9", "0.99", "0.999")
        },
        "sync_z_max": float(z.max()) if z.size else None,
    }


# --- audio ----------------------------------------------------------------------------


def _ffmpeg(x: np.ndarray[Any, Any], sr: int, args: list[str], ext: str) -> np.ndarray[Any, Any]:
    import soundfile as sf

    with tempfile.TemporaryDirectory() as d:
        src, enc, back = Path(d) / "i.wav", Path(d) / f"o{ext}", Path(d) / "b.wav"
        sf.write(src, x, sr)
        q = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
        subprocess.run([*q, "-i", str(src), *args, str(enc)], check=True)
        subprocess.run([*q, "-i", str(enc), "-ar", str(sr), "-ac", "1", str(back)], check=True)
        y, _ = sf.read(back, dtype="float32")
        return np.asarray(y)


def _speed(x: np.ndarray[Any, Any], f: float) -> np.ndarray[Any, Any]:
    from scipy import signal

    return np.asarray(signal.resample(x, round(len(x) / f)), dtype=np.float32)


AudioAttack = Callable[[np.ndarray[Any, Any], int, np.random.Generator], tuple[Any, int]]


def _noise20(x: np.ndarray[Any, Any], sr: int, r: np.random.Generator) -> tuple[Any, int]:
    sd = float(np.sqrt(np.mean(x**2))) / 10.0
    return (x + r.normal(0, sd, x.shape)).astype(np.float32), sr


def _to8k(x: np.ndarray[Any, Any], sr: int, r: np.random.Generator) -> tuple[Any, int]:
    from scipy import signal

    g = math.gcd(sr, 8000)
    return signal.resample_poly(x, 8000 // g, sr // g).astype(np.float32), 8000


AUDIO_ATTACKS: dict[str, AudioAttack] = {
    "none": lambda x, sr, r: (x, sr),
    "mp3_64k": lambda x, sr, r: (_ffmpeg(x, sr, ["-c:a", "libmp3lame", "-b:a", "64k"], ".mp3"), sr),
    "opus_24k": lambda x, sr, r: (_ffmpeg(x, sr, ["-c:a", "libopus", "-b:a", "24k"], ".opus"), sr),
    "aac_64k": lambda x, sr, r: (_ffmpeg(x, sr, ["-c:a", "aac", "-b:a", "64k"], ".m4a"), sr),
    "resample_8k": _to8k,
    "noise_20db": _noise20,
    "speed+10%": lambda x, sr, r: (_speed(x, 1.1), sr),
    "speed-10%": lambda x, sr, r: (_speed(x, 0.9), sr),
}


def _noise10(x: np.ndarray[Any, Any], sr: int, r: np.random.Generator) -> tuple[Any, int]:
    sd = float(np.sqrt(np.mean(x**2))) / math.sqrt(10.0)
    return (x + r.normal(0, sd, x.shape)).astype(np.float32), sr


# harsher than the aims, to tell settings apart once the aimed attacks all pass
# (--audio-stress; drawn from their own generator so the aimed columns stay comparable)
STRESS_ATTACKS: dict[str, AudioAttack] = {
    "noise_10db": _noise10,
    "opus_12k": lambda x, sr, r: (_ffmpeg(x, sr, ["-c:a", "libopus", "-b:a", "12k"], ".opus"), sr),
}


def music_like(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """Chords of harmonic tones with note envelopes plus noise-burst percussion."""
    t = np.arange(int(seconds * sr)) / sr
    out = np.zeros_like(t)
    beat = 60.0 / float(rng.uniform(80, 140))
    n_notes = int(seconds / beat) + 1
    for i in range(n_notes):
        start = i * beat
        env = np.clip((t - start) / 0.01, 0, 1) * np.exp(-np.clip(t - start, 0, None) * 3.0)
        env[t < start] = 0
        for f0 in rng.choice([110, 147, 165, 196, 220, 247, 294, 330], 3, replace=False):
            for h in range(1, 6):
                out += env * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.28)) / (h * 3)
        k = int(start * sr)
        burst = rng.normal(0, 0.3, min(int(0.05 * sr), max(0, t.size - k)))
        out[k : k + burst.size] += burst * np.exp(-np.arange(burst.size) / (0.01 * sr))
    return (0.3 * out / (np.abs(out).max() + 1e-9)).astype(np.float32)


def _segmental_snr(x: np.ndarray[Any, Any], marked: np.ndarray[Any, Any], sr: int) -> float:
    """Mean over 25 ms frames (those within 40 dB of the loudest) of the frame's host to
    mark ratio in dB, clipped to [-10, 35]: quiet passages count as much as loud ones."""
    n = int(0.025 * sr)
    k = x.size // n
    host = (x[: k * n].astype(np.float64).reshape(k, n) ** 2).sum(axis=1)
    diff = marked[: k * n].astype(np.float64) - x[: k * n]
    mark = (diff.reshape(k, n) ** 2).sum(axis=1) + 1e-20
    keep = host > 1e-4 * host.max()
    return float(np.mean(np.clip(10 * np.log10(host[keep] / mark[keep] + 1e-20), -10, 35)))


def _audio_variant(spec: str) -> SpreadSpectrumAudioScheme:
    """'alloc=0,iss_lambda=0.6' -> a scheme with those settings ('default': none)."""
    kw: dict[str, Any] = {}
    for item in filter(None, spec.replace("default", "").split(",")):
        k, v = item.split("=")
        kw[k] = float(v)
    return SpreadSpectrumAudioScheme(**kw)


def clopper_pearson_lower(ok: int, n: int, confidence: float = 0.95) -> float:
    """Lower end of the two-sided Clopper-Pearson interval for ``ok`` successes in ``n``."""
    from scipy.stats import beta

    if n == 0 or ok == 0:
        return 0.0
    return float(beta.ppf((1.0 - confidence) / 2.0, ok, n - ok + 1))


def _pesq_wb(x: np.ndarray[Any, Any], marked: np.ndarray[Any, Any], sr: int) -> float | None:
    """Wideband PESQ (ITU-T P.862.2) of the marked copy against the original, at 16 kHz;
    None when the ``pesq`` package (extra ``bench``) is missing."""
    try:
        from pesq import pesq
    except ImportError:
        return None
    from scipy import signal

    ref = x.astype(np.float64)
    deg = np.clip(marked, -1, 1).astype(np.float64)
    if sr != 16000:
        g = math.gcd(sr, 16000)
        ref = signal.resample_poly(ref, 16000 // g, sr // g)
        deg = signal.resample_poly(deg, 16000 // g, sr // g)
    return float(pesq(16000, ref, deg, "wb"))


def _tally() -> dict[str, Any]:
    return {
        "ok": 0,
        "n": 0,
        "no_sync": 0,
        "crc": 0,
        "wrong_id": 0,
        "z": [],
        "missed_sources": set(),
    }


def _attack_report(v: dict[str, Any], aim: float | None) -> dict[str, Any]:
    return {
        "ok": v["ok"],
        "n": v["n"],
        "rate": v["ok"] / v["n"] if v["n"] else None,
        "cp95_lower": clopper_pearson_lower(v["ok"], v["n"]) if v["n"] else None,
        "aim": aim,
        "misses_no_sync": v["no_sync"],
        "misses_crc": v["crc"],
        "wrong_ids": v["wrong_id"],
        "sources_with_a_miss": sorted(v["missed_sources"]),
        "sync_z_median": float(np.median(v["z"])) if v["z"] else None,
    }


def bench_audio(args: argparse.Namespace) -> dict[str, Any]:
    """Each variant (``--audio-iss`` lambdas, 0 = plain, then each ``--audio-variant``)
    marks the same sources with the same IDs and reads them with its own detector; each
    attack gets the same excerpt offset and noise for every variant."""
    import soundfile as sf

    lambdas = [f"iss_lambda={float(v)}" for v in args.audio_iss.split(",") if v]
    schemes = {v: _audio_variant(v) for v in [*lambdas, *args.audio_variant]}
    lambdas = list(schemes)
    detector = schemes[lambdas[0]]  # the unmarked run uses the first variant's detector
    attacks = {
        a: fn
        for a, fn in AUDIO_ATTACKS.items()
        if not args.audio_attacks or a in args.audio_attacks.split(",")
    }
    key = b"bench-audio-key-" + bytes(range(16))
    rng = np.random.default_rng(7)
    clips = sorted((CORPORA / "likeness/voices").rglob("*.flac"))
    clips = [c for c in clips if sf.info(str(c)).duration >= 4.0]
    rng.shuffle(clips)
    n_speech = 3 if args.quick else args.audio_clips
    sources: list[tuple[str, np.ndarray[Any, Any], int]] = []
    for c in clips[:n_speech]:
        x, sr = sf.read(str(c), dtype="float32")
        sources.append((f"speech:{c.name}", np.asarray(x), sr))
    for i in range(1 if args.quick else 3):
        sources.append((f"music-like:{i}", music_like(8.0, 16000, rng), 16000))
    stress = STRESS_ATTACKS if args.audio_stress else {}
    srng = np.random.default_rng(11)
    xrng = np.random.default_rng(13)  # excerpts 2..K (--audio-excerpts)
    per_attack: dict[str, dict[str, dict[str, Any]]] = {
        lam: {a: _tally() for a in [*attacks, *stress]} for lam in lambdas
    }
    pesqs: dict[str, list[float]] = {lam: [] for lam in lambdas}
    kept_marked: list[tuple[np.ndarray[Any, Any], int]] = []
    snrs: dict[str, list[float]] = {lam: [] for lam in lambdas}
    seg_snrs: dict[str, list[float]] = {lam: [] for lam in lambdas}
    t_det: dict[str, list[float]] = {lam: [] for lam in lambdas}
    t_emb: dict[str, list[float]] = {lam: [] for lam in lambdas}
    for name, x, sr in sources:
        asset = int(rng.integers(0, 1 << 32))
        marked: dict[str, np.ndarray[Any, Any]] = {}
        for lam, scheme in schemes.items():
            t0 = time.process_time()
            m = scheme.embed(x, Payload(asset), key, sample_rate=sr)
            t_emb[lam].append(time.process_time() - t0)
            snrs[lam].append(10 * math.log10(float(np.sum(x**2)) / float(np.sum((m - x) ** 2))))
            seg_snrs[lam].append(_segmental_snr(x, m, sr))
            if name.startswith("speech:"):
                score = _pesq_wb(x, m, sr)
                if score is not None:
                    pesqs[lam].append(score)
            marked[lam] = np.clip(m, -1, 1)
        kept_marked.append((marked[lambdas[0]], sr))
        draws: list[tuple[str, AudioAttack, int, int]] = []
        misses: list[str] = []
        for att, fn in AUDIO_ATTACKS.items():
            off = int(rng.integers(0, max(1, x.size - int(3.0 * sr))))
            seed = int(rng.integers(0, 1 << 31))
            # further excerpts from their own generator: the first stays the K=1 draw
            extra = [
                (
                    int(xrng.integers(0, max(1, x.size - int(3.0 * sr)))),
                    int(xrng.integers(0, 1 << 31)),
                )
                for _ in range(args.audio_excerpts - 1)
            ]
            if att in attacks:  # same draws as a full run
                draws.extend((att, fn, o, s) for o, s in [(off, seed), *extra])
        for att, fn in stress.items():
            off = int(srng.integers(0, max(1, x.size - int(3.0 * sr))))
            draws.append((att, fn, off, int(srng.integers(0, 1 << 31))))
        for att, fn, off, seed in draws:
            for lam in lambdas:
                excerpt = marked[lam][off : off + 3 * sr]
                y, r = fn(excerpt, sr, np.random.default_rng(seed))
                t0 = time.process_time()
                det = schemes[lam].detect(y, key, sample_rate=r)
                t_det[lam].append(time.process_time() - t0)
                ok = det.claimed and det.payload == Payload(asset)
                tally = per_attack[lam][att]
                tally["ok"] += int(ok)
                tally["n"] += 1
                tally["z"].append(det.sync_score)
                if not ok:
                    if det.claimed:
                        kind = "wrong_id"
                    else:  # no decode at all, or the payload failed its CRC
                        kind = "no_sync" if det.sync_score < det.sync_threshold else "crc"
                    tally[kind] += 1
                    tally["missed_sources"].add(name)
                    misses.append(f"{lam or 'default'}/{att} z={det.sync_score:.1f} {kind}")
        print(f"[audio] {name} done; misses: {misses}", file=sys.stderr, flush=True)
    # unmarked: speech, music-like and noise excerpts, fresh key per decode (--seed)
    urng = np.random.default_rng(args.seed)
    fp = 0
    crc_tests = 0  # payload CRC tests made on unmarked excerpts (the measured E[R])
    n_unmarked = 0
    best_z: list[float] = []
    unmarked_sources = [s for s in sources] + [
        ("noise", urng.normal(0, 0.1, 16000 * 8).astype(np.float32), 16000)
    ]
    for c in clips[n_speech : n_speech + (5 if args.quick else 30)]:
        x, sr = sf.read(str(c), dtype="float32")
        unmarked_sources.append((c.name, np.asarray(x), sr))
    for i in range(args.audio_unmarked):
        _, x, sr = unmarked_sources[i % len(unmarked_sources)]
        off = int(urng.integers(0, max(1, x.size - 3 * sr)))
        det = detector.detect(x[off : off + 3 * sr], urng.bytes(32), sample_rate=sr)
        fp += int(det.claimed)
        crc_tests += int(det.details.get("crc_tests", 0))
        best_z.append(det.sync_score)
        n_unmarked += 1
    # marked by the first variant, read with a fresh random key each (--seed)
    wrong_claims = 0
    wrong_tests = 0
    wrong_z: list[float] = []
    for i in range(args.audio_wrong_key):
        m, sr = kept_marked[i % len(kept_marked)]
        off = int(urng.integers(0, max(1, m.size - 3 * sr)))
        det = detector.detect(m[off : off + 3 * sr], urng.bytes(32), sample_rate=sr)
        wrong_claims += int(det.claimed)
        wrong_tests += int(det.details.get("crc_tests", 0))
        wrong_z.append(det.sync_score)
    return {
        "scheme": detector.name,
        "sources": [s[0] for s in sources],
        "excerpt_seconds": 3.0,
        "embedders": {
            lam: {
                "snr_db_median": float(np.median(snrs[lam])),
                "snr_db_min": float(min(snrs[lam])),
                "segmental_snr_db_median": float(np.median(seg_snrs[lam])),
                "embed_cpu_s_median": float(np.median(t_emb[lam])),
                "pesq_wb_median_min": [float(np.median(pesqs[lam])), float(min(pesqs[lam]))]
                if pesqs[lam]
                else None,
                "detect_3s_cpu_s_median": float(np.median(t_det[lam])) if t_det[lam] else None,
                "per_attack": {
                    a: _attack_report(v, 0.95 if a in AUDIO_ATTACKS else None)
                    for a, v in per_attack[lam].items()
                },
            }
            for lam in lambdas
        },
        "unmarked_decodes": n_unmarked,
        "false_claims": fp,
        "unmarked_crc_tests_per_decode": crc_tests / n_unmarked if n_unmarked else None,
        "unmarked_best_z_median_max": [float(np.median(best_z)), float(max(best_z))]
        if best_z
        else None,
        "wrong_key_decodes": len(wrong_z),
        "wrong_key_false_claims": wrong_claims,
        "wrong_key_crc_tests_per_decode": wrong_tests / len(wrong_z) if wrong_z else None,
        "wrong_key_best_z_median_max": [float(np.median(wrong_z)), float(max(wrong_z))]
        if wrong_z
        else None,
        "excerpts_per_source_and_attack": args.audio_excerpts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="few images, one trial, no 10k run")
    ap.add_argument("--trials", type=int, default=2, help="random trials per attack and image")
    ap.add_argument("--unmarked", type=int, default=10000, help="unmarked image decodes")
    ap.add_argument("--audio-clips", type=int, default=12)
    ap.add_argument("--audio-unmarked", type=int, default=300)
    ap.add_argument(
        "--audio-iss",
        default="0.6",
        help="comma-separated informed-embedding lambdas to compare side by side, other "
        "settings at their defaults (0 = no informed embedding; '' = none), e.g. 0,0.6",
    )
    ap.add_argument(
        "--audio-variant",
        action="append",
        default=[],
        help="an audio scheme setting to run side by side (repeatable): 'default', or "
        "constructor arguments such as 'alloc=0,iss_lambda=0' (the first release)",
    )
    ap.add_argument(
        "--audio-attacks", default="", help="comma-separated subset of the audio attacks"
    )
    ap.add_argument(
        "--audio-excerpts",
        type=int,
        default=1,
        help="3 s excerpts per source and attack, each at its own offset and noise draw "
        "(the first is the one a run with 1 uses)",
    )
    ap.add_argument(
        "--audio-wrong-key",
        type=int,
        default=0,
        help="decodes of excerpts marked by the first variant, each under a fresh key",
    )
    ap.add_argument(
        "--audio-stress",
        action="store_true",
        help="also run attacks harsher than the aims (20 dB -> 10 dB noise, Opus 12k)",
    )
    ap.add_argument(
        "--embed-plane",
        choices=["rgb", "ycbcr", "signed-jpeg"],
        default="rgb",
        help="mark R, G and B (the array API), the Y plane as signing marks a JPEG, or "
        "(signed-jpeg) a 4:2:0 quality-92 JPEG of each image through signing's route, "
        "the written file decoded",
    )
    ap.add_argument("--no-comparators", action="store_true")
    ap.add_argument(
        "--timings-only", action="store_true", help="only the 12 MP embed/detect timings"
    )
    ap.add_argument("--timing-runs", type=int, default=5)
    ap.add_argument(
        "--baseline-mask",
        default=None,
        help="also run the image scheme with this embedding mask 'floor,slope,cap' "
        "(e.g. 0.45,0.13,3.5, the first release) on the same images and attacks",
    )
    ap.add_argument("--seed", type=int, default=99, help="seed of the unmarked runs (keys)")
    ap.add_argument("--skip", choices=["image", "audio", "unmarked"], action="append", default=[])
    args = ap.parse_args()
    if args.quick and args.unmarked == 10000:
        args.unmarked = 200
    warnings.filterwarnings("ignore")
    cv2.setNumThreads(1)  # shared machines: measure one core
    report: dict[str, Any] = {"command": " ".join(sys.argv)}
    if args.timings_only:
        report["timings_12mp"] = bench_timings(args)
        print(json.dumps(report, indent=2))
        return
    if "image" not in args.skip:
        report["image"] = bench_images(args)
    if "unmarked" not in args.skip:
        report["image_unmarked"] = bench_unmarked(args)
    if "audio" not in args.skip:
        report["audio"] = bench_audio(args)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
