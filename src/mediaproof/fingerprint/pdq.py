"""PDQ image fingerprints through ONE fixed decode pipeline.

Stored originals and queried copies must go through the same pipeline: two decoders of
the same picture can differ by 4-16 bits, which eats into the 31-bit match threshold.
The pipeline (:data:`PIPELINE`):

1. open with Pillow, refuse decompression bombs and images over the pixel limit;
2. JPEG only: decode in draft mode (libjpeg DCT scaling 1/2, 1/4 or 1/8), choosing the
   smallest scale whose long side is at most 512 px, or 1/8 when even that is larger.
   This is ~10x faster for camera photos and acts as a good low-pass filter;
3. apply the EXIF orientation, so a camera photo and its "baked" copy agree;
4. other formats (PNG, WebP, GIF, TIFF ...) with a long side of 2048 px or more: convert
   to RGB and box-average by the integer factor that leaves a long side of 1024 to
   2047 px (``Image.reduce``). PDQ's own filter averages blocks of about 1/64 of the
   side, so this moves few bits from the full-resolution hash (measured 0 to 14, mean
   2-4: docs/fingerprints.md); smaller images are not touched, exactly the
   reference's preprocessing;
5. convert to 8-bit RGB (alpha dropped, as Meta's reference does) and hash with
   pdqhash (Meta's C++ reference, bit for bit) at that resolution.

Quality (0-100) is kept: hashes under
:data:`QUALITY_THRESHOLD` are flat or featureless images and are recorded, never used for
automatic matching. The 8 dihedral variants are kept so mirrored and rotated copies match.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError, MalformedMediaError, UnsupportedMediaError
from mediaproof.media.ingest import check_pixels
from mediaproof.media.sniff import MediaKind

# stored with every hash; bump if the pipeline changes (":reduce1024": step 4, whose
# hashes stay within a few bits of the earlier full-resolution ones)
PIPELINE = "pdq-v1:draft512-exif-reduce1024-rgb"
MATCH_THRESHOLD = 31  # Meta's recommended operating point for PDQ
QUALITY_THRESHOLD = 50  # Meta: discard hashes with quality <= 49
HASH_BYTES = 32
_DRAFT_TARGET = 512
_REDUCE_TARGET = 1024  # other formats: box-reduced to a long side of 1024-2047 px


class Dihedral(StrEnum):
    """The 8 dihedral transforms, in pdqhash's output order.

    Each value names the transform applied to the *original* whose hash is stored under
    it: a copy that was rotated 90 degrees matches the ``rotate90`` variant.
    """

    ORIGINAL = "original"
    ROTATE90 = "rotate90"
    ROTATE180 = "rotate180"
    ROTATE270 = "rotate270"
    FLIPX = "flipx"
    FLIPY = "flipy"
    FLIP_PLUS1 = "flip_plus1"  # transpose about the main diagonal
    FLIP_MINUS1 = "flip_minus1"  # transpose about the anti-diagonal


DIHEDRAL_ORDER: tuple[Dihedral, ...] = tuple(Dihedral)


@dataclass(frozen=True)
class PdqHash:
    """A 256-bit PDQ hash (big-endian bit order, as Meta's hex strings) and its quality."""

    value: bytes
    quality: int

    def __post_init__(self) -> None:
        if len(self.value) != HASH_BYTES:
            raise ValueError(f"PDQ hash must be {HASH_BYTES} bytes, got {len(self.value)}")

    @property
    def hex(self) -> str:
        return self.value.hex()

    @classmethod
    def from_hex(cls, text: str, quality: int = 100) -> PdqHash:
        try:
            raw = bytes.fromhex(text.strip())
        except ValueError as e:
            raise ValueError(f"not a hex PDQ hash: {text!r}") from e
        return cls(raw, quality)

    @property
    def usable(self) -> bool:
        """True when quality is high enough for automatic matching."""
        return self.quality >= QUALITY_THRESHOLD

    def distance(self, other: PdqHash | bytes) -> int:
        return hamming(self.value, other.value if isinstance(other, PdqHash) else other)


@dataclass(frozen=True)
class ImageFingerprint:
    """PDQ of one image: the plain hash plus its dihedral variants in
    :data:`DIHEDRAL_ORDER` (index 0 = plain; only that one when computed without)."""

    pdq: PdqHash
    dihedral: tuple[PdqHash, ...]
    width: int  # size of the image as oriented (EXIF applied), before draft scaling
    height: int
    hashed_width: int  # size actually handed to PDQ
    hashed_height: int
    pipeline: str = PIPELINE
    # PDQ of the picture with black letterbox bars removed, when it has any (an extra
    # hash to query with: added borders otherwise defeat PDQ)
    unletterboxed: PdqHash | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "signal": "pdq",
            "pipeline": self.pipeline,
            "hash": self.pdq.hex,
            "quality": self.pdq.quality,
            "usable_for_matching": self.pdq.usable,
            "dihedral": {
                d.value: h.hex for d, h in zip(DIHEDRAL_ORDER, self.dihedral, strict=False)
            },
            "width": self.width,
            "height": self.height,
            "hashed_size": [self.hashed_width, self.hashed_height],
            "unletterboxed": (
                {"hash": self.unletterboxed.hex, "quality": self.unletterboxed.quality}
                if self.unletterboxed
                else None
            ),
        }


def hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def bits_to_bytes(bits: Sequence[int] | NDArray[np.integer]) -> bytes:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes()


@functools.cache
def _default_limits() -> Limits:
    """Limits from the environment, read once: building them costs ~3 ms a call, more
    than a tenth of hashing a 12 MP photo."""
    return Limits()


def _draft_scale(width: int, height: int) -> int:
    """Smallest DCT scale (1, 2, 4, 8) bringing the long side to <= 512 px, else 8."""
    long_side = max(width, height)
    for scale in (1, 2, 4, 8):
        if long_side / scale <= _DRAFT_TARGET:
            return scale
    return 8


def _decoded_scale(width: int, height: int) -> int:
    """The DCT scale Pillow's ``draft`` decodes at when step 2 asks for
    :func:`_draft_scale`'s size: the largest of 8, 4, 2, 1 that is at most the smaller
    integer ratio of the sides (less than asked when a side is not a multiple)."""
    s = _draft_scale(width, height)
    ratio = min(width // -(-width // s), height // -(-height // s))
    return max(k for k in (8, 4, 2, 1) if k <= ratio)


def _reduce(im: Image.Image) -> Image.Image:
    """Step 4 of the pipeline: a large image box-averaged by an integer factor to a long
    side of :data:`_REDUCE_TARGET` to twice that (unchanged when smaller)."""
    k = max(im.size) // _REDUCE_TARGET
    if k < 2:
        return im
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")  # what _to_rgb_array does with these modes
    return im.reduce(k)


def _to_rgb_array(im: Image.Image) -> NDArray[np.uint8]:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        # Pillow's own conversion (clip at 255) is what python-threatexchange does, and
        # its expected hash/quality for 16-bit greyscale depends on it.
        im = im.convert("RGB")
    elif mode in ("I", "F"):
        im = im.convert("RGB")
    elif mode == "L":
        grey = np.asarray(im, dtype=np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    elif mode != "RGB":
        im = im.convert("RGB")  # drops alpha, like the reference
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


ORIENTATION_TAG = 0x0112  # EXIF Orientation
QUARTER_TURNS = frozenset({5, 6, 7, 8})  # the orientations that swap width and height


def decode_for_pdq(
    source: Path | bytes | Image.Image, limits: Limits | None = None
) -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """Decode ``source`` through the fixed pipeline.

    Returns the RGB pixels handed to PDQ and the oriented full size (width, height).
    Raises :class:`MalformedMediaError` / :class:`UnsupportedMediaError` /
    :class:`LimitExceededError`.
    """
    limits = limits or _default_limits()
    if isinstance(source, Image.Image):
        im = source
        opened = False
    else:
        fp: Path | io.BytesIO = io.BytesIO(source) if isinstance(source, bytes) else source
        try:
            im = Image.open(fp)
        except UnidentifiedImageError as e:
            raise UnsupportedMediaError("not an image Pillow can decode") from e
        except Image.DecompressionBombError as e:
            # Pillow's guard follows MEDIAPROOF_LIMIT_MAX_PIXELS (media.ingest); our words
            raise LimitExceededError(
                f"image is larger than the limit of {limits.max_pixels:,} pixels "
                f"({limits.setting('max_pixels')})",
                hint=limits.hint("max_pixels"),
            ) from e
        except OSError as e:
            raise MalformedMediaError(f"cannot read image: {e}") from e
        opened = True
    try:
        w, h = im.size
        check_pixels(w, h, limits)
        if w < 1 or h < 1:
            raise MalformedMediaError("image has no pixels")
        if im.format == "JPEG":
            scale = _draft_scale(w, h)
            if scale > 1:
                # Pillow picks the largest scale whose result is >= the requested size.
                im.draft("RGB", (-(-w // scale), -(-h // scale)))
        try:
            # 5-8 turn the picture a quarter: what exif_transpose applies, read before it
            # drops the tag (the decoded size cannot tell when the reduced decode is square)
            turn = im.getexif().get(ORIENTATION_TAG, 1)
            quarter_turn = isinstance(turn, int) and turn in QUARTER_TURNS
            im.load()
            if opened:  # our own image: orient it in place rather than copying it
                ImageOps.exif_transpose(im, in_place=True)
                oriented = im
            else:  # never modify the caller's image
                oriented = ImageOps.exif_transpose(im)
        except (OSError, SyntaxError, ValueError) as e:
            raise MalformedMediaError(f"image does not decode: {e}") from e
        if quarter_turn:
            w, h = h, w
        if im.format != "JPEG":  # (JPEG: draft-decoded in step 2)
            oriented = _reduce(oriented)
        return _to_rgb_array(oriented), (w, h)
    finally:
        if opened:
            im.close()


def dihedral_transform(rgb: NDArray[np.uint8], which: Dihedral) -> NDArray[np.uint8]:
    """Apply one dihedral transform (same conventions as python-threatexchange's
    ``PhotoContent.all_simple_rotations``: rotations are counter-clockwise)."""
    if which is Dihedral.ORIGINAL:
        out = rgb
    elif which is Dihedral.ROTATE90:
        out = np.rot90(rgb, 1)
    elif which is Dihedral.ROTATE180:
        out = np.rot90(rgb, 2)
    elif which is Dihedral.ROTATE270:
        out = np.rot90(rgb, 3)
    elif which is Dihedral.FLIPX:
        out = rgb[::-1]
    elif which is Dihedral.FLIPY:
        out = rgb[:, ::-1]
    elif which is Dihedral.FLIP_PLUS1:
        out = rgb.transpose(1, 0, 2)
    else:
        out = np.rot90(rgb, 2).transpose(1, 0, 2)
    return np.ascontiguousarray(out)


def inverse_dihedral(which: Dihedral) -> Dihedral:
    """The transform that undoes ``which``."""
    if which is Dihedral.ROTATE90:
        return Dihedral.ROTATE270
    if which is Dihedral.ROTATE270:
        return Dihedral.ROTATE90
    return which  # the others are involutions


def pdq_hash_rgb(rgb: NDArray[np.uint8]) -> PdqHash:
    """Plain PDQ of an RGB array, no decoding or transforms (video frames)."""
    bits, quality = pdqhash.compute(rgb)
    return PdqHash(bits_to_bytes(bits), int(quality))


def pdq_from_pixels(
    rgb: NDArray[np.uint8], *, dihedral: bool = True
) -> tuple[PdqHash, tuple[PdqHash, ...]]:
    """PDQ hash of an RGB array and, if asked, the hashes of its 8 dihedral transforms.

    The variants hash the transformed *pixels* rather than transforming the DCT as
    ``pdqhash.compute_dihedral`` does: on fine-textured images the DCT shortcut lands
    60-90 bits away from the hash of an actually rotated copy (measured on Meta's
    LA.png), which would defeat the purpose. It costs ~3 ms per variant at 512 px.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("expected an HxWx3 uint8 array")
    plain = pdq_hash_rgb(rgb)
    if not dihedral:
        return plain, (plain,)
    variants = (plain, *(pdq_hash_rgb(dihedral_transform(rgb, d)) for d in DIHEDRAL_ORDER[1:]))
    return plain, variants


LETTERBOX_BLACK = 25  # python-threatexchange's threshold that restores sample-b exactly


def letterbox(rgb: NDArray[np.uint8], black: int = LETTERBOX_BLACK) -> tuple[int, int, int, int]:
    """Widths of all-black bars (top, bottom, left, right), like python-threatexchange's
    ``unletterboxing`` (a pixel is black when every channel is <= ``black``)."""
    dark: NDArray[np.bool_] = np.all(rgb <= black, axis=2)
    rows: NDArray[np.bool_] = np.all(dark, axis=1)
    cols: NDArray[np.bool_] = np.all(dark, axis=0)

    def run(flags: NDArray[np.bool_]) -> int:
        nz = np.flatnonzero(~flags)
        return int(nz[0]) if len(nz) else len(flags)

    return run(rows), run(rows[::-1]), run(cols), run(cols[::-1])


def unletterbox(rgb: NDArray[np.uint8], black: int = LETTERBOX_BLACK) -> NDArray[np.uint8] | None:
    """The picture inside black bars, or None when there are no bars (or nothing else)."""
    edges = (rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1])
    if not any(bool((e <= black).all()) for e in edges):
        return None  # fast path: no edge is black, so there are no bars
    top, bottom, left, right = letterbox(rgb, black)
    h, w = rgb.shape[:2]
    if top + bottom + left + right == 0 or top + bottom >= h - 8 or left + right >= w - 8:
        return None
    return np.ascontiguousarray(rgb[top : h - bottom, left : w - right])


def fingerprint_image(
    source: Path | bytes | Image.Image, limits: Limits | None = None, *, dihedral: bool = True
) -> ImageFingerprint:
    """Fingerprint an image file, its bytes, or an already opened Pillow image.

    ``dihedral=False`` skips the 7 transformed variants (queries need only the plain
    hash when the stored side indexes all 8).
    """
    rgb, (w, h) = decode_for_pdq(source, limits)
    return _fingerprint_rgb(rgb, w, h, dihedral=dihedral)


def fingerprint_oriented(
    oriented: Image.Image, size: tuple[int, int], *, dihedral: bool = True
) -> ImageFingerprint:
    """PDQ of a non-JPEG image the caller opened, loaded and oriented in place (EXIF
    applied) itself, so that other readers of the file can share that one decode:
    steps 4 and 5 of the pipeline, the same hash as :func:`fingerprint_image` of the
    file. ``size`` is the oriented full size; ``oriented`` is not modified. (A JPEG's
    pipeline decodes it DCT-scaled: hash it with :func:`fingerprint_image`.)"""
    if oriented.format == "JPEG":
        raise ValueError("a JPEG is hashed from its DCT-scaled decode (fingerprint_image)")
    rgb = _to_rgb_array(_reduce(oriented))
    return _fingerprint_rgb(rgb, size[0], size[1], dihedral=dihedral)


def fingerprint_written(
    image: Image.Image, fmt: str, *, dihedral: bool = True
) -> ImageFingerprint | None:
    """PDQ of a file just written from ``image`` (upright, no EXIF orientation) in
    ``fmt``, without decoding the file again; None where that needs the file.

    PNG and TIFF are lossless: the same hash as :func:`fingerprint_image` of the file,
    bit for bit. A JPEG's pipeline decodes it DCT-scaled, which averages 8 x 8 blocks
    (at 1/8): ``Image.reduce`` by the same factor averages the same blocks of the
    pixels before their compression (the same size too), a few bits at most from the
    hash of the written file (tests/unit/fingerprint/test_pdq_written.py measures it);
    ``image`` may be RGB, L or YCbCr (what the JPEG holds). Other formats (lossy WebP)
    are left to the file."""
    w, h = image.size
    if fmt in ("PNG", "TIFF"):
        return fingerprint_oriented(image, (w, h), dihedral=dihedral)
    if fmt != "JPEG" or image.mode not in ("RGB", "L", "YCbCr"):
        return None
    scale = _decoded_scale(w, h)
    small = image.reduce(scale) if scale > 1 else image
    # a YCbCr image (a JPEG marked on its own planes) is averaged before its conversion
    # to RGB, as the DCT-scaled decode of the file averages it
    return _fingerprint_rgb(_to_rgb_array(small), w, h, dihedral=dihedral)


def jpeg_decoded_scale(width: int, height: int) -> int:
    """The DCT scale at which step 2 decodes a ``width`` x ``height`` JPEG."""
    return _decoded_scale(width, height)


def fingerprint_reduced(
    image: Image.Image, size: tuple[int, int], *, dihedral: bool = True
) -> ImageFingerprint:
    """PDQ of pixels the caller already brought to step 2's size and oriented (a JPEG's
    luminance decoded at a finer DCT scale for another reader, then box-reduced by the
    rest of the factor: the same 8 x 8 block averages up to rounding, a few bits from
    :func:`fingerprint_image` of the file). ``size``: the oriented full size."""
    return _fingerprint_rgb(_to_rgb_array(image), size[0], size[1], dihedral=dihedral)


def _fingerprint_rgb(rgb: NDArray[np.uint8], w: int, h: int, *, dihedral: bool) -> ImageFingerprint:
    plain, variants = pdq_from_pixels(rgb, dihedral=dihedral)
    inner = unletterbox(rgb)
    return ImageFingerprint(
        unletterboxed=pdq_hash_rgb(inner) if inner is not None else None,
        pdq=plain,
        dihedral=variants,
        width=w,
        height=h,
        hashed_width=int(rgb.shape[1]),
        hashed_height=int(rgb.shape[0]),
    )


def reference_pdq(path: Path) -> PdqHash:
    """Meta's reference preprocessing (full-resolution decode, no orientation), as in
    python-threatexchange. Used by conformance tests and benchmarks, not for matching."""
    with Image.open(path) as im:
        im.load()
        rgb = _to_rgb_array(im)
    return pdq_hash_rgb(rgb)


class PdqFingerprinter:
    """PDQ of images as a :class:`~mediaproof.fingerprint.protocol.Fingerprinter`.

    References carry all 8 dihedral variants, so mirrored and rotated copies match; a
    query also tries its unletterboxed hash (black bars removed), as the match analyzer
    does. Hashes under :data:`QUALITY_THRESHOLD` never match."""

    signal: str = "pdq"
    kinds: frozenset[MediaKind] = frozenset({MediaKind.IMAGE})
    threshold: float = MATCH_THRESHOLD

    def fingerprint(
        self, path: Path, *, reference: bool = False, limits: Limits | None = None
    ) -> ImageFingerprint:
        return fingerprint_image(path, limits, dihedral=reference)

    def matches(self, query: ImageFingerprint, reference: ImageFingerprint) -> bool:
        if not query.pdq.usable:
            return False
        queries = [query.pdq]
        if query.unletterboxed is not None and query.unletterboxed.usable:
            queries.append(query.unletterboxed)
        return any(
            q.distance(r) <= MATCH_THRESHOLD
            for q in queries
            for r in reference.dihedral
            if r.usable
        )
