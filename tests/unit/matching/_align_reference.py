"""The difference map as it was computed before it moved to OpenCV (scipy.ndimage
filters, numpy least squares): the reference the fast path must agree with."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from mediaproof.matching.align import COLOUR_FIT_KEEP, COLOUR_FIT_PRIOR, COLOUR_FIT_ROUNDS
from mediaproof.matching.align import SIGMA_DIVISOR as SIGMA_DIVISOR


def erode(mask: NDArray[np.bool_], iterations: int) -> NDArray[np.bool_]:
    out: NDArray[np.bool_] = ndimage.binary_erosion(mask, iterations=iterations)
    return out


def match_colours(
    a: NDArray[np.float32], b: NDArray[np.float32], valid: NDArray[np.bool_]
) -> NDArray[np.float32]:
    """``b`` with a global colour transform (3x3 matrix and offset, least squares over
    the compared area) that brings it closest to ``a``: undoes brightness, contrast,
    saturation and tint changes, which are not edits of the content."""
    av = a[valid]
    bv = b[valid]
    if len(av) < 16:
        return b
    step = max(1, len(av) // 50_000)
    av, bv = av[::step], bv[::step]
    x = np.concatenate([bv, np.ones((len(bv), 1), np.float32)], axis=1)
    keep = np.ones(len(av), dtype=bool)
    # pseudo-pixels that pin the transform to "no change" where the picture does not
    # determine it: in a picture of greys and skin tones, a bare fit is free to map an
    # unseen colour (a pasted green box) onto anything, hiding the edit
    prior_x = np.concatenate([np.eye(3, dtype=np.float32), np.zeros((3, 1), np.float32)], axis=1)
    prior_a = np.eye(3, dtype=np.float32)
    for _ in range(COLOUR_FIT_ROUNDS):
        # each refit leaves out the worst-fitting share of pixels: a pasted region must
        # not pull the colour transform towards itself
        w = np.float32(np.sqrt(COLOUR_FIT_PRIOR * keep.sum()))
        m, *_ = np.linalg.lstsq(
            np.concatenate([x[keep], w * prior_x]),
            np.concatenate([av[keep], w * prior_a]),
            rcond=None,
        )
        residual = np.abs(x @ m - av).max(axis=1)
        keep = residual <= np.quantile(residual, COLOUR_FIT_KEEP)
    out = b.reshape(-1, 3) @ m[:3] + m[3]
    return np.asarray(out.reshape(b.shape), dtype=np.float32)


def difference(
    a: NDArray[np.float32], b: NDArray[np.float32], valid: NDArray[np.bool_], threshold: float
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Per-pixel difference (the largest over the colour channels, after matching the
    copy's colours to the original's over the compared area and blurring away
    compression noise) and the thresholded, cleaned-up mask of changed pixels."""
    h, w = a.shape[:2]
    sigma = max(1.0, max(h, w) / SIGMA_DIVISOR)
    bn = match_colours(a, b, valid)
    # outside the compared area the copy has nothing: keep it out of the blur
    bn = np.where(valid[..., None], bn, a)
    diff = np.zeros((h, w), dtype=np.float32)
    for c in range(3):
        d = np.abs(
            ndimage.gaussian_filter(a[..., c], sigma) - ndimage.gaussian_filter(bn[..., c], sigma)
        )
        diff = np.maximum(diff, d.astype(np.float32))
    diff[~valid] = 0.0
    mask = diff > threshold
    mask = ndimage.binary_closing(mask, iterations=2)
    mask = ndimage.binary_opening(mask, iterations=1)
    mask &= valid
    return diff, mask
