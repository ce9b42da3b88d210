"""vPDQ and Chromaprint signals, received or sent by a platform: their wire forms, and
one matched against another with the matchers and thresholds the bank uses for case
media (``cases/bank.py`` DEFAULT_BANK_RULES, ``matching/media_bank.py``):

``vpdq``
    a bag of frame hashes. The match is the share of the *upload's* frames with a
    signal frame within 31 bits (:data:`~mediaproof.fingerprint.pdq.MATCH_THRESHOLD`),
    at least 80 % (:data:`~mediaproof.fingerprint.video.MATCH_PERCENT`); the distance
    is the nearest frame pair's, in bits.
``chromaprint``
    raw Chromaprint items (hex of little-endian uint32, as ``fingerprint_map`` writes
    them), matched by bit-error rate at the best alignment, at most 0.25
    (:data:`~mediaproof.fingerprint.audio.BER_THRESHOLD`); the distance is per mille.

A vPDQ value is stored in one canonical form, ours: the usable (quality >= 50),
de-duplicated frame hashes, comma-separated. python-threatexchange's ``vpdq`` signal
string (``VideoVPDQSignal``: a JSON list of ``"<pdq hex>,<quality>,<timestamp>"``) is
accepted and brought to it the way its matcher prepares one (``prepare_vpdq_feature``:
frames under quality 50 dropped, duplicates dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mediaproof.errors import UsageError
from mediaproof.fingerprint.audio import BER_THRESHOLD, compare_audio
from mediaproof.fingerprint.pdq import QUALITY_THRESHOLD, PdqHash
from mediaproof.fingerprint.video import compare_vpdq
from mediaproof.matching.media_bank import CHROMAPRINT_SCALE, MAX_FRAMES

VPDQ = "vpdq"
CHROMAPRINT = "chromaprint"
MEDIA_TYPES = frozenset({VPDQ, CHROMAPRINT})
MAX_CHROMAPRINT_ITEMS = 20_000  # as exchange/models.py MAX_CHROMAPRINT_HEX


def _hex_frame(text: str) -> bytes | None:
    t = text.strip().lower()
    if len(t) != 64:
        return None
    try:
        return bytes.fromhex(t)
    except ValueError:
        return None


def frames(value: str) -> list[bytes]:
    """The frame hashes of a stored (canonical) vPDQ value, de-duplicated; malformed
    parts are skipped (a stored value was checked on the way in)."""
    out = [b for p in value.split(",")[:MAX_FRAMES] if (b := _hex_frame(p)) is not None]
    return list(dict.fromkeys(out))


def items(value: str) -> list[int]:
    """The raw Chromaprint items of a stored value (none when malformed)."""
    try:
        raw = bytes.fromhex(value.strip())
    except ValueError:
        return []
    raw = raw[: len(raw) - len(raw) % 4][: 4 * MAX_CHROMAPRINT_ITEMS]
    return [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw), 4)]


def parse_vpdq(text: str) -> str:
    """A vPDQ value in its canonical form, from ours or python-threatexchange's; a
    UsageError when it is neither or keeps no usable frame. A frame hash of ours that is
    flat (popcount outside [96, 160], the PDQ gate's rule) is dropped: it has no quality
    beside it, and a blank frame matches every blank video."""
    from mediaproof.exchange.incoming import PDQ_MAX_BITS, PDQ_MIN_BITS  # it imports us

    t = text.strip()
    kept: list[bytes] = []
    if t.startswith("["):
        try:
            parts = json.loads(t)
        except ValueError as e:
            raise UsageError("malformed vpdq value: not JSON") from e
        if not isinstance(parts, list) or len(parts) > MAX_FRAMES:
            raise UsageError(f"malformed vpdq value: a list of at most {MAX_FRAMES} frames")
        for p in parts:
            fields = p.split(",") if isinstance(p, str) else []
            frame = _hex_frame(fields[0]) if len(fields) == 3 else None
            try:
                quality = int(fields[1]) if frame is not None else -1
                float(fields[2]) if frame is not None else 0.0
            except ValueError:
                frame = None
            if frame is None or not 0 <= quality <= 100:
                raise UsageError(
                    "malformed vpdq value: each frame is '<64 hex>,<quality>,<timestamp>'"
                )
            if quality >= QUALITY_THRESHOLD:
                kept.append(frame)
    else:
        parts = t.split(",")
        if len(parts) > MAX_FRAMES:
            raise UsageError(f"malformed vpdq value: at most {MAX_FRAMES} frames")
        for p in parts:
            frame = _hex_frame(p)
            if frame is None:
                raise UsageError("malformed vpdq value: comma-separated 64-hex frame hashes")
            if PDQ_MIN_BITS <= int.from_bytes(frame, "big").bit_count() <= PDQ_MAX_BITS:
                kept.append(frame)
    kept = list(dict.fromkeys(kept))
    if not kept:
        raise UsageError("the vpdq value keeps no usable frame (all flat or low quality)")
    return ",".join(f.hex() for f in kept)


def parse_chromaprint(text: str) -> str:
    """A raw Chromaprint value (hex of little-endian uint32 items), lower-case; a
    UsageError when it is not one."""
    t = text.strip().lower()
    ok = 0 < len(t) <= 8 * MAX_CHROMAPRINT_ITEMS and len(t) % 8 == 0
    try:
        bytes.fromhex(t)
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(
            "malformed chromaprint value: hex of little-endian 32-bit raw items "
            f"(a multiple of 8 digits, at most {MAX_CHROMAPRINT_ITEMS} items)"
        )
    return t


@dataclass(frozen=True)
class Query:
    """An upload's vPDQ and Chromaprint, decoded once for every candidate signal."""

    frames: tuple[PdqHash, ...] = ()
    items: tuple[int, ...] = ()

    @classmethod
    def of(cls, keys: Mapping[str, Sequence[str]]) -> Query:
        fr = [f for v in keys.get(VPDQ, ()) for f in frames(v)]
        it = next((i for v in keys.get(CHROMAPRINT, ()) if (i := items(v))), [])
        return cls(tuple(PdqHash(f, 100) for f in dict.fromkeys(fr)), tuple(it))


@dataclass(frozen=True)
class Near:
    distance: int  # bits (vpdq, nearest frame pair) or per mille bit-error rate
    detail: Mapping[str, float] | None = None  # vpdq: query / compared match percent


def near(query: Query, signal_type: str, value: str) -> Near | None:
    """How near a stored vPDQ or Chromaprint signal is to the upload, or None when
    it does not match (the bank's thresholds)."""
    if signal_type == VPDQ and query.frames:
        stored = [PdqHash(f, 100) for f in frames(value)]
        m = compare_vpdq(query.frames, stored)
        if not m.query_contained or m.best_distance is None:
            return None
        return Near(
            m.best_distance,
            {
                "query_match_percent": round(m.query_match_percent, 2),
                "compared_match_percent": round(m.compared_match_percent, 2),
            },
        )
    if signal_type == CHROMAPRINT and query.items:
        a = compare_audio(query.items, items(value))
        if a is None or a.ber > BER_THRESHOLD:
            return None
        return Near(round(a.ber * CHROMAPRINT_SCALE))
    return None
