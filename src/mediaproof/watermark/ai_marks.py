"""Detectors for the invisible marks that open image generators add (weak evidence).

Stable Diffusion's reference scripts mark outputs with invisible-watermark's dwtDct
method: v1/v2 with the bytes ``StableDiffusionV1``, SDXL with the 48-bit word
0xB3EC907BB19E (0b101100111110110010010000011110111011000110011110). Finding one says
"probably made by such a tool"; not finding one says nothing (most services strip or
never add it, and JPEG re-encoding destroys it).

Two embedders put the same bits into different channels. Stability's reference code
(generative-models ``WatermarkEmbedder``, CompVis ``txt2img.py``) hands the encoder a BGR
array, as the library expects. The diffusers library's ``StableDiffusionXLWatermarker``
(v0.18 to v0.2x, and the many pipelines copied from it) hands it the RGB float array
straight from the VAE, so the library's "U" channel is computed with red and blue
swapped; later diffusers releases flip to BGR first. The detector therefore reads both
channel orders and reports which one held the mark (``channel_order``).
"""

from __future__ import annotations

import importlib.util
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
    # "bgr": as Stability's reference code embeds; "rgb": as diffusers' SDXL watermarker
    channel_order: str = "bgr"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "found": self.found,
            "agreeing_bits": self.agreeing_bits,
            "total_bits": self.total_bits,
            "channel_order": self.channel_order,
        }


def _bits_of(value: bytes) -> npt.NDArray[np.uint8]:
    return np.unpackbits(np.frombuffer(value, dtype=np.uint8))


def _decode_dwtdct(bgr: npt.NDArray[np.uint8], n_bits: int) -> npt.NDArray[np.uint8]:
    """The library's own decoder: a Python loop over every 4x4 block (~150 ms per call on
    a 1280x853 image). Kept as the reference that :func:`_dwtdct_votes` must equal."""
    from imwatermark import WatermarkDecoder  # optional heavy import

    dec = WatermarkDecoder("bits", n_bits)
    bits = dec.decode(bgr, "dwtDct")
    return np.asarray(bits, dtype=np.uint8)


# invisible-watermark's dwtDct defaults (EmbedMaxDct): only the U channel carries the
# mark (scales [0, 36, 36], and its decoder reads channels 0 and 1), 4x4 blocks
_DWTDCT_CHANNEL, _DWTDCT_SCALE, _DWTDCT_BLOCK = 1, 36, 4


def _dwtdct_votes(bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Each block's vote of invisible-watermark's dwtDct decoder, in its order (block
    ``k`` votes for bit ``k % n_bits``), vectorised: one pass serves every bit length.

    Same arithmetic as ``EmbedMaxDct.decode_frame``/``infer_dct_matrix``: in each 4x4
    block of the Haar approximation band of U, the largest-magnitude coefficient other
    than the first; the vote is whether its magnitude modulo the scale is in the upper
    half. Ties go to the first index, as with the library's ``np.argmax``."""
    import cv2
    import pywt

    row, col = bgr.shape[:2]
    yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)
    ca1, _ = pywt.dwt2(yuv[: row // 4 * 4, : col // 4 * 4, _DWTDCT_CHANNEL], "haar")
    b = _DWTDCT_BLOCK
    nr, nc = ca1.shape[0] // b, ca1.shape[1] // b
    blocks = ca1[: nr * b, : nc * b].reshape(nr, b, nc, b).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(nr * nc, b * b)
    pos = np.argmax(np.abs(blocks[:, 1:]), axis=1) + 1
    val = np.abs(blocks[np.arange(blocks.shape[0]), pos])
    votes: npt.NDArray[np.bool_] = np.remainder(val, _DWTDCT_SCALE) > 0.5 * _DWTDCT_SCALE
    return votes


def _bits_from_votes(votes: npt.NDArray[np.bool_], n_bits: int) -> npt.NDArray[np.uint8]:
    """The library's majority rule: the mean vote per bit, times 255, over 127."""
    slot = np.arange(votes.size) % n_bits
    ones = np.bincount(slot, weights=votes.astype(np.float64), minlength=n_bits)
    count = np.bincount(slot, minlength=n_bits)
    with np.errstate(invalid="ignore", divide="ignore"):  # no blocks: nan, as the library
        mean = ones / count
    return (mean * 255 > 127).astype(np.uint8)


def available() -> bool:
    """Whether the optional decoder (extra ``ai-marks``) is installed.

    Looked up, not imported: the check itself (:func:`_dwtdct_votes`) needs only pywt
    and OpenCV, and importing ``imwatermark`` imports torch (its RivaGAN model), which
    cost each analysis worker's first image check 1.4 s of CPU (7-16 s at a load of 12)
    and 200 MiB of memory."""
    return all(importlib.util.find_spec(name) is not None for name in ("imwatermark", "pywt"))


def detect_ai_marks(rgb: npt.NDArray[np.uint8]) -> list[AiMark]:
    """Check an RGB uint8 image for the Stable Diffusion marks, in both channel orders
    (reference BGR, diffusers RGB). Needs >= 256x256 and the ``ai-marks`` extra; returns
    [] when either is missing. Each mark is reported once, from the order that agrees
    best; two orders double the chance of a false find (SDXL: about 1.4e-9)."""
    if rgb.ndim != 3 or rgb.shape[0] * rgb.shape[1] < 256 * 256 or not available():
        return []
    orders = {
        "bgr": _dwtdct_votes(np.ascontiguousarray(rgb[:, :, 2::-1])),
        "rgb": _dwtdct_votes(np.ascontiguousarray(rgb[:, :, :3])),
    }
    out: list[AiMark] = []
    for name, bits, need in (
        ("stable-diffusion-v1", _bits_of(SD_V1_BYTES), SD_V1_MIN_AGREEING),
        ("stable-diffusion-xl", _bits_of(SDXL_BITS.to_bytes(6, "big")), SDXL_MIN_AGREEING),
    ):
        best: AiMark | None = None
        for order, votes in orders.items():
            agree = int((_bits_from_votes(votes, bits.size) == bits).sum())
            if best is None or agree > best.agreeing_bits:
                best = AiMark(name, agree >= need, agree, bits.size, order)
        assert best is not None
        out.append(best)
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


SDXL_WATERMARK_BITS = [int(b) for b in bin(0b101100111110110010010000011110111011000110011110)[2:]]


def embed_sdxl_diffusers(
    rgb: npt.NDArray[np.uint8], flip_to_bgr: bool = False
) -> npt.NDArray[np.uint8]:
    """Mark like diffusers' ``StableDiffusionXLWatermarker.apply_watermark`` (for tests):
    the VAE output as a float32 RGB array in [0, 255] goes to the encoder as it is
    (``flip_to_bgr`` for later releases, which reverse the channels first), then is
    clamped and rounded to 8 bits as ``VaeImageProcessor.postprocess`` does."""
    from imwatermark import WatermarkEncoder

    enc = WatermarkEncoder()
    enc.set_watermark("bits", SDXL_WATERMARK_BITS)
    img = rgb.astype(np.float32)
    if flip_to_bgr:
        img = np.ascontiguousarray(img[:, :, ::-1])
        out = np.asarray(enc.encode(img, "dwtDct"))[:, :, ::-1]
    else:
        out = np.asarray(enc.encode(img, "dwtDct"))
    scaled = np.clip(2 * (out / 255 - 0.5), -1.0, 1.0)  # back to the VAE's range
    return np.ascontiguousarray((np.clip(scaled / 2 + 0.5, 0, 1) * 255).round().astype(np.uint8))
