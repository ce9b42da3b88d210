"""Chromaprint audio fingerprints (AcoustID's algorithm 2) via ``fpcalc``, and matching by
bit-error rate after the best alignment.

A raw Chromaprint fingerprint is one 32-bit item per ~0.124 s of audio. Two recordings of
the same audio give items that agree in most bits once aligned, so we slide one over the
other and keep the offset with the lowest bit-error rate (BER): re-encoded copies land
near 0.0-0.1, trimmed clips near 0.1-0.2, unrelated audio at 0.35-0.5. Because the
query is matched at its best offset, a clip cut out of a longer original still matches.

``fpcalc`` 1.5.1 (Debian) exits with status 3 at the end of many files ("Error decoding
audio frame (End of file)") even though the fingerprint is complete, so it runs with
``-ignore-errors`` and the output is checked instead of the exit status.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from mediaproof.config import Limits
from mediaproof.errors import MalformedMediaError, MediaproofError, UnsupportedMediaError
from mediaproof.media.sniff import MediaKind

ITEM_SECONDS = (
    4096 / 11025 / 3
)  # chromaprint algorithm 2: one item per 1/3 frame of 4096 @ 11025 Hz
BER_THRESHOLD = 0.25  # at or below: same audio (see docs/fingerprints.md for the spread)
MIN_OVERLAP_ITEMS = 16  # ~2 s: shorter overlaps match by chance
ALGORITHM = 2
_FPCALC_TIMEOUT_S = 120.0
_FULL_SEARCH_CELLS = 8_000_000  # above n*m, offsets come from a coarse vote first


class FingerprintToolError(MediaproofError, code="fingerprint_tool"): ...  # exit 1, HTTP 500


@dataclass(frozen=True)
class AudioFingerprint:
    """Raw Chromaprint items (unsigned 32-bit) and the audio duration fpcalc reported."""

    items: tuple[int, ...]
    duration_s: float
    algorithm: int = ALGORITHM

    @property
    def empty(self) -> bool:
        return not self.items

    def encoded(self) -> str:
        """The compact base64 form AcoustID uses (``AQ...`` for algorithm 2)."""
        return encode_fingerprint(self.items, self.algorithm - 1)

    def as_dict(self) -> dict[str, object]:
        return {
            "signal": "chromaprint",
            "algorithm": self.algorithm,
            "duration_s": self.duration_s,
            "items": len(self.items),
            "fingerprint": self.encoded(),
        }


@dataclass(frozen=True)
class AudioMatch:
    ber: float  # bit-error rate at the best offset (0 = identical)
    offset: int  # items: query item 0 aligns with reference item ``offset``
    overlap: int  # items compared

    @property
    def offset_s(self) -> float:
        return self.offset * ITEM_SECONDS

    @property
    def is_match(self) -> bool:
        return self.ber <= BER_THRESHOLD


def fpcalc_path() -> str:
    path = shutil.which("fpcalc")
    if path is None:
        raise FingerprintToolError(
            "fpcalc (Chromaprint) is not installed",
            hint="install libchromaprint-tools (Debian/Ubuntu) or chromaprint",
        )
    return path


def fingerprint_audio(
    path: Path,
    *,
    max_seconds: float = 0,
    raw_format: tuple[str, int, int] | None = None,
) -> AudioFingerprint:
    """Fingerprint the first audio stream of ``path`` (audio or video file).

    ``max_seconds=0`` fingerprints the whole stream. ``raw_format=(fmt, rate, channels)``
    reads headerless PCM (e.g. ``("s16le", 44100, 1)``). Raises
    :class:`UnsupportedMediaError` when there is no audio stream.
    """
    cmd = [fpcalc_path(), "-raw", "-json", "-ignore-errors", "-length", str(int(max_seconds))]
    if raw_format is not None:
        fmt, rate, channels = raw_format
        cmd += ["-format", fmt, "-rate", str(rate), "-channels", str(channels)]
    cmd.append(str(path))
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=_FPCALC_TIMEOUT_S, check=False, text=True
        )
    except subprocess.TimeoutExpired as e:
        raise MalformedMediaError(f"fpcalc took longer than {_FPCALC_TIMEOUT_S:.0f} s") from e
    stderr = proc.stderr.strip()
    if "Could not find any audio stream" in stderr or "Stream not found" in stderr:
        raise UnsupportedMediaError("no audio stream to fingerprint")
    try:
        out = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    if out is None:
        # fpcalc prints nothing for inputs too short for one item; that is a valid,
        # empty fingerprint only when it did not complain about the input itself.
        if "Empty fingerprint" in stderr or (
            proc.returncode in (0, 3) and "ERROR" not in stderr.replace("End of file", "")
        ):
            return AudioFingerprint((), 0.0)
        raise MalformedMediaError(
            f"fpcalc could not read the audio: {stderr[-300:] or proc.returncode}"
        )
    raw = out.get("fingerprint") or []
    items = tuple(int(x) & 0xFFFFFFFF for x in raw)  # -signed output would be negative
    return AudioFingerprint(items, float(out.get("duration") or 0.0))


# --- matching -----------------------------------------------------------------------


def _as_u32(items: Sequence[int] | NDArray[np.uint32]) -> NDArray[np.uint32]:
    return (
        np.asarray([int(x) & 0xFFFFFFFF for x in items], dtype=np.uint32)
        if not isinstance(items, np.ndarray)
        else items.astype(np.uint32)
    )


def _ber_at(a: NDArray[np.uint32], b: NDArray[np.uint32], offset: int) -> tuple[int, int]:
    """Bit errors and overlap when query ``a`` item 0 sits at reference ``b`` item ``offset``."""
    if offset >= 0:
        n = min(len(a), len(b) - offset)
        if n <= 0:
            return 0, 0
        x = a[:n] ^ b[offset : offset + n]
    else:
        n = min(len(a) + offset, len(b))
        if n <= 0:
            return 0, 0
        x = a[-offset : -offset + n] ^ b[:n]
    return int(np.bitwise_count(x).sum()), n


def ber_at(
    query: Sequence[int] | NDArray[np.uint32],
    reference: Sequence[int] | NDArray[np.uint32],
    offset: int,
) -> float | None:
    """Bit-error rate at one alignment (query item 0 at reference item ``offset``), or
    None when they do not overlap. A cheap check before the full alignment search."""
    errors, n = _ber_at(_as_u32(query), _as_u32(reference), offset)
    return errors / (32.0 * n) if n else None


def compare_audio(
    query: Sequence[int] | NDArray[np.uint32] | AudioFingerprint,
    reference: Sequence[int] | NDArray[np.uint32] | AudioFingerprint,
    *,
    min_overlap: int = MIN_OVERLAP_ITEMS,
) -> AudioMatch | None:
    """Best alignment of ``query`` against ``reference``; None if they cannot overlap
    by ``min_overlap`` items (and by at least half of the shorter one)."""
    qa = _as_u32(query.items if isinstance(query, AudioFingerprint) else query)
    rb = _as_u32(reference.items if isinstance(reference, AudioFingerprint) else reference)
    if len(qa) == 0 or len(rb) == 0:
        return None
    need = max(min(min_overlap, len(qa), len(rb)), (min(len(qa), len(rb)) + 1) // 2)
    if min(len(qa), len(rb)) < min(min_overlap, 4):
        return None
    lo, hi = -(len(qa) - need), len(rb) - need
    if len(qa) * len(rb) <= _FULL_SEARCH_CELLS:
        offsets: Sequence[int] = range(lo, hi + 1)
    else:
        offsets = _vote_offsets(qa, rb, lo, hi)
    best: AudioMatch | None = None
    for off in offsets:
        errors, n = _ber_at(qa, rb, off)
        if n < need:
            continue
        ber = errors / (32.0 * n)
        if best is None or ber < best.ber:
            best = AudioMatch(ber, off, n)
    return best


def _vote_offsets(a: NDArray[np.uint32], b: NDArray[np.uint32], lo: int, hi: int) -> list[int]:
    """Candidate offsets for long inputs: items whose top 20 bits agree vote for the
    offset that would align them (like AcoustID's matcher); take the best few, +-2."""
    ka = a >> np.uint32(12)
    kb = b >> np.uint32(12)
    order = np.argsort(kb, kind="stable")
    kb_sorted = kb[order]
    left = np.searchsorted(kb_sorted, ka, side="left")
    right = np.searchsorted(kb_sorted, ka, side="right")
    lens = right - left
    total = int(lens.sum())
    if total == 0:
        return list(range(max(lo, -2), min(hi, 2) + 1))
    qi = np.repeat(np.arange(len(a)), lens)
    starts = np.repeat(left - (np.cumsum(lens) - lens), lens) + np.arange(total)
    offs = order[starts] - qi
    offs = offs[(offs >= lo) & (offs <= hi)]
    if len(offs) == 0:
        return []
    values, counts = np.unique(offs, return_counts=True)
    top = values[np.argsort(counts)[::-1][:8]]
    cand = sorted({int(o) + d for o in top for d in range(-2, 3) if lo <= int(o) + d <= hi})
    return cand


# --- chromaprint's compressed text form -----------------------------------------------


def _pack(values: Sequence[int], width: int) -> bytes:
    acc = 0
    nbits = 0
    for i, v in enumerate(values):
        acc |= (v & ((1 << width) - 1)) << (i * width)
        nbits += width
    return acc.to_bytes((nbits + 7) // 8, "little") if nbits else b""


def _unpack(data: bytes, width: int, count: int) -> list[int]:
    acc = int.from_bytes(data, "little")
    mask = (1 << width) - 1
    return [(acc >> (i * width)) & mask for i in range(count)]


def encode_fingerprint_bytes(items: Sequence[int], algorithm: int) -> bytes:
    """Chromaprint's compressed binary form (``chromaprint_encode_fingerprint``)."""
    bits: list[int] = []
    prev = 0
    for item in items:
        x = (int(item) & 0xFFFFFFFF) ^ prev
        prev = int(item) & 0xFFFFFFFF
        bit, last = 1, 0
        while x:
            if x & 1:
                bits.append(bit - last)
                last = bit
            x >>= 1
            bit += 1
        bits.append(0)
    n = len(items)
    header = bytes([algorithm & 0xFF, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])
    normal = [min(b, 7) for b in bits]
    exceptional = [b - 7 for b in bits if b >= 7]
    return header + _pack(normal, 3) + _pack(exceptional, 5)


def encode_fingerprint(items: Sequence[int], algorithm: int) -> str:
    """URL-safe base64 without padding, as fpcalc and AcoustID print it."""
    raw = encode_fingerprint_bytes(items, algorithm)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_fingerprint_bytes(data: bytes) -> tuple[list[int], int]:
    """Inverse of :func:`encode_fingerprint_bytes`; raises ValueError on bad input."""
    if len(data) < 4:
        raise ValueError("compressed fingerprint shorter than its header")
    algorithm = data[0]
    n = (data[1] << 16) | (data[2] << 8) | data[3]
    body = data[4:]
    acc = int.from_bytes(body, "little")
    total3 = len(body) * 8 // 3
    normal: list[int] = []
    zeros = 0
    i = 0
    while zeros < n:
        if i >= total3:
            raise ValueError("compressed fingerprint is truncated")
        v = (acc >> (3 * i)) & 7
        normal.append(v)
        zeros += v == 0
        i += 1
    off = (3 * len(normal) + 7) // 8
    n_exc = sum(1 for v in normal if v == 7)
    if (len(body) - off) * 8 < 5 * n_exc:
        raise ValueError("compressed fingerprint is truncated")
    exc = iter(_unpack(body[off:], 5, n_exc))
    items: list[int] = []
    prev = 0
    x = 0
    last = 0
    for v in normal:
        if v == 0:
            prev ^= x
            items.append(prev)
            x = 0
            last = 0
            continue
        delta = v + next(exc) if v == 7 else v
        last += delta
        if last > 32:
            raise ValueError("compressed fingerprint has a bit out of range")
        x |= 1 << (last - 1)
    return items, algorithm


def decode_fingerprint(text: str) -> tuple[list[int], int]:
    std = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
    except (ValueError, TypeError) as e:
        raise ValueError("not a base64 fingerprint") from e
    return decode_fingerprint_bytes(raw)


def simhash(items: Sequence[int]) -> int:
    """Chromaprint's 32-bit similarity hash of a fingerprint (``chromaprint_hash_fingerprint``)."""
    arr = _as_u32(items)
    if len(arr) == 0:
        return 0
    bits = (arr[:, None] >> np.arange(32, dtype=np.uint32)) & 1
    votes = 2 * bits.sum(axis=0, dtype=np.int64) - len(arr)
    return int(sum(1 << i for i in range(32) if votes[i] > 0))


class ChromaprintFingerprinter:
    """Chromaprint of a sound track (audio files, videos with sound) as a
    :class:`~mediaproof.fingerprint.protocol.Fingerprinter`.

    Both sides get the same print (``reference`` changes nothing); a query matches when
    its best alignment against the reference has a bit-error rate of at most
    :data:`BER_THRESHOLD` over at least :data:`MIN_OVERLAP_ITEMS` items. ``limits`` are
    not used: ``fpcalc`` runs under a timeout and reads the stream, never whole frames."""

    signal: str = "chromaprint"
    kinds: frozenset[MediaKind] = frozenset({MediaKind.AUDIO, MediaKind.VIDEO})
    threshold: float = BER_THRESHOLD

    def fingerprint(
        self, path: Path, *, reference: bool = False, limits: Limits | None = None
    ) -> AudioFingerprint:
        return fingerprint_audio(path)

    def matches(self, query: AudioFingerprint, reference: AudioFingerprint) -> bool:
        m = compare_audio(query, reference)
        return m is not None and m.is_match
