#!/usr/bin/env python3
"""Make a labelled set that needs no generative model: real photos from the shared
corpora against images made here by two procedures.

    python scripts/detectors/procedural_set.py [CORPORA] -o var/detectors/procedural

* ``procedural-fractal``: 1/f-noise "landscapes" (random spectra, a colour ramp and a sky
  gradient). Machine-made, but by no neural network.
* ``procedural-upsampled``: a real photo shrunk to a quarter and brought back by two
  transposed-convolution-like 2x upsamplings with a fixed random 3x3 kernel, which leaves
  the periodic traces neural generators' upsampling layers leave. Same content as a real
  photo; only the generation trace differs.

Honest limits: neither is what voters meet. A detector that separates these says little
about Midjourney or FLUX; one that does not separate them is not shown to be useless.
Every file gets ``split: unseen-generator`` (no detector was trained on them).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.signal import convolve2d


def fractal(rng: np.random.Generator, size: int = 512) -> Image.Image:
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.fftfreq(size)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    beta = rng.uniform(1.6, 2.4)
    spec = (rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))) / f**beta
    h = np.real(np.fft.ifft2(spec))
    h = (h - h.min()) / (np.ptp(h) + 1e-9)
    ramp = np.array([[20, 60, 120], [200, 190, 140], [60, 130, 50], [110, 90, 70],
                     [245, 245, 250]], dtype=np.float64)
    ramp = ramp * rng.uniform(0.8, 1.2, size=(1, 3))
    idx = h * (len(ramp) - 1)
    lo = np.floor(idx).astype(int).clip(0, len(ramp) - 2)
    t = (idx - lo)[..., None]
    img = ramp[lo] * (1 - t) + ramp[lo + 1] * t
    sky = np.linspace(0, 1, size)[:, None, None]
    horizon = rng.uniform(0.25, 0.5)
    skycol = np.array([120, 170, 235]) * (1 - sky * 0.5)
    mask = (np.arange(size)[:, None] < horizon * size)[..., None]
    img = np.where(mask, np.broadcast_to(skycol, img.shape), img)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def upsampled(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    im = photo.convert("RGB")
    im.thumbnail((768, 768))
    small = np.asarray(im.resize((max(8, im.width // 4), max(8, im.height // 4)),
                                 Image.Resampling.BILINEAR), dtype=np.float64)
    k = rng.normal(1.0, 0.35, size=(3, 3))
    k = k / k.sum() * 4.0  # zero insertion quarters the energy; the kernel restores it
    x = small
    for _ in range(2):
        up = np.zeros((x.shape[0] * 2, x.shape[1] * 2, 3))
        up[::2, ::2] = x
        x = np.stack([convolve2d(up[..., c], k, mode="same", boundary="symm")
                      for c in range(3)], axis=-1)
    return Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="?",
                    default=os.environ.get("MEDIAPROOF_CORPORA", "../shared/corpora"))
    ap.add_argument("-o", "--out", type=Path, default=Path("var/detectors/procedural"))
    ap.add_argument("-n", type=int, default=20, help="images per procedure")
    ap.add_argument("--real", type=Path, default=None,
                    help="a manifest whose 'real' files are reused (default: made by "
                         "corpora_manifest.py's rules)")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.real is None:
        import subprocess
        import sys

        args.real = out / "corpora-real.jsonl"
        subprocess.run([sys.executable, str(Path(__file__).with_name("corpora_manifest.py")),
                        args.corpora, "-o", str(args.real)], check=True)
    reals = [json.loads(line) for line in args.real.read_text().splitlines() if line.strip()]
    reals = [r for r in reals if r["label"] == "real"]
    rng = np.random.default_rng(20261206)
    lines: list[dict[str, object]] = []
    for i in range(args.n):
        p = out / f"fractal-{i:03d}.png"
        fractal(rng).save(p)
        lines.append({"path": p.name, "label": "ai", "generator": "procedural-fractal",
                      "source": "procedural", "split": "unseen-generator"})
    for i in range(args.n):
        src = reals[i % len(reals)]
        with Image.open(src["path"]) as im:
            p = out / f"upsampled-{i:03d}.png"
            upsampled(im, rng).save(p)
        lines.append({"path": p.name, "label": "ai", "generator": "procedural-upsampled",
                      "source": "procedural", "split": "unseen-generator",
                      "note": f"from {Path(src['path']).name}"})
    for r in reals:
        lines.append({**r, "split": "unseen-generator"})
    manifest = out / "procedural.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    print(f"{len(lines)} files -> {manifest}")


if __name__ == "__main__":
    main()
