#!/usr/bin/env python3
"""Write the evaluation manifest of the labelled images in the shared test corpora.

    python scripts/detectors/corpora_manifest.py [CORPORA] -o var/detectors/corpora.jsonl

Which files are real photographs and which are AI-generated is decided here, by hand,
from the corpora's MANIFEST.md files and the files' own C2PA manifests; duplicates (the
same pixels re-signed under another name) are left out. There is exactly one
AI-generated image in the corpora (ocsp.jpg: its Content Credentials declare Adobe
Firefly, composited in Photoshop), so this set measures false positives on real photos
and almost nothing about how many AI images a detector catches.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

from PIL import Image

# (glob under the corpora, label, generator, source, note)
SETS: list[tuple[str, str, str | None, str, str]] = [
    ("likeness/faces/**/*.jpg", "real", None, "likeness-faces",
     "photos of public figures (face_recognition examples)"),
    ("pdq-threatexchange/images/bridge-mods/aaa-orig.jpg", "real", None, "pdq-bridge",
     "a camera photo"),
    ("pdq-threatexchange/images/bridge-mods/*.jpg", "real", None, "pdq-bridge-edits",
     "ordinary edits of a real photo: blur, contrast, crops, sharpen, shrink"),
    ("pdq-threatexchange/images/misc-images/c.png", "real", None, "pdq-misc", "a photo"),
    ("c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/IMG_0003.jpg", "real", None,
     "c2pa-fixture-photos", "camera photo (ribbons)"),
    ("c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/P1000827.jpg", "real", None,
     "c2pa-fixture-photos", "camera photo (window grate)"),
    ("c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/earth_apollo17.jpg", "real", None,
     "c2pa-fixture-photos", "NASA Apollo 17 photo"),
    ("c2pa-public-testfiles/files/image/jpeg/nikon-20221019-building.jpeg", "real", None,
     "c2pa-camera-capture", "Nikon camera capture with Content Credentials"),
    ("c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/ocsp.jpg", "ai",
     "firefly", "c2pa-fixtures-ai",
     "C2PA: Adobe Firefly (trainedAlgorithmicMedia) composited in Photoshop"),
]


def pixels_digest(p: Path) -> str:
    with Image.open(p) as im:
        return hashlib.sha256(im.convert("RGB").tobytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="?",
                    default=os.environ.get("MEDIAPROOF_CORPORA", "../shared/corpora"))
    ap.add_argument("-o", "--out", type=Path, default=Path("var/detectors/corpora.jsonl"))
    args = ap.parse_args()
    root = Path(args.corpora).resolve()
    seen: set[str] = set()
    lines: list[str] = []
    for pattern, label, gen, source, note in SETS:
        matches = sorted(root.glob(pattern))
        if not matches:
            raise SystemExit(f"nothing matches {pattern} under {root}")
        for p in matches:
            d = pixels_digest(p)
            if d in seen:  # e.g. aaa-orig.jpg is listed twice; re-signed copies
                continue
            seen.add(d)
            lines.append(json.dumps({
                "path": str(p), "label": label, "generator": gen, "source": source,
                "split": "in-the-wild", "note": note,
            }))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} files -> {args.out}")


if __name__ == "__main__":
    main()
