"""Show what changed: align a copy onto its kept original and box the differences.

Steps: undo the dihedral transform (the one of 8 whose small thumbnail best matches the
original), scale the copy to the original's size (both are brought to a working size
of at most 1024 px), equalise brightness and contrast (re-encodes and filters shift
them globally), blur both a little (JPEG noise), and threshold the absolute
difference. Connected regions become boxes in the *original's* pixel coordinates.

This compares pixels and is only meaningful once a fingerprint match says the two
images are the same picture. Crops and small rotations are registered by keypoints
(below) and reported in ``notes`` with the share of the original the copy shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps
from scipy import ndimage

from mediaproof.errors import MalformedMediaError
from mediaproof.fingerprint.pdq import (
    DIHEDRAL_ORDER,
    Dihedral,
    dihedral_transform,
    inverse_dihedral,
)

WORK_MAX_SIDE = 1024
DIFF_THRESHOLD = 0.12  # on a 0..1 scale after blur; JPEG q75 noise stays under ~0.05
MIN_REGION_FRACTION = 0.0005  # ignore specks smaller than 0.05 % of the image
MIN_INLIERS = 25  # keypoint matches a registration needs
MIN_OVERLAP = 0.25  # a registration covering less of the original is not trusted
CROP_OVERLAP = 0.97  # covering less than this, the copy is called cropped
COLOUR_FIT_ROUNDS = 3
COLOUR_FIT_KEEP = 0.7  # refit on the best-fitting 70 %: edits up to ~30 % do not bend it
COLOUR_FIT_PRIOR = 0.005  # weight of "no colour change", as a share of the fitted pixels
SIGMA_DIVISOR = 200  # blur radius: the working size over this (halos of sharpening fade)
# the heatmap is shown beside the original's preview (services/result_images.py, 640 px):
# drawing it larger only made the PNG encode, the slowest step, 2.5 times longer
HEATMAP_MAX_SIDE = 640


@dataclass(frozen=True)
class Alignment:
    transform: Dihedral  # how the copy was transformed from the original
    scale: float  # copy width / original width, after undoing the transform
    boxes: list[dict[str, Any]]  # x, y, width, height (original pixels), score, area
    changed_fraction: float  # share of the original's area inside changed regions
    heatmap_png: bytes = field(repr=False)
    notes: list[str] = field(default_factory=list)
    overlap_fraction: float = 1.0  # share of the original the copy shows (crops: < 1)
    size: tuple[int, int] = (0, 0)  # the original's width and height

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (the heatmap travels separately, as PNG bytes)."""
        return {
            "transform": self.transform.value,
            "scale": round(self.scale, 4),
            "boxes": self.boxes,
            "changed_fraction": round(self.changed_fraction, 5),
            "notes": self.notes,
            "overlap_fraction": round(self.overlap_fraction, 4),
            "size": list(self.size),
        }


def _load(src: Path | bytes | Image.Image) -> Image.Image:
    if isinstance(src, Image.Image):
        im = src
    else:
        try:
            im = Image.open(io.BytesIO(src) if isinstance(src, bytes) else src)
            im.load()
        except (OSError, SyntaxError, ValueError) as e:
            raise MalformedMediaError(f"cannot decode image for comparison: {e}") from e
        im = ImageOps.exif_transpose(im)
    return im.convert("RGB")


def _grey(im: Image.Image, size: tuple[int, int]) -> NDArray[np.float32]:
    g = im.convert("L").resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(g, dtype=np.float32) / 255.0


def _normalise(a: NDArray[np.float32]) -> NDArray[np.float32]:
    out: NDArray[np.float32] = (a - a.mean()) / (a.std() + 1e-6)
    return out


def _best_transform(orig: Image.Image, copy: Image.Image) -> Dihedral:
    """The dihedral transform T with copy ~ T(original), by thumbnail correlation."""
    thumb = np.asarray(orig.convert("L").resize((64, 64), Image.Resampling.BILINEAR))
    c = _normalise(_grey(copy, (64, 64)))
    best, best_score = Dihedral.ORIGINAL, -np.inf
    for d in DIHEDRAL_ORDER:
        t = dihedral_transform(thumb[:, :, None], d)[:, :, 0].astype(np.float32) / 255.0
        score = float((_normalise(t) * c).mean())
        if score > best_score:
            best, best_score = d, score
    return best


def _undo(copy: Image.Image, d: Dihedral) -> Image.Image:
    arr = dihedral_transform(np.asarray(copy), inverse_dihedral(d))
    return Image.fromarray(arr)


def align_copy(
    original: Path | bytes | Image.Image,
    copy: Path | bytes | Image.Image,
    *,
    threshold: float = DIFF_THRESHOLD,
) -> Alignment:
    """Align ``copy`` onto ``original``; boxes and a heatmap of what differs."""
    orig = _load(original)
    cp = _load(copy)
    transform = _best_transform(orig, cp)
    cp = _undo(cp, transform)
    notes: list[str] = []
    ow, oh = orig.size
    cw, ch = cp.size
    scale = cw / ow
    f = min(1.0, WORK_MAX_SIDE / max(ow, oh))
    work = (max(1, round(ow * f)), max(1, round(oh * f)))
    a = _rgb(orig, work)
    # Two ways to lay the copy over the original: stretched to the same size (re-encodes,
    # resizes) and registered by keypoints (crops, small rotations). A misalignment only
    # adds differences, while a real edit shows in both, so the one with the fewer
    # changed pixels is the right one.
    stretched = _rgb(cp, work)
    tries: list[_Overlay] = [(stretched, np.ones(a.shape[:2], dtype=bool), None, 1.0)]
    registered = _register(a, cp)
    if registered is not None:
        tries.append(registered)
    best: tuple[Any, ...] | None = None
    for b, valid, matrix, cover in tries:
        diff, mask = _difference(a, b, valid, threshold)
        share = float(mask.sum()) / max(1, int(valid.sum()))
        if best is None or share < best[0]:
            best = (share, diff, mask, valid, matrix, cover)
    assert best is not None
    _, diff, mask, valid, matrix, overlap = best
    if matrix is None and abs((cw / ch) / (ow / oh) - 1) > 0.02:
        notes.append(
            "aspect ratio differs from the original: the copy may be cropped or padded; "
            "differences near the edges are unreliable"
        )
    if matrix is not None:
        scale = _registered_scale(matrix, cp, f)
        if overlap < CROP_OVERLAP:
            notes.append(
                f"the copy shows {overlap:.0%} of the original (cropped); only that part "
                "was compared"
            )
    labels, _ = ndimage.label(mask)
    boxes: list[dict[str, Any]] = []
    area_all = max(1, int(valid.sum()))
    min_area = MIN_REGION_FRACTION * area_all
    changed = 0
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        region = labels[sl] == i
        area = int(region.sum())
        if area < min_area:
            continue
        changed += area
        ys, xs = sl
        boxes.append(
            {
                "x": int(xs.start / f),
                "y": int(ys.start / f),
                "width": round((xs.stop - xs.start) / f),
                "height": round((ys.stop - ys.start) / f),
                "score": round(float(diff[sl][region].mean()), 4),
                "area_fraction": round(area / area_all, 5),
            }
        )
    boxes.sort(key=lambda bx: -bx["area_fraction"])
    return Alignment(
        transform=transform,
        scale=scale,
        boxes=boxes,
        changed_fraction=changed / area_all,
        # the mean of the channels (as a.mean(axis=2), several times faster)
        heatmap_png=_heatmap((a[..., 0] + a[..., 1] + a[..., 2]) / np.float32(3), diff, threshold),
        notes=notes,
        overlap_fraction=overlap,
        size=(ow, oh),
    )


def _rgb(im: Image.Image, size: tuple[int, int]) -> NDArray[np.float32]:
    r = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(r, dtype=np.float32) / 255.0


def _grey8(rgb: NDArray[np.float32]) -> NDArray[np.uint8]:
    g = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.asarray(np.clip(g * 255.0, 0, 255), dtype=np.uint8)


# the copy laid over the original's working frame: pixels, the compared area, the
# registration matrix (None: stretched to size), the share of the original it covers
_Overlay = tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.float64] | None, float]


def _register(a: NDArray[np.float32], copy: Image.Image) -> _Overlay | None:
    """The copy warped onto the original's working frame by ORB keypoints and a RANSAC
    similarity transform, with the mask of original pixels the copy covers; None when
    too few keypoints agree (then only the stretched comparison is used)."""
    h, w = a.shape[:2]
    f = min(1.0, WORK_MAX_SIDE / max(copy.size))
    csize = (max(1, round(copy.width * f)), max(1, round(copy.height * f)))
    b = _rgb(copy, csize)
    orb = cv2.ORB.create(nfeatures=4000)
    ka, da = orb.detectAndCompute(_grey8(a), None)
    kb, db = orb.detectAndCompute(_grey8(b), None)
    if da is None or db is None or len(ka) < MIN_INLIERS or len(kb) < MIN_INLIERS:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(db, da, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.8 * rest[0].distance]
    if len(good) < MIN_INLIERS:
        return None
    src = np.array([kb[m.queryIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
    dst = np.array([ka[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
    matrix, inl = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0
    )
    if matrix is None or inl is None or int(inl.sum()) < MIN_INLIERS:
        return None
    warped = cv2.warpAffine(b, matrix, (w, h), flags=cv2.INTER_LINEAR)
    cover = cv2.warpAffine(
        np.ones(b.shape[:2], dtype=np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST
    )
    # a band along the copy's edges is unreliable (interpolation, JPEG edge blocks)
    valid = _erode(cover > 0, max(2, round(max(w, h) / 200)))
    covered = float((cover > 0).mean())
    if covered < MIN_OVERLAP:
        return None
    return (
        np.asarray(warped, dtype=np.float32),
        valid,
        np.asarray(matrix, dtype=np.float64),
        covered,
    )


def _registered_scale(matrix: NDArray[np.float64], copy: Image.Image, f: float) -> float:
    """Copy pixels per original pixel: the registration maps the copy's working size
    onto the original's (``f`` times the original)."""
    f_copy = min(1.0, WORK_MAX_SIDE / max(copy.size))
    s = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    return f / max(s * f_copy, 1e-9)


def _match_colours(
    a: NDArray[np.float32], b: NDArray[np.float32], valid: NDArray[np.bool_]
) -> NDArray[np.float32]:
    """``b`` with a global colour transform (3x3 matrix and offset, least squares over
    the compared area) that brings it closest to ``a``: undoes brightness, contrast,
    saturation and tint changes, which are not edits of the content."""
    # every step-th compared pixel (as a[valid][::step], without copying all of them)
    idx = np.flatnonzero(valid)
    if len(idx) < 16:
        return b
    idx = idx[:: max(1, len(idx) // 50_000)]
    # one row per sampled pixel: the copy's colour, 1, the original's colour
    z = np.ones((len(idx), 7))
    bv = b.reshape(-1, 3)[idx].astype(np.float64).reshape(-1, 1, 3)  # as cv2.transform takes
    av = a.reshape(-1, 3)[idx].astype(np.float64)
    z[:, :3], z[:, 4:] = bv[:, 0], av
    keep = np.ones(len(z), dtype=bool)
    # pseudo-pixels that pin the transform to "no change" where the picture does not
    # determine it: in a picture of greys and skin tones, a bare fit is free to map an
    # unseen colour (a pasted green box) onto anything, hiding the edit
    prior = np.zeros((7, 7))
    # their sums: rows (colour e_i, 0) mapped to e_i add I to x'x (colour terms) and x'a
    prior[[0, 1, 2, 0, 1, 2], [0, 1, 2, 4, 5, 6]] = 1.0
    m: NDArray[np.floating[Any]] = np.zeros((3, 4))
    for _ in range(COLOUR_FIT_ROUNDS):
        # each refit leaves out the worst-fitting share of pixels: a pasted region must
        # not pull the colour transform towards itself. The least-squares fit by its
        # normal equations, from one 7x7 product of the kept rows (lstsq took 5 times
        # longer)
        zk = z[keep]
        zz = zk.T @ zk + COLOUR_FIT_PRIOR * float(len(zk)) * prior
        m = np.linalg.solve(zz[:4, :4], zz[:4, 4:]).T
        r = np.abs(cv2.transform(bv, m).reshape(-1, 3) - av)
        residual = np.maximum(np.maximum(r[:, 0], r[:, 1]), r[:, 2])
        keep = residual <= np.quantile(residual, COLOUR_FIT_KEEP)
    # cv2.transform: one pass over the picture; a numpy matmul of this shape started
    # BLAS threads that cost more than the product
    return np.asarray(cv2.transform(b, m), dtype=np.float32)


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))  # scipy.ndimage's default


def _erode(mask: NDArray[np.bool_], iterations: int) -> NDArray[np.bool_]:
    """``scipy.ndimage.binary_erosion`` (cross element, outside counts as unset), with
    OpenCV: the same pixels, several times faster."""
    out = cv2.erode(
        mask.astype(np.uint8),
        _CROSS,
        iterations=iterations,
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return np.asarray(out, dtype=bool)


def _dilate(mask: NDArray[np.bool_], iterations: int) -> NDArray[np.bool_]:
    out = cv2.dilate(
        mask.astype(np.uint8),
        _CROSS,
        iterations=iterations,
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return np.asarray(out, dtype=bool)


def _difference(
    a: NDArray[np.float32], b: NDArray[np.float32], valid: NDArray[np.bool_], threshold: float
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Per-pixel difference (the largest over the colour channels, after matching the
    copy's colours to the original's over the compared area and blurring away
    compression noise) and the thresholded, cleaned-up mask of changed pixels."""
    h, w = a.shape[:2]
    sigma = max(1.0, max(h, w) / SIGMA_DIVISOR)
    d = a - _match_colours(a, b, valid)
    # outside the compared area the copy has nothing: keep it out of the blur
    d[~valid] = 0.0
    # blur(a) - blur(b) is blur(a - b): one blur instead of six. The kernel and border
    # are scipy.ndimage.gaussian_filter's (4 sigma, mirrored edge), within 3e-7 of it
    radius = int(4.0 * sigma + 0.5)
    k = 2 * radius + 1
    blurred = cv2.GaussianBlur(d, (k, k), sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT)
    diff = np.abs(blurred)
    # the largest channel, three times faster than .max(axis=2)
    diff = np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])
    diff[~valid] = 0.0
    mask = diff > threshold
    # closing twice then opening once, as scipy.ndimage.binary_closing / _opening
    mask = _erode(_dilate(mask, 2), 2)
    mask = _dilate(_erode(mask, 1), 1)
    mask &= valid
    return np.asarray(diff, dtype=np.float32), mask


def _heatmap(grey: NDArray[np.float32], diff: NDArray[np.float32], threshold: float) -> bytes:
    """The original (``grey``, 0..1 at the working size) in grey with differences in red
    (stronger = redder), as PNG of at most :data:`HEATMAP_MAX_SIDE` px."""
    h, w = grey.shape
    f = min(1.0, HEATMAP_MAX_SIDE / max(h, w))
    if f < 1.0:
        size = (max(1, round(w * f)), max(1, round(h * f)))
        grey = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.float32)
        diff = np.asarray(
            cv2.resize(diff.astype(np.float32), size, interpolation=cv2.INTER_AREA), np.float32
        )
    heat = np.clip(diff / max(threshold * 2, 1e-6), 0.0, 1.0)
    half = grey * np.float32(127.5)  # the original at half brightness
    out = np.empty((*grey.shape, 3), dtype=np.float32)
    out[..., 0] = half * (1 - heat) + 255 * heat
    out[..., 1] = half * (1 - heat)
    out[..., 2] = out[..., 1]
    return encode_png(out.astype(np.uint8))


def encode_png(rgb: NDArray[np.uint8]) -> bytes:
    """Lossless PNG of an RGB picture, quickly: the fastest zlib level (3x quicker than
    the default on photo-like noise, ~5 % larger), and, where OpenCV lets us choose it,
    one fixed row filter (Sub) instead of trying all five per row, which takes another
    ~40 % off for ~1 % more bytes."""
    png_filter = getattr(cv2, "IMWRITE_PNG_FILTER", None)
    if png_filter is not None:
        ok, enc = cv2.imencode(
            ".png",
            cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_PNG_COMPRESSION, 1, png_filter, cv2.IMWRITE_PNG_FILTER_SUB],
        )
        if ok:
            return enc.tobytes()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


# What counts as an edit, as opposed to the traces of re-encoding, resizing and global
# filters (measured on the bridge-mods corpus: sharpen-a-lot leaves regions of up to
# 1 % scoring at most 0.142, high-saturation up to 0.22 % scoring 0.17; a 1 % grey
# box scores 0.16 over 0.5 %, a 12 % pasted box 0.3)
EDIT_MIN_AREA = 0.0025
EDIT_MIN_SCORE = 0.15


def significant_changes(differences: dict[str, Any]) -> dict[str, Any] | None:
    """From ``Alignment.as_dict()`` (plus the original's ``size``): the regions that look
    like edits, their total share of the compared picture and where they lie in plain
    words; None when nothing beyond re-encoding noise differs."""
    boxes = [
        b
        for b in differences.get("boxes") or []
        if float(b.get("area_fraction", 0)) >= EDIT_MIN_AREA
        and float(b.get("score", 0)) >= EDIT_MIN_SCORE
    ]
    if not boxes:
        return None
    w, h = (differences.get("size") or [0, 0])[:2]
    places: list[str] = []
    for b in boxes:
        where = place_words(b, int(w), int(h))
        if where not in places:
            places.append(where)
    share = sum(float(b["area_fraction"]) for b in boxes)
    return {
        "changed_fraction": round(share, 4),
        "percent": max(1, round(share * 100)),
        "where": places,
        "regions": len(boxes),
    }


def place_words(box: dict[str, Any], width: int, height: int) -> str:
    """Where a box lies in the picture: "top left", "centre", "bottom", ..."""
    if width <= 0 or height <= 0:
        return "somewhere in the picture"
    cx = (float(box["x"]) + float(box["width"]) / 2) / width
    cy = (float(box["y"]) + float(box["height"]) / 2) / height
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else ""
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    return " ".join(p for p in (row, col) if p) or "centre"


def describe_changes(changes: dict[str, Any]) -> str:
    """ "about 11 % of the picture, top left and centre"."""
    where = changes["where"]
    place = ", ".join(where[:-1]) + f" and {where[-1]}" if len(where) > 1 else where[0]
    return f"about {changes['percent']} % of the picture ({place})"
