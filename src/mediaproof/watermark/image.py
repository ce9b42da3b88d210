"""Keyed spread-spectrum image watermark with a self-synchronising tiled pattern.

How it works (docs/watermark.md has the numbers and the false-claim calculation):

* A 128 x 128 tile is defined at a canonical working resolution (about 512 x 512 pixels).
  Its 32 x 32 "cells" carry +-1 chips: 160 cells are a keyed sync pattern, 864 carry the
  234 coded bits (48 payload bits + CRC-24, rate-1/3 K=7 convolutional code), each bit
  spread over 3-4 keyed cells with keyed signs. The cell grid is band-limited to the tile
  by Fourier interpolation, so the mark is smooth (no block edges to see or to lose).
* The tile is repeated over the working-resolution luminance, scaled by a perceptual
  mask (local contrast: textured areas take more, flat areas almost nothing), upsampled
  to the full image and added equally to R, G and B (a luminance-only change).
* The detector whitens the luminance, finds the tiling lattice in its autocorrelation
  (scale and rotation), warps the image back to the canonical scale, folds all tiles
  into one, finds the translation by correlating with the sync pattern, and decodes the
  payload with a soft Viterbi decoder. A claim needs CRC-24 to pass and the sync z-score
  to clear its threshold.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from mediaproof.watermark.coding import (
    CRC_BITS,
    bits_to_int,
)
from mediaproof.watermark.errors import MediaTooSmallError, PayloadError

# The tile and the detector internals live in their own modules (image_tile,
# image_sync); their names stay importable from here.
from mediaproof.watermark.image_sync import MAX_DECODES as MAX_DECODES
from mediaproof.watermark.image_sync import SYNC_THRESHOLD as SYNC_THRESHOLD
from mediaproof.watermark.image_sync import _acfs as _acfs
from mediaproof.watermark.image_sync import _decode as _decode
from mediaproof.watermark.image_sync import _fold as _fold
from mediaproof.watermark.image_sync import _highpass_response as _highpass_response
from mediaproof.watermark.image_sync import _Hypothesis as _Hypothesis
from mediaproof.watermark.image_sync import _hypothesis as _hypothesis
from mediaproof.watermark.image_sync import _lattice_candidates as _lattice_candidates
from mediaproof.watermark.image_sync import _Lazy as _Lazy
from mediaproof.watermark.image_sync import _min_scale as _min_scale
from mediaproof.watermark.image_sync import _refine as _refine
from mediaproof.watermark.image_sync import _sync as _sync
from mediaproof.watermark.image_sync import _whiten as _whiten
from mediaproof.watermark.image_tile import A_MAX as A_MAX
from mediaproof.watermark.image_tile import A_MIN as A_MIN
from mediaproof.watermark.image_tile import ANALYSIS_AREA as ANALYSIS_AREA
from mediaproof.watermark.image_tile import F32 as F32
from mediaproof.watermark.image_tile import ID_BITS as ID_BITS
from mediaproof.watermark.image_tile import K_ACT as K_ACT
from mediaproof.watermark.image_tile import TILE as TILE
from mediaproof.watermark.image_tile import VERSION_BITS as VERSION_BITS
from mediaproof.watermark.image_tile import WORK_AREA as WORK_AREA
from mediaproof.watermark.image_tile import _check_image as _check_image
from mediaproof.watermark.image_tile import _layout as _layout
from mediaproof.watermark.image_tile import _resize_area as _resize_area
from mediaproof.watermark.image_tile import luminance as luminance
from mediaproof.watermark.image_tile import luminance_u8 as luminance_u8
from mediaproof.watermark.image_tile import make_tile as make_tile
from mediaproof.watermark.image_tile import perceptual_mask as perceptual_mask
from mediaproof.watermark.image_tile import working_luma as working_luma
from mediaproof.watermark.models import Detection, Payload
from mediaproof.watermark.protocol import Media

# --- the scheme -----------------------------------------------------------------------


class SpreadSpectrumImageScheme:
    """``ss-tile-v1``: the default image scheme (see the module docstring)."""

    name = "ss-tile-v1"
    kind = "image"
    payload_bits = ID_BITS
    version_bits = VERSION_BITS

    def __init__(
        self,
        strength: float = 1.0,
        sync_threshold: float = SYNC_THRESHOLD,
        mask: tuple[float, float, float] | None = None,
    ) -> None:
        self.strength = strength
        self.sync_threshold = sync_threshold
        # (floor, slope, cap) of the embedding mask; None: the module's tuned values
        self.mask = mask
        if mask is not None and not (0 < mask[0] <= mask[2] and mask[1] >= 0):
            raise ValueError(f"mask {mask}: need 0 < floor <= cap and slope >= 0")

    def embed(
        self, media: Media, payload: Payload, key: bytes, *, sample_rate: int | None = None
    ) -> Media:
        img = _check_image(media)
        mark = self.mark_for(img, payload, key)
        # round the mark once (the pixel gets pixel + rint(mark)) and add it with
        # saturating uint8 arithmetic: OpenCV's conversions round half to even, as
        # np.rint, and saturate, so ``pos`` and ``neg`` are clip(rint(mark), 0, 255) and
        # clip(-rint(mark), 0, 255), from one rounded int16 copy of the mark (~20 ms less
        # at 12 MP than a max/min and convertScaleAbs pass over the float mark for each)
        m16 = cv2.add(mark, 0.0, dtype=cv2.CV_16S)
        pos = np.asarray(cv2.add(m16, 0, dtype=cv2.CV_8U), dtype=np.uint8)
        # (a scalar first operand, which OpenCV takes and its stubs do not name)
        neg = np.asarray(cv2.subtract(0, m16, dtype=cv2.CV_8U), dtype=np.uint8)  # type: ignore[call-overload]
        if img.ndim == 2 or img.shape[2] == 1:
            flat = img.reshape(img.shape[:2])
            out2 = cv2.subtract(cv2.add(flat, pos), neg)
            return np.asarray(out2, dtype=np.uint8).reshape(img.shape)
        added = cv2.add(np.ascontiguousarray(img[:, :, :3]), cv2.merge([pos, pos, pos]))
        rgb = np.asarray(cv2.subtract(added, cv2.merge([neg, neg, neg])), dtype=np.uint8)
        if img.shape[2] == 3:
            return np.asarray(rgb, dtype=np.uint8)
        marked: npt.NDArray[np.uint8] = img.copy()
        marked[:, :, :3] = rgb
        return marked

    def embed_luma(
        self, y: npt.NDArray[np.uint8], payload: Payload, key: bytes
    ) -> npt.NDArray[np.uint8]:
        """``embed`` on a luminance plane alone (e.g. a JPEG's Y, decoded without its
        colour conversion), with the mark ``embed`` adds to R, G and B of pixels whose
        luminance is ``y`` (adding the same amount to R, G and B adds it to Y and leaves
        Cb and Cr as they were): rint(y + mark) in single precision, saturated, in one
        pass. That is y + rint(mark) but where the sum lands on a half (a grey level
        on a few pixels in a million)."""
        if y.ndim != 2 or y.dtype != np.uint8:
            raise PayloadError(f"expected an HxW uint8 plane, got {y.dtype} {y.shape}")
        if min(y.shape) < 64:
            raise MediaTooSmallError(f"image {y.shape[1]}x{y.shape[0]} is under 64 px")
        mark = self.mark_for_luma(y, payload, key)
        return np.asarray(cv2.add(y, mark, dtype=cv2.CV_8U), dtype=np.uint8)

    def mark_for(self, img: npt.NDArray[np.uint8], payload: Payload, key: bytes) -> F32:
        """The luminance change (grey levels, full resolution) that ``embed`` adds."""
        return self.mark_for_luma(luminance_u8(img), payload, key)

    def mark_for_luma(self, y: npt.NDArray[np.uint8], payload: Payload, key: bytes) -> F32:
        """:meth:`mark_for` from the luminance (grey levels) of the image."""
        tile = make_tile(key, payload)
        h, w = y.shape
        yw = working_luma(y, WORK_AREA)
        hw, ww = yw.shape
        reps = (-(-hw // TILE), -(-ww // TILE))
        pattern = np.tile(tile, reps)[:hw, :ww].astype(np.float32)
        a_min, k_act, a_max = self.mask or (A_MIN, K_ACT, A_MAX)
        mark_w = perceptual_mask(yw, a_min, k_act, a_max) * pattern * np.float32(self.strength)
        if (hw, ww) != (h, w):
            mark_w = np.asarray(
                cv2.resize(mark_w, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32
            )
        return mark_w.astype(np.float32, copy=False)

    def detect(self, media: Media, key: bytes, *, sample_rate: int | None = None) -> Detection:
        arr = np.asarray(media)
        img: npt.NDArray[np.uint8] = (
            arr.astype(np.uint8, copy=False)
            if arr.dtype == np.uint8
            else np.clip(arr.astype(np.float64), 0, 255).astype(np.uint8)
        )
        return self.detect_luma(luminance(img), key)

    def detect_luma(self, y: F32, key: bytes) -> Detection:
        """Detection on luminance that may already be reduced (e.g. a JPEG draft decode)."""
        lay = _layout(key)
        if min(y.shape) < 64:
            return self._none(0.0, 0, {"reason": "image under 64 px"})
        ya = _resize_area(y, ANALYSIS_AREA)
        r = _whiten(ya)
        hyps: list[_Hypothesis] = []
        seen: list[tuple[float, float]] = []
        s_min = 0.98 * _min_scale(r.shape)
        plain, flat, cx = _acfs(r)
        scratch = np.empty_like(plain)
        for a in (plain, flat):
            for s0, th0, score in _lattice_candidates(a, cx, r.shape, scratch):
                s1, th1 = _refine(a, cx, r.shape, s0, th0)
                # a lattice at twice the period scores the same, and one at half the
                # period still hits every other true peak: try both neighbours
                for s, th in ((s1, th1), (s1 / 2.0, th1), (s1 * 2.0, th1)):
                    if not s_min <= s <= max(r.shape) / TILE or any(
                        abs(s / ps - 1) < 0.01 and abs(th - pt) < 0.005 for ps, pt in seen
                    ):
                        continue
                    seen.append((s, th))
                    hyps.append(_hypothesis(r, s, th, score, lay))
        n_hyp = len(hyps) * TILE * TILE
        if not hyps:
            return self._none(0.0, 0, {"reason": "no tiling lattice found"})
        hyps.sort(key=lambda hh: hh.sync_z, reverse=True)
        best = hyps[0]
        decodes = 0
        for rank, hyp in enumerate(hyps[: MAX_DECODES // 2]):
            if hyp.sync_z < self.sync_threshold:
                break
            tries = [hyp]
            if rank < 2:
                # if the first read fails, polish the geometry on the sync statistic
                # itself: the payload needs a sharper fold than the sync peak does
                tries.append(_Lazy(r, hyp, lay))  # type: ignore[arg-type]
            for cand in tries:
                h_ = cand.get() if isinstance(cand, _Lazy) else cand
                if h_.sync_z < self.sync_threshold:
                    continue
                decodes += 1
                bits, ok, metric = _decode(h_, lay)
                if ok:
                    return self._claim(h_, bits, metric, decodes, n_hyp)
        return self._none(
            best.sync_z,
            n_hyp,
            {
                "scale": best.scale,
                "rotation_deg": math.degrees(best.rotation),
                "decodes": decodes,
            },
        )

    def _bound(self, decodes: int) -> float:
        # each payload decode of an unmarked image passes CRC-24 with probability 2^-24;
        # the sync threshold only lowers this further, so it is left out of the bound
        return max(decodes, 1) * 2.0**-CRC_BITS

    def _claim(
        self,
        hyp: _Hypothesis,
        bits: npt.NDArray[np.uint8],
        metric: float,
        decodes: int,
        n_hyp: int,
    ) -> Detection:
        asset_id = bits_to_int(bits[:ID_BITS])
        version = bits_to_int(bits[ID_BITS : ID_BITS + VERSION_BITS])
        return Detection(
            scheme=self.name,
            claimed=True,
            payload=Payload(asset_id, version),
            crc_ok=True,
            sync_score=hyp.sync_z,
            sync_threshold=self.sync_threshold,
            false_claim_bound=self._bound(decodes),
            hypotheses=n_hyp,
            details={
                "scale": hyp.scale,
                "rotation_deg": math.degrees(hyp.rotation),
                "shift": list(hyp.shift),
                "viterbi_metric": metric,
                "decodes": decodes,
            },
        )

    def _none(self, z: float, n_hyp: int, details: dict[str, Any]) -> Detection:
        return Detection(
            scheme=self.name,
            claimed=False,
            payload=None,
            crc_ok=False,
            sync_score=z,
            sync_threshold=self.sync_threshold,
            false_claim_bound=self._bound(int(details.get("decodes", 0))),
            hypotheses=n_hyp,
            details=details,
        )
