"""The lookup the matching analyzer asks for registered originals near a fingerprint.

The registry (database, indexes) implements :class:`FingerprintLookup`;
:class:`InMemoryLookup` is a complete reference implementation for tests and small
offline use. What an implementation must do, per signal:

``"pdq"``
    ``value``: a 32-byte PDQ hash of the query (plain, not dihedral). Return stored
    image hashes within ``max_distance`` bits. Store all 8 dihedral variants of each
    original (``ImageFingerprint.dihedral``) and say which one matched in
    ``Candidate.variant``, so mirrored and rotated copies are found.
``"vpdq"``
    ``value``: one 32-byte frame hash. Return stored *frames* within
    ``max_distance``; ``Candidate.detail`` must carry ``frame`` (the stored frame's
    position) and ``frames_total`` (usable frames of that original) so the caller can
    compute the share of the original's frames that matched.
``"md5"``
    ``value``: hex MD5 of the file; exact matches only (``max_distance`` 0).
``"chromaprint"``
    ``value``: raw Chromaprint items; return originals whose best-alignment bit-error
    rate is at most ``max_distance`` (``Candidate.distance`` is that rate, in [0, 1]),
    with ``offset_s`` and ``overlap_items`` in ``detail``.

Hashes of quality below 50 are kept with the asset but must not be returned for
automatic matching. ``tests/unit/test_match_analyzer.py`` runs the analyzer against
:class:`InMemoryLookup`; run the same tests against a new implementation.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mediaproof.fingerprint.audio import AudioFingerprint
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER, MATCH_THRESHOLD, QUALITY_THRESHOLD
from mediaproof.matching.audio_index import AudioIndex
from mediaproof.matching.hamming_index import HammingIndex


@dataclass(frozen=True)
class Candidate:
    asset_id: str
    signal: str
    distance: float  # bits (pdq, vpdq), bit-error rate (chromaprint), 0 (md5)
    quality: int | None = None  # quality of the stored hash
    variant: str | None = None  # pdq: dihedral variant of the original that matched
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "signal": self.signal,
            "distance": self.distance,
            "quality": self.quality,
            "variant": self.variant,
            **self.detail,
        }


@runtime_checkable
class FingerprintLookup(Protocol):
    def find_near(self, signal: str, value: Any, max_distance: float) -> list[Candidate]:
        """Registered originals within ``max_distance`` of ``value`` for ``signal``."""
        ...


@dataclass(frozen=True)
class FingerprintEntry:
    """One stored fingerprint of an original (what a registry keeps per asset).

    ``value``: 32-byte hash (``pdq``, ``vpdq``) or Chromaprint items as little-endian
    uint32 (``chromaprint``); ``digest``: hex MD5 (``md5``)."""

    signal: str
    value: bytes | None = None
    digest: str | None = None
    quality: int | None = None
    variant: str | None = None
    frame: int | None = None
    frames_total: int | None = None
    pipeline: str | None = None


def entries_for(fps: Fingerprints) -> list[FingerprintEntry]:
    """The entries to store for a registered original (computed with ``reference=True``).

    Hashes under quality 50 are kept (recorded) but marked by their quality; lookups
    must not return them for automatic matching."""
    out = [FingerprintEntry("md5", digest=fps.md5)]
    if fps.image is not None:
        img = fps.image
        for d, h in zip(DIHEDRAL_ORDER, img.dihedral, strict=False):
            out.append(FingerprintEntry("pdq", h.value, quality=h.quality, variant=d.value,
                                        pipeline=img.pipeline))  # fmt: skip
    if fps.video is not None:
        # usable frames, duplicates dropped (Meta's prepare_vpdq_feature), own quality kept
        seen: set[bytes] = set()
        usable = []
        for f in fps.video.frames:
            if f.pdq.usable and f.pdq.value not in seen:
                seen.add(f.pdq.value)
                usable.append(f.pdq)
        for pos, h in enumerate(usable):
            out.append(
                FingerprintEntry(
                    "vpdq", h.value, quality=h.quality, frame=pos, frames_total=len(usable)
                )
            )
    if fps.audio is not None and not fps.audio.empty:
        items = np.asarray(fps.audio.items, dtype="<u4").tobytes()
        out.append(FingerprintEntry("chromaprint", items))
    return out


@dataclass(frozen=True)
class _Meta:
    asset_id: str
    quality: int | None
    variant: str | None
    frame: int | None
    frames_total: int | None


class FingerprintStore:
    """In-memory serving structures for stored entries: a :class:`HammingIndex` per hash
    signal, a digest map, and an :class:`AudioIndex` over the audio prints. Thread-safe.
    A registry backed by a database loads its rows into one of these (see services)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = {"pdq": HammingIndex(), "vpdq": HammingIndex()}
        self._meta: dict[int, _Meta] = {}
        self._rows: dict[str, list[int]] = {}  # asset -> its indexed rows, for removal
        self._md5: dict[str, set[str]] = {}
        self._audio = AudioIndex()
        self.low_quality: dict[str, int] = {}  # asset -> quality: recorded, not indexed

    def add_many(self, rows: Iterable[tuple[int, str, FingerprintEntry]]) -> None:
        """Bulk load (start-up, catching up): the audio index merges once at the end."""
        for row_id, asset_id, e in rows:
            self.add(row_id, asset_id, e, merge=False)
        self._audio.merge()

    def add(self, row_id: int, asset_id: str, e: FingerprintEntry, *, merge: bool = True) -> None:
        with self._lock:
            if e.signal in self._index and e.value is not None:
                if e.quality is not None and e.quality < QUALITY_THRESHOLD:
                    self.low_quality[asset_id] = e.quality
                    return
                self._meta[row_id] = _Meta(asset_id, e.quality, e.variant, e.frame, e.frames_total)
                self._rows.setdefault(asset_id, []).append(row_id)
                self._index[e.signal].add(row_id, e.value)
            elif e.signal == "md5" and e.digest:
                self._md5.setdefault(e.digest, set()).add(asset_id)
            elif e.signal == "chromaprint" and e.value:
                self._audio.add(asset_id, np.frombuffer(e.value, dtype="<u4"), merge=merge)

    def remove_asset(self, asset_id: str) -> None:
        with self._lock:
            for row_id in self._rows.pop(asset_id, []):
                for index in self._index.values():
                    index.remove(row_id)
                self._meta.pop(row_id, None)
            for digest in [d for d, assets in self._md5.items() if asset_id in assets]:
                self._md5[digest].discard(asset_id)
                if not self._md5[digest]:
                    del self._md5[digest]
            self._audio.remove(asset_id)
            self.low_quality.pop(asset_id, None)

    def find_near(self, signal: str, value: Any, max_distance: float) -> list[Candidate]:
        if signal in ("pdq", "vpdq"):
            if not isinstance(value, bytes | bytearray) or len(value) != 32:
                raise ValueError(f"{signal} lookups take a 32-byte hash")
            r = int(min(max_distance, MATCH_THRESHOLD))
            out = []
            for h in self._index[signal].query(bytes(value), r):
                m = self._meta.get(h.id)
                if m is None:
                    continue  # removed meanwhile
                detail: dict[str, Any] = {}
                if signal == "vpdq":
                    detail = {"frame": m.frame, "frames_total": m.frames_total}
                out.append(Candidate(m.asset_id, signal, h.distance, m.quality, m.variant, detail))
            return out
        if signal == "md5":
            return [Candidate(a, "md5", 0) for a in sorted(self._md5.get(str(value), ()))]
        if signal == "chromaprint":
            items: Sequence[int] = value.items if isinstance(value, AudioFingerprint) else value
            return [
                Candidate(
                    h.key, "chromaprint", round(h.match.ber, 4),
                    detail={"offset_s": round(h.match.offset_s, 2),
                            "overlap_items": h.match.overlap},
                )
                for h in self._audio.query(items, max_distance)
            ]  # fmt: skip
        raise ValueError(f"unknown signal {signal!r}")


class InMemoryLookup(FingerprintStore):
    """Reference :class:`FingerprintLookup`: register originals, then look up."""

    def __init__(self) -> None:
        super().__init__()
        self._next = itertools.count(1)
        self._originals: dict[str, Path] = {}

    def register(self, asset_id: str, fps: Fingerprints, original: Path | None = None) -> None:
        """Index an original's fingerprints (compute them with ``reference=True``);
        ``original``: its kept pixels, for showing what a copy changed."""
        for e in entries_for(fps):
            self.add(next(self._next), asset_id, e)
        if original is not None:
            self._originals[asset_id] = original

    def original_image(self, asset_id: str) -> Path | None:
        return self._originals.get(asset_id)

    def remove(self, asset_id: str) -> None:
        self.remove_asset(asset_id)
        self._originals.pop(asset_id, None)
