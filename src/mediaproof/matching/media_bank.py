"""Media known to the case workflow (noticed, or confirmed deceptive), matchable by
fingerprint through the same exact indexes as registered originals.

The case workflow stores a media item's fingerprints as a flat JSON map ``alg -> text``
(notices, the bank of confirmed deceptive media, hash exchange). This module defines
that map for our signals and matches against it:

``pdq``
    64 hex digits: the plain PDQ hash (only when its quality is at least 50).
``pdq_dihedral``
    the 8 dihedral variants, comma-separated (stored side): mirrored and rotated copies
    of a banked item match too.
``vpdq``
    usable, de-duplicated frame hashes, comma-separated; compared as a bag of frames
    (frame distance 31, at least 80 % of the query's frames must match).
``chromaprint``
    raw Chromaprint items as hex of little-endian uint32; matched by bit-error rate
    after the best alignment (at most 0.25).
``md5``
    hex MD5 of the file (kept for exchange; exact copies are matched by SHA-256).

:class:`MediaBank` indexes items (``key`` -> ``case_id``) and answers "which items is
this map near", with the distance in the signal's unit: bits for ``pdq`` and ``vpdq``
(best frame), per mille bit-error rate for ``chromaprint`` (so bank rules keep integer
thresholds). Like every fingerprint match, a result is a lead, not a verdict.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from mediaproof.fingerprint.audio import BER_THRESHOLD
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD
from mediaproof.fingerprint.video import MATCH_PERCENT, usable_hashes
from mediaproof.matching.lookup import FingerprintEntry, FingerprintStore

HASH_HEX = 64
MAX_FRAMES = 20_000  # a map larger than this is refused rather than indexed
CHROMAPRINT_SCALE = 1000  # distance unit for chromaprint: per mille bit-error rate


def fingerprint_map(fps: Fingerprints, *, dihedral: bool = True) -> dict[str, str]:
    """The ``alg -> text`` map the case workflow stores for a media item."""
    out: dict[str, str] = {"md5": fps.md5}
    if fps.image is not None and fps.image.pdq.usable:
        out["pdq"] = fps.image.pdq.hex
        if dihedral and len(fps.image.dihedral) > 1:
            out["pdq_dihedral"] = ",".join(h.hex for h in fps.image.dihedral)
    if fps.video is not None:
        frames = usable_hashes(fps.video.frames)
        if frames:
            out["vpdq"] = ",".join(h.hex() for h in frames)
    if fps.audio is not None and not fps.audio.empty:
        out["chromaprint"] = np.asarray(fps.audio.items, dtype="<u4").tobytes().hex()
    return out


def _hashes(text: str) -> list[bytes]:
    """Comma-separated 64-hex hashes; malformed parts are skipped, not fatal: maps come
    from notices and peers, and one bad value must not hide the rest."""
    out = []
    for part in text.split(",")[:MAX_FRAMES]:
        part = part.strip()
        if len(part) == HASH_HEX:
            try:
                out.append(bytes.fromhex(part))
            except ValueError:
                continue
    return out


def _items(text: str) -> list[int]:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return []
    raw = raw[: len(raw) - len(raw) % 4]
    items: list[int] = np.frombuffer(raw, dtype="<u4").tolist()
    return items


def entries_from_map(fmap: Mapping[str, str]) -> list[FingerprintEntry]:
    """What to index for a stored item (its dihedral PDQ variants when present)."""
    out: list[FingerprintEntry] = []
    pdq = _hashes(fmap.get("pdq_dihedral", "")) or _hashes(fmap.get("pdq", ""))[:1]
    out += [FingerprintEntry("pdq", h) for h in pdq]
    frames = list(dict.fromkeys(_hashes(fmap.get("vpdq", ""))))
    out += [
        FingerprintEntry("vpdq", h, frame=i, frames_total=len(frames)) for i, h in enumerate(frames)
    ]
    if fmap.get("chromaprint"):
        items = _items(fmap["chromaprint"])
        if items:
            out.append(FingerprintEntry("chromaprint", np.asarray(items, "<u4").tobytes()))
    return out


@dataclass(frozen=True)
class BankHit:
    key: str  # the stored item (e.g. a bank row or a notice)
    case_id: int
    alg: str
    distance: int  # bits (pdq, vpdq best frame) or per mille BER (chromaprint)
    detail: Mapping[str, float] | None = None  # vpdq: query / compared match percent


class MediaBank:
    """In-memory exact index over stored items' fingerprint maps. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store = FingerprintStore()
        self._ids = itertools.count(1)
        self._case: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._case)

    def __contains__(self, key: object) -> bool:
        return key in self._case

    def add(self, key: str, case_id: int, fmap: Mapping[str, str]) -> None:
        entries = entries_from_map(fmap)
        with self._lock:
            if key in self._case:
                self._store.remove_asset(key)
            self._case[key] = case_id
            for e in entries:
                self._store.add(next(self._ids), key, e)

    def remove(self, key: str) -> None:
        with self._lock:
            self._store.remove_asset(key)
            self._case.pop(key, None)

    def near(self, fmap: Mapping[str, str]) -> list[BankHit]:
        """Stored items near the query map, best first (one hit per item and signal)."""
        hits: list[BankHit] = []
        pdq = _hashes(fmap.get("pdq", ""))
        if pdq:
            best: dict[str, int] = {}
            for c in self._store.find_near("pdq", pdq[0], MATCH_THRESHOLD):
                d = int(c.distance)
                best[c.asset_id] = min(best.get(c.asset_id, d), d)
            hits += self._hits("pdq", best)
        frames = list(dict.fromkeys(_hashes(fmap.get("vpdq", ""))))
        if frames:
            hits += self._video(frames)
        items = _items(fmap.get("chromaprint", ""))
        if items:
            found = self._store.find_near("chromaprint", items, BER_THRESHOLD)
            hits += self._hits(
                "chromaprint",
                {c.asset_id: round(c.distance * CHROMAPRINT_SCALE) for c in found},
            )
        hits.sort(key=lambda h: (h.alg == "chromaprint", h.distance))
        return hits

    def _hits(
        self,
        alg: str,
        best: Mapping[str, int],
        detail: Mapping[str, dict[str, float]] | None = None,
    ) -> Iterable[BankHit]:
        for key, d in best.items():
            case = self._case.get(key)
            if case is not None:  # removed meanwhile
                yield BankHit(key, case, alg, d, (detail or {}).get(key))

    def _video(self, frames: list[bytes]) -> list[BankHit]:
        """Bag-of-frames, as the match analyzer: the share of query frames with a stored
        frame within 31 bits decides."""
        q_hits: dict[str, set[int]] = defaultdict(set)
        t_hits: dict[str, set[int]] = defaultdict(set)
        totals: dict[str, int] = {}
        best: dict[str, int] = {}
        for qi, h in enumerate(frames):
            for c in self._store.find_near("vpdq", h, MATCH_THRESHOLD):
                q_hits[c.asset_id].add(qi)
                t_hits[c.asset_id].add(int(c.detail.get("frame") or 0))
                totals[c.asset_id] = int(c.detail.get("frames_total") or 0)
                best[c.asset_id] = min(best.get(c.asset_id, 256), int(c.distance))
        ok: dict[str, int] = {}
        detail: dict[str, dict[str, float]] = {}
        for key, qs in q_hits.items():
            q_pct = 100.0 * len(qs) / len(frames)
            if q_pct >= MATCH_PERCENT:
                ok[key] = best[key]
                total = totals.get(key) or 0
                detail[key] = {
                    "query_match_percent": round(q_pct, 2),
                    "compared_match_percent": round(
                        100.0 * len(t_hits[key]) / total if total else 0.0, 2
                    ),
                }
        return list(self._hits("vpdq", ok, detail))


__all__ = ["CHROMAPRINT_SCALE", "BankHit", "MediaBank", "entries_from_map", "fingerprint_map"]
