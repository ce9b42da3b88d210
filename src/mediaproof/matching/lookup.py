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

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mediaproof.fingerprint.audio import AudioFingerprint, compare_audio
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER, MATCH_THRESHOLD, QUALITY_THRESHOLD
from mediaproof.fingerprint.video import usable_hashes
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
class _Row:
    asset_id: str
    quality: int
    variant: str | None
    frame: int | None
    frames_total: int | None


class InMemoryLookup:
    """Reference :class:`FingerprintLookup` over :class:`HammingIndex` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = {"pdq": HammingIndex(), "vpdq": HammingIndex()}
        self._rows: list[_Row] = []
        self._md5: dict[str, set[str]] = {}
        self._audio: dict[str, AudioFingerprint] = {}
        self.low_quality: dict[str, int] = {}  # asset -> quality, recorded not indexed

    def register(self, asset_id: str, fps: Fingerprints) -> None:
        """Index an original's fingerprints (compute them with ``reference=True``)."""
        with self._lock:
            self._md5.setdefault(fps.md5, set()).add(asset_id)
            if fps.image is not None:
                if fps.image.pdq.quality < QUALITY_THRESHOLD:
                    self.low_quality[asset_id] = fps.image.pdq.quality
                else:
                    for d, h in zip(DIHEDRAL_ORDER, fps.image.dihedral, strict=False):
                        self._add("pdq", h.value, _Row(asset_id, h.quality, d.value, None, None))
            if fps.video is not None:
                frames = [f for f in fps.video.frames if f.pdq.quality >= QUALITY_THRESHOLD]
                total = len(usable_hashes(frames))
                seen: set[bytes] = set()
                for pos, f in enumerate(frames):
                    if f.pdq.value in seen:
                        continue
                    seen.add(f.pdq.value)
                    self._add("vpdq", f.pdq.value, _Row(asset_id, f.pdq.quality, None, pos, total))
            if fps.audio is not None and not fps.audio.empty:
                self._audio[asset_id] = fps.audio

    def _add(self, signal: str, value: bytes, row: _Row) -> None:
        self._rows.append(row)
        self._index[signal].add(len(self._rows) - 1, value)

    def remove(self, asset_id: str) -> None:
        with self._lock:
            for i, row in enumerate(self._rows):
                if row.asset_id == asset_id:
                    for index in self._index.values():
                        index.remove(i)
            for assets in self._md5.values():
                assets.discard(asset_id)
            self._audio.pop(asset_id, None)

    def find_near(self, signal: str, value: Any, max_distance: float) -> list[Candidate]:
        if signal in ("pdq", "vpdq"):
            if not isinstance(value, bytes | bytearray) or len(value) != 32:
                raise ValueError(f"{signal} lookups take a 32-byte hash")
            hits = self._index[signal].query(bytes(value), int(min(max_distance, MATCH_THRESHOLD)))
            out = []
            for h in hits:
                row = self._rows[h.id]
                detail: dict[str, Any] = {}
                if signal == "vpdq":
                    detail = {"frame": row.frame, "frames_total": row.frames_total}
                out.append(
                    Candidate(row.asset_id, signal, h.distance, row.quality, row.variant, detail)
                )
            return out
        if signal == "md5":
            return [Candidate(a, "md5", 0) for a in sorted(self._md5.get(str(value), ()))]
        if signal == "chromaprint":
            items: Sequence[int] = value.items if isinstance(value, AudioFingerprint) else value
            found = []
            for asset_id, ref in list(self._audio.items()):
                m = compare_audio(items, ref)
                if m is not None and m.ber <= max_distance:
                    found.append(
                        Candidate(
                            asset_id, "chromaprint", round(m.ber, 4),
                            detail={"offset_s": round(m.offset_s, 2), "overlap_items": m.overlap},
                        )
                    )  # fmt: skip
            return sorted(found, key=lambda c: c.distance)
        raise ValueError(f"unknown signal {signal!r}")
