"""The image watermark's detector internals: whitening, the tiling lattice from the
autocorrelation (scale and rotation), folding the tiles into one, the translation from
the sync pattern, and the payload's soft decoding (:mod:`mediaproof.watermark.image`)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import scipy.fft
from scipy import ndimage

from mediaproof.watermark.coding import (
    check_crc,
    viterbi_decode,
)
from mediaproof.watermark.image_tile import (
    DET_A_MAX,
    DET_A_MIN,
    DET_K_ACT,
    F32,
    F64,
    N_CODED,
    N_INFO,
    TILE,
    WORK_AREA,
    _downsample_spec,
    _embed_emphasis,
    _Layout,
    perceptual_mask,
)

# Geometry search.
MAX_ROTATION_DEG = 6.0
ROT_STEP_DEG = 0.5
SCALE_MIN = 0.18  # tile period 23 px in the analysis image
SCALE_STEP = 0.01  # relative
N_LATTICE_CANDIDATES = 5
SYNC_THRESHOLD = 5.0  # z-score of the best of 16,384 translations (see docs)
MAX_DECODES = 8  # payload decodes tried per image (hypotheses counted in the bound)
WHITEN_SIGMA = 3.0

_LATTICE_POINTS = np.array(
    [(k, j) for k in range(-2, 3) for j in range(-2, 3) if (k > 0 or (k == 0 and j > 0))],
    dtype=np.float64,
)
_REFINE_POINTS = np.array(  # the refinement also reads more distant lattice points
    [(k, j) for k in range(-4, 5) for j in range(-4, 5) if (k > 0 or (k == 0 and j > 0))],
    dtype=np.float64,
)


# --- detection internals -------------------------------------------------------------


def _whiten(y: F32) -> F32:
    """High-pass residual weighted for detection: each pixel counts in proportion to
    its expected mark amplitude (the embedder's mask, recomputed here) over the local
    residual variance, the matched weighting for a signal in varying noise."""
    # the plain expressions, computed in place (see perceptual_mask)
    hp = np.asarray(cv2.GaussianBlur(y, (0, 0), WHITEN_SIGMA), dtype=np.float32)
    np.subtract(y, hp, out=hp)
    sq = np.multiply(hp, hp)
    var = np.asarray(cv2.GaussianBlur(sq, (0, 0), 6.0), dtype=np.float32)
    r = perceptual_mask(y, DET_A_MIN, DET_K_ACT, DET_A_MAX)
    r *= hp
    var += 1.0
    r /= var
    r /= float(np.sqrt(np.mean(np.multiply(r, r, out=sq)))) + 1e-9
    np.clip(r, -4.0, 4.0, out=r)
    # padding added by rotations or letterboxing is perfectly flat; its straight edge
    # would draw a ridge through the autocorrelation, so blank it and its rim
    np.abs(hp, out=hp)
    fill = (np.asarray(cv2.GaussianBlur(hp, (0, 0), 1.5)) < 0.15).astype(np.uint8)
    if fill.any():
        rim = np.asarray(cv2.dilate(fill, np.ones((15, 15), np.uint8)))
        r[rim > 0] = 0.0
    return r


def _flatten(power: F32, out: F32 | None = None) -> F32:
    """Spectral whitening: a tiling shows as lines in the spectrum; dividing by the
    smoothed spectrum removes the host's colour so its texture makes fewer short-lag
    peaks (a few hosts lose the lattice this way, so both variants are searched)."""
    smooth = np.asarray(cv2.GaussianBlur(power, (0, 0), 6.0, dst=out), dtype=np.float32)
    smooth += np.float32(1e-12)
    flat: F32 = np.divide(power, smooth, out=smooth)  # in place: fewer fresh pages
    return flat


class _AcfWorkspace:
    """Scratch arrays and constants of one autocorrelation shape (~15 MB at 640 px).

    Fresh arrays of this size are mapped from the OS on each call and page-faulted in
    (a fifth of :func:`_acfs`' CPU time when measured), so a few are kept for reuse."""

    def __init__(self, h: int, w: int, hh: int, ww: int) -> None:
        self.key = (h, w, hh, ww)
        self.spec = np.empty((hh, ww // 2 + 1), dtype=np.complex64)
        self.power: F32 = np.empty((hh, ww // 2 + 1), dtype=np.float32)
        self.flat: F32 = np.empty((hh, ww // 2 + 1), dtype=np.float32)
        self.power_scratch: F32 = np.empty((hh, ww // 2 + 1), dtype=np.float32)
        self.blur: F32 = np.empty((hh, ww), dtype=np.float32)
        # (-1)^(ky + kx): multiplying a spectrum by it moves lag 0 of the inverse
        # transform to the centre (hh/2, ww/2) exactly, which is what fftshift does,
        # when both sizes are even (getOptimalDFTSize may give odd ones, e.g. 675)
        self.checker: F32 | None = None
        if hh % 2 == 0 and ww % 2 == 0:
            ky, kx = np.arange(hh) % 2, np.arange(ww // 2 + 1) % 2
            self.checker = (1 - 2 * ((ky[:, None] + kx[None, :]) % 2)).astype(np.float32)
        # sqrt(overlap) per lag, arranged as the centred autocorrelation
        lag_y = np.abs(np.arange(hh) - hh // 2)
        lag_x = np.abs(np.arange(ww) - ww // 2)
        overlap = np.maximum(h - lag_y, 1)[:, None] * np.maximum(w - lag_x, 1)[None, :]
        self.root: F32 = np.sqrt(overlap.astype(np.float64)).astype(np.float32)


_WORKSPACES: list[_AcfWorkspace] = []
_WORKSPACES_LOCK = threading.Lock()
_MAX_WORKSPACES = 2  # kept for reuse; detections running beyond that allocate their own


def _take_workspace(h: int, w: int, hh: int, ww: int) -> _AcfWorkspace:
    with _WORKSPACES_LOCK:
        for i, ws in enumerate(_WORKSPACES):
            if ws.key == (h, w, hh, ww):
                return _WORKSPACES.pop(i)
    return _AcfWorkspace(h, w, hh, ww)


def _give_workspace(ws: _AcfWorkspace) -> None:
    with _WORKSPACES_LOCK:
        _WORKSPACES.insert(0, ws)
        del _WORKSPACES[_MAX_WORKSPACES:]


def _acf_left_margin(h: int) -> int:
    """Columns left of lag 0 that the lattice search can read in an autocorrelation of
    an image of ``h`` rows, with room for the blur, dilation and interpolation.

    The search samples lags s T R(theta) (k, q) with k > 0, or k = 0 and q > 0, |theta|
    under 6.4 degrees and |q| <= 4 (:func:`_refine`). With k >= 1 the lag's x is
    positive (cos - 4 sin > 0); with k = 0 it is -tan(theta) times its y, and a lag
    that fits has |y| < h - 12. So x > -(h - 12) tan(6.4 deg), and the map's values
    further left are never read. The margin allows 7 degrees, the 1 + 1 columns of
    interpolation and dilation, and the sigma-4 blur's 16 (ksize 33) plus 4 spare."""
    return int((h - 12) * math.tan(math.radians(MAX_ROTATION_DEG + 1.0))) + 22


def _centred_inverse(p: F32, ws: _AcfWorkspace, x0: int) -> F32:
    """Inverse transform of the power spectrum ``p`` (real-input half, even sizes),
    lag 0 centred, columns from ``x0`` on; half the work of the plain inverse.

    Multiplying by the checkerboard centres lag 0 (an exact fftshift). The spectrum is
    real, so its transform over columns is conjugate-symmetric and a real-input FFT
    gives the half of it that the output rows 0..hh/2 need (the rows above and at lag
    0); conjugating a row's input reverses that row's output, and an autocorrelation is
    point-symmetric (a[-l] = a[l]), so the rows below lag 0 are those rows read
    bottom-up. The result is the plain inverse times hh, which the caller's division
    by the lag-0 variance removes."""
    hh, ww = ws.blur.shape
    cy = hh // 2
    assert ws.checker is not None  # even sizes only
    np.multiply(p, ws.checker, out=ws.power_scratch)
    half = scipy.fft.rfft(ws.power_scratch, axis=0)  # rows ky -> ny = 0..hh/2
    t = scipy.fft.irfft(half, n=ww, axis=1, overwrite_x=True)  # (hh/2 + 1) x ww
    del half
    a: F32 = np.empty((hh, ww - x0), dtype=np.float32)
    # a[cy - i, x] = t[cy - i, -x mod ww] (conjugate input: the row reversed) ...
    a[:cy] = t[:cy, ww - x0 : 0 : -1]
    # ... and a[cy + i, x] = a[cy - i, -x] = t[cy - i, x] (point symmetry)
    a[cy:] = t[cy:0:-1, x0:]
    return a


def _acfs(r: F32) -> tuple[F32, F32, int]:
    """Autocorrelation of ``r`` as a per-lag z-score: the sum of products over the
    overlap divided by sqrt(overlap), so lags with little overlap are not noise peaks
    and small lags (many overlapping pixels) do not dominate. Two variants from one
    forward FFT: plain, and with spectral whitening (:func:`_flatten`).

    The maps are centred on lag 0 in rows; in columns they keep only what the lattice
    search can read (:func:`_acf_left_margin`; an autocorrelation is point-symmetric,
    and the search reads one half-plane): lag 0 is at the returned column index.

    Single precision throughout (the lattice search always read these maps as float32):
    its FFTs and blurs cost a third of double's, and the rounding moves the z-scores
    the search reads by < 1e-4 (tests/unit compares with the double version)."""
    h, w = r.shape
    # real-input transform sizes: 2h x 2w rounded up to 2^a 3^b 5^c (no circular wrap)
    hh, ww = cv2.getOptimalDFTSize(2 * h), cv2.getOptimalDFTSize(2 * w)
    x0 = max(0, ww // 2 - _acf_left_margin(h))  # first column kept
    ws = _take_workspace(h, w, hh, ww)
    try:
        # forward transform of r zero-padded to hh x ww: along rows for the h rows of
        # r only (the padding rows transform to zeros), then along columns in place
        ws.spec[:h] = scipy.fft.rfft(r, n=ww, axis=1)
        ws.spec[h:] = 0
        spec = scipy.fft.fft(ws.spec, axis=0, overwrite_x=True)
        power = np.square(spec.real, out=ws.power)
        power += np.square(spec.imag, out=ws.flat)
        del spec
        out: list[F32] = []
        for p in (power, _flatten(power, out=ws.flat)):
            if ws.checker is not None and x0 > 0:
                a = _centred_inverse(p, ws, x0)
            else:
                # odd sizes: inverse transform, in two steps so that the first (over
                # columns) can run in place, then fftshift
                ws.spec.real = p
                ws.spec.imag = 0.0
                cols = scipy.fft.ifft(ws.spec, axis=0, overwrite_x=True)
                a = np.fft.fftshift(scipy.fft.irfft(cols, n=ww, axis=1))[:, x0:]
                del cols
            var = np.float32(a[hh // 2, ww // 2 - x0] / (h * w) + 1e-12)
            a /= ws.root[:, x0:]
            a /= var
            # remove the broad lobe of the host's own correlation; keep narrow peaks
            a -= cv2.GaussianBlur(a, (0, 0), 4.0, dst=ws.blur[:, : ww - x0])
            out.append(a)
    finally:
        _give_workspace(ws)
    return out[0], out[1], ww // 2 - x0


def _min_scale(shape: tuple[int, int]) -> float:
    """Smallest tile scale possible in an analysis image of this shape.

    Embedding and analysis use the same area rule, so only a copy with fewer pixels
    than the working area can show the tile below scale 1 (crops and zooms enlarge it).
    This prior removes the fine texture periodicities that otherwise outrank the mark.
    """
    h, w = shape
    return max(SCALE_MIN, 0.85 * math.sqrt(min(1.0, h * w / WORK_AREA)))


def _sample_lags(a: F32, cx: int, dy: F64, dx: F64, valid: npt.NDArray[np.bool_]) -> F32:
    """Bilinear samples of the map ``a`` (lag 0 at row h/2, column ``cx``) at lags
    (dy, dx) where ``valid``, zero elsewhere. Valid lags lie inside the map (it spans
    twice the image), so only they are read: the same values as sampling every lag and
    zeroing the rest, for less work."""
    cy = a.shape[0] // 2
    # the maps keep only the columns the search reads (_acf_left_margin)
    # (a map cut on the left has lag 0 left of its middle; a whole one is never cut)
    assert cx == a.shape[1] // 2 or not valid.any() or float(dx[valid].min()) > 20 - cx
    vals = np.zeros(dy.shape, dtype=a.dtype)
    vals[valid] = ndimage.map_coordinates(a, [cy + dy[valid], cx + dx[valid]], order=1)
    return vals


def _lattice_candidates(
    a: F32, cx: int, shape: tuple[int, int], scratch: F32 | None = None
) -> list[tuple[float, float, float]]:
    """Top (scale, rotation_rad, score) tiling lattices in the autocorrelation ``a``
    (lag 0 at column ``cx``; ``scratch``: an array of its shape and type to hold the
    dilated map)."""
    h, w = shape
    s_min = _min_scale(shape)
    ad: F32 = np.asarray(
        cv2.dilate(np.asarray(a, dtype=np.float32), np.ones((3, 3), np.uint8), dst=scratch),
        dtype=np.float32,
    )
    s_max = (max(h, w) - 16) / TILE
    if s_max <= s_min:
        return []
    n_s = int(math.log(s_max / s_min) / math.log1p(SCALE_STEP)) + 1
    scales = s_min * (1 + SCALE_STEP) ** np.arange(n_s)
    thetas = np.deg2rad(np.arange(-MAX_ROTATION_DEG, MAX_ROTATION_DEG + 1e-9, ROT_STEP_DEG))
    c, sn = np.cos(thetas), np.sin(thetas)
    k, q = _LATTICE_POINTS[:, 0], _LATTICE_POINTS[:, 1]
    # lag (dx, dy) = s * T * R(theta) @ (k, q)
    dx = TILE * scales[:, None, None] * (c[None, :, None] * k - sn[None, :, None] * q)
    dy = TILE * scales[:, None, None] * (sn[None, :, None] * k + c[None, :, None] * q)
    valid = (np.abs(dx) < w - 12) & (np.abs(dy) < h - 12)
    vals = _sample_lags(ad, cx, dy, dx, valid)
    n_valid = valid.sum(axis=2)
    # the lattice's combined z: per-lag z-scores summed over the points that fit
    score = vals.sum(axis=2) / np.sqrt(np.maximum(n_valid, 1))
    score[n_valid < 2] = -np.inf
    out: list[tuple[float, float, float]] = []
    sc = score.copy()
    for _ in range(N_LATTICE_CANDIDATES):
        i, j = np.unravel_index(int(np.argmax(sc)), sc.shape)
        if not np.isfinite(sc[i, j]):
            break
        out.append((float(scales[i]), float(thetas[j]), float(sc[i, j])))
        # suppress neighbours of this peak (same lattice at a nearby scale/angle)
        sc[max(0, i - 4) : i + 5, max(0, j - 2) : j + 3] = -np.inf
    return out


def _refine(
    a: F32, cx: int, shape: tuple[int, int], s: float, th: float, span: float = 0.012
) -> tuple[float, float]:
    """Finer grid around one lattice candidate, with more distant lattice points."""
    h, w = shape
    scales = s * (1 + np.linspace(-span, span, 2 * round(span / 0.002) + 1))
    thetas = th + np.deg2rad(np.linspace(-0.4, 0.4, 17))
    c, sn = np.cos(thetas), np.sin(thetas)
    k, q = _REFINE_POINTS[:, 0], _REFINE_POINTS[:, 1]
    dx = TILE * scales[:, None, None] * (c[None, :, None] * k - sn[None, :, None] * q)
    dy = TILE * scales[:, None, None] * (sn[None, :, None] * k + c[None, :, None] * q)
    valid = (np.abs(dx) < w - 12) & (np.abs(dy) < h - 12)
    score = _sample_lags(a, cx, dy, dx, valid).sum(axis=2)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(scales[i]), float(thetas[j])


def _fold(r: F32, s: float, th: float) -> F64:
    """Warp ``r`` to the canonical scale/orientation and sum all tiles into one."""
    h, w = r.shape
    c, sn = math.cos(th), math.sin(th)
    # canonical (u, v) -> analysis (x, y) = s R (u, v) + t; find t so that all of r fits
    inv = np.array([[c, sn], [-sn, c]]) / s
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=np.float64)
    uv = corners @ inv.T
    umin, vmin = uv.min(axis=0)
    wo, ho = (uv.max(axis=0) - uv.min(axis=0)).astype(int) + 2
    m = np.array([[s * c, -s * sn, 0.0], [s * sn, s * c, 0.0]])
    m[:, 2] = m[:, :2] @ np.array([umin, vmin])
    src = r
    if s > 1.6:  # shrinking: low-pass first so the warp does not alias
        src = np.asarray(cv2.GaussianBlur(r, (0, 0), 0.35 * s), dtype=np.float32)
    out = cv2.warpAffine(
        src,
        m,
        (int(wo), int(ho)),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    # sum the tiles (the last row and column of tiles may be partial: zeros beyond)
    folded: F64 = np.zeros((TILE, TILE), dtype=np.float64)
    for y in range(0, out.shape[0], TILE):
        for x in range(0, out.shape[1], TILE):
            block = out[y : y + TILE, x : x + TILE]
            folded[: block.shape[0], : block.shape[1]] += block
    return folded


_FREQ2 = np.fft.fftfreq(TILE)[:, None] ** 2 + np.fft.fftfreq(TILE)[None, :] ** 2
_RFREQ2 = np.ascontiguousarray(_FREQ2[:, : TILE // 2 + 1])  # the real-input half


def _highpass_response(s: float, half: bool = False) -> F64:
    """Frequency response, on the canonical tile, of the detector's whitening filter
    (``half``: only the columns a real-input transform keeps)."""
    sigma = WHITEN_SIGMA / s
    resp: F64 = 1.0 - np.exp((-2.0 * math.pi**2 * sigma**2) * (_RFREQ2 if half else _FREQ2))
    return resp


@dataclass
class _Hypothesis:
    scale: float
    rotation: float
    lattice_score: float
    sync_z: float
    shift: tuple[int, int]
    folded: F64  # the folded tile; its spectrum is only needed for a payload decode

    @property
    def spec(self) -> npt.NDArray[np.complex128]:
        """Whitening-matched spectrum of the folded tile."""
        out: npt.NDArray[np.complex128] = np.fft.fft2(self.folded) * _highpass_response(self.scale)
        return out


def _sync(folded: F64, s: float, lay: _Layout) -> tuple[float, tuple[int, int], F64]:
    """z-score and position of the best of the 128 x 128 cyclic translations of the
    sync pattern against ``folded``. Everything here is real, so the correlation is
    computed with real-input transforms: the same sums as the complex ones (spectra of
    real arrays are Hermitian), for half the work."""
    spec = scipy.fft.rfft2(folded)
    spec *= _highpass_response(s, half=True)
    spec *= lay.sync_rspec_conj
    corr: F64 = scipy.fft.irfft2(spec, s=(TILE, TILE), overwrite_x=True)
    idx = int(np.argmax(corr))
    dy, dx = divmod(idx, TILE)
    sd = float(corr.std())
    z = (float(corr.flat[idx]) - float(corr.mean())) / (sd + 1e-12)
    return z, (dy, dx), corr


def _hypothesis(r: F32, s: float, th: float, score: float, lay: _Layout) -> _Hypothesis:
    folded = _fold(r, s, th)
    z, shift, _ = _sync(folded, s, lay)
    return _Hypothesis(s, th, score, z, shift, folded)


def _polish(r: F32, hyp: _Hypothesis, lay: _Layout) -> _Hypothesis:
    best = hyp
    for step_s, step_t in ((0.004, 0.15), (0.002, 0.07)):
        base = best
        for ds in (-1, 0, 1):
            for dt in (-1, 0, 1):
                if ds == 0 and dt == 0:
                    continue
                s = base.scale * (1 + ds * step_s)
                th = base.rotation + math.radians(dt * step_t)
                cand = _hypothesis(r, s, th, base.lattice_score, lay)
                if cand.sync_z > best.sync_z:
                    best = cand
    return best


class _Lazy:
    def __init__(self, r: F32, hyp: _Hypothesis, lay: _Layout) -> None:
        self.args = (r, hyp, lay)

    def get(self) -> _Hypothesis:
        return _polish(*self.args)


def _decode(hyp: _Hypothesis, lay: _Layout) -> tuple[npt.NDArray[np.uint8], bool, float]:
    dy, dx = hyp.shift
    # align: F_aligned[y, x] = F[y + dy, x + dx], a phase ramp in the spectrum
    f = np.fft.fftfreq(TILE)
    ramp = np.exp(2j * math.pi * (f[:, None] * dy + f[None, :] * dx))
    # matched filter: the detector's whitening is already in spec; add the emphasis
    cells = _downsample_spec(hyp.spec * ramp * _embed_emphasis()).ravel()
    v = cells[lay.pay_cells] * lay.pay_chips
    counts = np.bincount(lay.pay_bit, weights=v, minlength=N_CODED).astype(np.float64)
    soft: F64 = counts / (float(counts.std()) + 1e-12)
    bits, metric = viterbi_decode(soft, N_INFO)
    return bits, check_crc(bits), metric
