"""The contract every watermark scheme implements.

To add a scheme (for example a learned one): implement :class:`WatermarkScheme` in its own
module, give it a unique ``name``, and subclass
``mediaproof.testing.watermark_contract.SchemeContract`` in a test module to inherit the
round-trip, wrong-key and unmarked tests. ``embed`` must not change the media's shape or
dtype; ``detect`` must never raise for unmarked media and must only set ``claimed`` when
its false-claim bound is <= ``MAX_FALSE_CLAIM`` (1e-6 per decode).
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from mediaproof.watermark.models import Detection, Payload

MAX_FALSE_CLAIM = 1e-6

Media = npt.NDArray[np.generic]
MediaKind = Literal["image", "audio"]


@runtime_checkable
class WatermarkScheme(Protocol):
    name: str
    kind: MediaKind
    payload_bits: int  # capacity of asset_id
    version_bits: int

    def embed(
        self, media: Media, payload: Payload, key: bytes, *, sample_rate: int | None = None
    ) -> Media:
        """Return a marked copy. Images: HxW or HxWxC uint8 (RGB order);
        audio: float samples (n,) or (n, channels) and their ``sample_rate``."""
        ...

    def detect(self, media: Media, key: bytes, *, sample_rate: int | None = None) -> Detection:
        """Look for the mark; never raises for unmarked media."""
        ...
