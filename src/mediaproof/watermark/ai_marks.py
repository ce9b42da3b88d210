"""Detectors for the invisible marks that open image generators add (weak evidence).

Stable Diffusion's reference scripts mark outputs with invisible-watermark's dwtDct
method: v1/v2 with the bytes ``StableDiffusionV1``, SDXL with the 48-bit word
0xB3EC907BB19E. Finding one says "probably made by such a tool"; not finding one says
nothing (most services strip or never add it, and JPEG re-encoding destroys it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

SD_V1_BYTES = b"StableDiffusionV1"
SDXL_BITS = 0xB3EC907BB19E
SDXL_MIN_AGREEING = 44  # of 48; a random image reaches this with p ~ 7e-10
SD_V1_MIN_AGREEING = 120  # of 136; random: p ~ 1e-20


@dataclass(frozen=True)
class AiMark:
    name: str
    found: bool
    agreeing_bits: int
    total_bits: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "found": self.found,
            "agreeing_bits": self.agreeing_bits,
            "total_bits": self.total_bits,
        }


def _bits_of(value: bytes) -> npt.NDArray[np.uint8]:
    return np.unpackbits(np.frombuffer(value, dtype=np.uint8))


def _decode_dwtdct(bgr: npt.NDArray[np.uint8], n_bits: int) -> npt.NDArray[np.uint8]:
    from imwatermark import WatermarkDecoder  # optional heavy import

    dec = WatermarkDecoder("bits", n_bits)
    bits = dec.decode(bgr, "dwtDct")
    return np.asarray(bits, dtype=np.uint8)


def available() -> bool:
    """Whether the optional decoder (extra ``ai-marks``) is installed."""
    try:
        import imwatermark  # noqa: F401
    except ImportError:
        return False
    return True


def detect_ai_marks(rgb: npt.NDArray[np.uint8]) -> list[AiMark]:
    """Check an RGB uint8 image for the Stable Diffusion marks. Needs >= 256x256 and the
    ``ai-marks`` extra; returns [] when either is missing."""
    if rgb.ndim != 3 or rgb.shape[0] * rgb.shape[1] < 256 * 256 or not available():
        return []
    bgr = np.ascontiguousarray(rgb[:, :, 2::-1])
    out: list[AiMark] = []
    v1 = _bits_of(SD_V1_BYTES)
    got = _decode_dwtdct(bgr, v1.size)
    agree = int((got == v1).sum())
    out.append(AiMark("stable-diffusion-v1", agree >= SD_V1_MIN_AGREEING, agree, v1.size))
    xl = _bits_of(SDXL_BITS.to_bytes(6, "big"))
    got = _decode_dwtdct(bgr, xl.size)
    agree = int((got == xl).sum())
    out.append(AiMark("stable-diffusion-xl", agree >= SDXL_MIN_AGREEING, agree, xl.size))
    return out


def embed_sd_v1(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Mark like the SD reference scripts do (for tests and the benchmark)."""
    from imwatermark import WatermarkEncoder

    enc = WatermarkEncoder()
    enc.set_watermark("bytes", SD_V1_BYTES)
    bgr = enc.encode(np.ascontiguousarray(rgb[:, :, 2::-1]), "dwtDct")
    return np.ascontiguousarray(np.asarray(bgr, dtype=np.uint8)[:, :, 2::-1])


def embed_sdxl(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    from imwatermark import WatermarkEncoder

    enc = WatermarkEncoder()
    enc.set_watermark("bits", _bits_of(SDXL_BITS.to_bytes(6, "big")).tolist())
    bgr = enc.encode(np.ascontiguousarray(rgb[:, :, 2::-1]), "dwtDct")
    return np.ascontiguousarray(np.asarray(bgr, dtype=np.uint8)[:, :, 2::-1])
