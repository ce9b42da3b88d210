"""The image watermark's tile: its layout (sync and payload cells under a key), the
coded payload spread over it, and the perceptual mask that scales it into an image.
The scheme (:mod:`mediaproof.watermark.image`) embeds it; the detector
(:mod:`mediaproof.watermark.image_sync`) finds it again."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from mediaproof.watermark.coding import (
    CRC_BITS,
    append_crc,
    coded_length,
    conv_encode,
    int_to_bits,
    keyed_rng,
)
from mediaproof.watermark.errors import MediaTooSmallError, PayloadError
from mediaproof.watermark.models import Payload
from mediaproof.watermark.protocol import Media

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

TILE = 128  # tile side at the canonical scale (working-resolution pixels)
CELLS = 32  # cells per tile side
WORK_AREA = 512 * 512  # embed: pixels of the working resolution (never upscaled)
ANALYSIS_AREA = WORK_AREA  # detect: same rule, so a resized copy comes back at scale 1
N_SYNC = 160  # sync cells per tile
ID_BITS = 40
VERSION_BITS = 8
N_INFO = ID_BITS + VERSION_BITS + CRC_BITS
N_CODED = coded_length(N_INFO)

# Perceptual mask: amplitude (grey levels) = A_MIN + K_ACT * local std, capped.
# Tuned on the bench photos (docs/watermark.md): a low cap, because in busy texture the
# detector's matched weighting (amplitude over local variance) gains little from extra
# energy while PSNR pays for all of it; the floor and slope lifted, because smooth and
# mid-texture areas are where each unit of mark energy buys the most detection SNR.
A_MIN = 0.6
K_ACT = 0.15
A_MAX = 2.2
# The detector weights pixels by the same mask shape; its constants are kept apart so
# that retuning the embedder's strength leaves the detector (and its measured
# false-claim behaviour) unchanged. Only the shape matters to the detector, not the scale.
DET_A_MIN, DET_K_ACT, DET_A_MAX = 0.45, 0.13, 3.5

# Pre-emphasis of the tile (canonical px): the detector's whitening discards what lies
# below ~0.05 cycles/px, so mark energy there would cost PSNR and buy nothing.
EMBED_HP_SIGMA = 3.0


# --- tile construction --------------------------------------------------------------


def _upsample(cells: F64) -> F64:
    """Band-limited (Fourier) interpolation of the 32x32 cell grid to the 128x128 tile."""
    spec = np.fft.fft2(cells)
    big = np.zeros((TILE, TILE), dtype=np.complex128)
    h = CELLS // 2
    big[:h, :h] = spec[:h, :h]
    big[:h, -h:] = spec[:h, -h:]
    big[-h:, :h] = spec[-h:, :h]
    big[-h:, -h:] = spec[-h:, -h:]
    return np.real(np.fft.ifft2(big)) * (TILE * TILE) / (CELLS * CELLS)


def _embed_emphasis() -> F64:
    if EMBED_HP_SIGMA <= 0:
        return np.ones((TILE, TILE))
    f = np.fft.fftfreq(TILE)
    f2 = f[:, None] ** 2 + f[None, :] ** 2
    resp: F64 = 1.0 - np.exp(-2.0 * math.pi**2 * EMBED_HP_SIGMA**2 * f2)
    return resp


def _emphasise(tile: F64) -> F64:
    out: F64 = np.real(np.fft.ifft2(np.fft.fft2(tile) * _embed_emphasis()))
    return out


def _downsample_spec(spec: npt.NDArray[np.complex128]) -> F64:
    """Adjoint of :func:`_upsample` (up to scale), from the tile's spectrum."""
    small = np.zeros((CELLS, CELLS), dtype=np.complex128)
    h = CELLS // 2
    small[:h, :h] = spec[:h, :h]
    small[:h, -h:] = spec[:h, -h:]
    small[-h:, :h] = spec[-h:, :h]
    small[-h:, -h:] = spec[-h:, -h:]
    return np.real(np.fft.ifft2(small))


@dataclass(frozen=True)
class _Layout:
    sync_cells: npt.NDArray[np.int64]
    sync_chips: F64
    pay_cells: npt.NDArray[np.int64]
    pay_chips: F64
    pay_bit: npt.NDArray[np.int64]
    # conjugated real-input half (128 x 65) of the sync-only tile's FFT
    sync_rspec_conj: npt.NDArray[np.complex128]


@functools.lru_cache(maxsize=8)
def _layout(key: bytes) -> _Layout:
    rng = keyed_rng(key, "mediaproof/wm/image/v1/layout")
    perm = rng.permutation(CELLS * CELLS)
    sync_cells = np.sort(perm[:N_SYNC])
    pay_cells = perm[N_SYNC:]
    sync_chips = rng.choice([-1.0, 1.0], size=N_SYNC)
    pay_chips = rng.choice([-1.0, 1.0], size=pay_cells.size)
    pay_bit = np.arange(pay_cells.size) % N_CODED
    cells = np.zeros(CELLS * CELLS)
    cells[sync_cells] = sync_chips
    sync_tile = _emphasise(_upsample(cells.reshape(CELLS, CELLS)))
    return _Layout(
        sync_cells,
        sync_chips,
        pay_cells,
        pay_chips,
        pay_bit,
        np.conj(np.fft.rfft2(sync_tile)),
    )


def _info_bits(payload: Payload) -> npt.NDArray[np.uint8]:
    if not 0 <= payload.asset_id < 1 << ID_BITS:
        raise PayloadError(f"asset ID {payload.asset_id} does not fit in {ID_BITS} bits")
    if not 0 <= payload.version < 1 << VERSION_BITS:
        raise PayloadError(f"version {payload.version} does not fit in {VERSION_BITS} bits")
    data = np.concatenate(
        [int_to_bits(payload.asset_id, ID_BITS), int_to_bits(payload.version, VERSION_BITS)]
    )
    return append_crc(data)


def make_tile(key: bytes, payload: Payload) -> F64:
    """The 128x128 mark tile (unit RMS) for ``payload`` under ``key``."""
    lay = _layout(key)
    coded = conv_encode(_info_bits(payload)).astype(np.float64) * 2.0 - 1.0
    cells = np.zeros(CELLS * CELLS)
    cells[lay.sync_cells] = lay.sync_chips
    cells[lay.pay_cells] = lay.pay_chips * coded[lay.pay_bit]
    tile = _emphasise(_upsample(cells.reshape(CELLS, CELLS)))
    return tile / float(np.sqrt(np.mean(tile**2)))


# --- pixels -------------------------------------------------------------------------


def _check_image(media: Media) -> npt.NDArray[np.uint8]:
    img = np.asarray(media)
    if img.dtype != np.uint8:
        raise PayloadError(f"expected uint8 pixels, got {img.dtype}")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
        raise PayloadError(f"expected HxW or HxWx(1|3|4) pixels, got shape {img.shape}")
    if min(img.shape[:2]) < 64:
        raise MediaTooSmallError(f"image {img.shape[1]}x{img.shape[0]} is under 64 px")
    return img.astype(np.uint8, copy=False)


def luminance(img: npt.NDArray[np.uint8]) -> F32:
    # cvtColor rounds to uint8; the fractional part does not matter for detection
    return luminance_u8(img).astype(np.float32)


def luminance_u8(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The luminance in grey levels (a view of a greyscale image, not a copy)."""
    if img.ndim == 2:
        return img
    if img.shape[2] == 1:
        return img[:, :, 0]
    y = cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_RGB2GRAY)
    return np.asarray(y, dtype=np.uint8)


def _resize_area(y: F32, area: int) -> F32:
    """Downscale to about ``area`` pixels: an area rule (not a long-side rule) gives
    wide images as many tiles as square ones."""
    h, w = y.shape
    f = min(1.0, math.sqrt(area / (h * w)))
    if f >= 1.0:
        return y
    size = (max(1, round(w * f)), max(1, round(h * f)))
    out: F32 = np.asarray(cv2.resize(y, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    return out


def working_luma(y: npt.NDArray[np.uint8], area: int) -> F32:
    """The embedder's working-size luminance: :func:`_resize_area` of the plane. An
    image over four times ``area`` (1 MP) is filtered as its 8-bit plane, the output
    rounded to grey levels (half a level at most, far under the mask's floor), without
    the float copy of the full plane the filter ran on before (~25 ms CPU of converting
    and filtering at 12 MP, now ~15); a smaller one exactly as before, bit for bit."""
    h, w = y.shape
    f = min(1.0, math.sqrt(area / (h * w)))
    if f >= 0.5:
        return _resize_area(y.astype(np.float32), area)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(np.ascontiguousarray(y), size, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32)


def perceptual_mask(
    yw: F32, a_min: float | None = None, k_act: float | None = None, a_max: float | None = None
) -> F32:
    """Mark amplitude per working pixel (grey levels): flat areas get ``A_MIN``."""
    a_min = A_MIN if a_min is None else a_min
    k_act = K_ACT if k_act is None else k_act
    a_max = A_MAX if a_max is None else a_max
    # the same operations as the plain expressions, computed in place: ~1 MB arrays
    # at the working size, and each fresh one costs its page faults
    mu = np.asarray(cv2.GaussianBlur(yw, (0, 0), 2.0), dtype=np.float32)
    sq = np.multiply(yw, yw)
    act = np.asarray(cv2.GaussianBlur(sq, (0, 0), 2.0), dtype=np.float32)
    act -= np.multiply(mu, mu, out=sq)  # local variance
    np.maximum(act, 0.0, out=act)
    np.sqrt(act, out=act)  # local std
    amp = act
    amp *= k_act
    amp += a_min
    np.clip(amp, a_min, a_max, out=amp)
    # near black and white there is no headroom, and clipping would bias the mark
    room = np.subtract(255.0, mu, out=sq)
    np.minimum(mu, room, out=room)
    room /= 12.0
    np.clip(room, 0.3, 1.0, out=room)
    amp *= room
    out: F32 = np.asarray(cv2.GaussianBlur(amp, (0, 0), 1.5), dtype=np.float32)
    return out
