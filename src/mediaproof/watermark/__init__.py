"""Invisible watermarks that carry the registry's asset ID through re-posting.

Entry points for the rest of the product:

* :func:`embed_image` / :func:`detect_image` (pixels) and :func:`embed_audio` /
  :func:`detect_audio` (samples), with the default schemes;
* :func:`ensure_watermark_key` for the instance key in ``<home>/keys/watermark.key``;
* :class:`Detection` (result) and :class:`Payload` (what a mark carries);
* ``mediaproof.watermark.protocol.WatermarkScheme``, the contract of a scheme (and how to
  add one), and ``mediaproof.watermark.analyzer.WatermarkAnalyzer`` for the verify
  pipeline.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mediaproof.watermark.audio import SpreadSpectrumAudioScheme
from mediaproof.watermark.image import SpreadSpectrumImageScheme
from mediaproof.watermark.keys import ensure_watermark_key, load_watermark_key
from mediaproof.watermark.models import Detection, Payload
from mediaproof.watermark.protocol import Media

IMAGE_SCHEME = SpreadSpectrumImageScheme()
AUDIO_SCHEME = SpreadSpectrumAudioScheme()


def embed_image(pixels: Media, asset_id: int, key: bytes, version: int = 0) -> Media:
    return IMAGE_SCHEME.embed(pixels, Payload(asset_id, version), key)


def embed_image_luma(
    luma: NDArray[np.uint8], asset_id: int, key: bytes, version: int = 0
) -> NDArray[np.uint8]:
    """:func:`embed_image` on the luminance plane of an image (e.g. a JPEG's Y)."""
    return IMAGE_SCHEME.embed_luma(luma, Payload(asset_id, version), key)


def detect_image(pixels: Media, key: bytes) -> Detection:
    return IMAGE_SCHEME.detect(pixels, key)


def embed_audio(samples: Media, sample_rate: int, asset_id: int, key: bytes) -> Media:
    return AUDIO_SCHEME.embed(samples, Payload(asset_id), key, sample_rate=sample_rate)


def detect_audio(samples: Media, sample_rate: int, key: bytes) -> Detection:
    return AUDIO_SCHEME.detect(samples, key, sample_rate=sample_rate)


# what callers import from here; the schemes' classes and the protocol live in their
# modules (watermark.image, watermark.audio, watermark.protocol)
__all__ = [
    "AUDIO_SCHEME",
    "IMAGE_SCHEME",
    "Detection",
    "Payload",
    "detect_audio",
    "detect_image",
    "embed_audio",
    "embed_image",
    "embed_image_luma",
    "ensure_watermark_key",
    "load_watermark_key",
]
