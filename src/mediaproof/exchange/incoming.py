"""Signals received from peers, as the puller treats them: the quality gate on ingest,
matching an upload against them (with known-benign signals suppressing positive
matches), and the flood guard. Pure logic; the services keep the state.

**Quality gate.** A PDQ signal is kept out of the matchable store when

- the feed carries its quality and it is below :data:`PDQ_MIN_QUALITY` (50, the PDQ
  reference's own threshold for a usable hash; ``fingerprint/pdq.py`` uses the same), or
- it is *degenerate*: its popcount (bits set of 256) is more than 32 from 128, outside
  [:data:`PDQ_MIN_BITS`, :data:`PDQ_MAX_BITS`] = [96, 160]. PDQ sets a bit where a DCT
  coefficient exceeds the median of the 256 coefficients, so the hash of an image with
  features has exactly 128 bits set (every one of 130 corpus images we hashed,
  ../shared/corpora, did); only ties at the median lower it, and ties are what a flat or
  featureless image has: a uniform grey, black or white image hashed with the reference
  gives 0, 60, 81 or 88 bits set (measured), and all ones cannot come from the
  algorithm at all. Such hashes match unrelated media. The feed's own quality, where it
  carries one, catches the rest (our own feed sends none: the bank keeps only usable
  hashes).

Other signal types pass: an MD5 is exact, and vPDQ and Chromaprint are matched with
the bank's own matchers and thresholds (:mod:`mediaproof.exchange.media_signals`: at
least 80 % of the upload's usable frames within 31 bits; a bit-error rate of at most
0.25), which already leave low-quality frames and silence out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mediaproof.exchange import media_signals

PDQ_MIN_QUALITY = 50
PDQ_BITS = 256
PDQ_MIN_BITS = 96
PDQ_MAX_BITS = PDQ_BITS - PDQ_MIN_BITS
# the bank's near-match threshold for PDQ (cases/bank.py DEFAULT_BANK_RULES)
PDQ_MAX_DISTANCE = 31


class Gate(StrEnum):
    LOW_QUALITY = "low_quality"
    FLAT = "flat"


def gate(signal_type: str, value: str, quality: int | None) -> Gate | None:
    """Why a received signal stays out of the matchable store, or None to keep it."""
    if signal_type != "pdq":
        return None
    if quality is not None and quality < PDQ_MIN_QUALITY:
        return Gate.LOW_QUALITY
    try:
        bits = int(value, 16).bit_count()
    except ValueError:
        return Gate.FLAT  # not a hash at all (the feed parser checks this first)
    if not PDQ_MIN_BITS <= bits <= PDQ_MAX_BITS:
        return Gate.FLAT
    return None


@dataclass(frozen=True)
class Signal:
    """One received (or locally listed) signal, as matching needs it."""

    id: int
    signal_type: str
    value: str
    negative: bool  # known benign: suppresses positive matches on the same media
    quarantined: bool = False


@dataclass(frozen=True)
class Hit:
    signal: Signal
    # Hamming bits for PDQ and vPDQ (the nearest frame pair), per mille bit-error rate
    # for Chromaprint, 0 for an exact type
    distance: int
    detail: Mapping[str, float] | None = None  # vPDQ: query / compared match percent


def _pdq_int(value: str) -> int | None:
    if len(value) != PDQ_BITS // 4:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def upload_keys(fingerprints: Mapping[str, str], md5: str | None) -> dict[str, list[str]]:
    """An upload's values per exchange signal type: its PDQ (and the 8 dihedral variants
    when the map holds them as ``pdq_*``), its vPDQ and Chromaprint (the bank's map
    keys, ``matching/media_bank.py``) and the MD5 of its bytes (``video_md5``)."""
    out: dict[str, list[str]] = {}
    pdqs = [v for k, v in fingerprints.items() if k == "pdq" or k.startswith("pdq_")]
    if pdqs:
        out["pdq"] = pdqs
    for t in sorted(media_signals.MEDIA_TYPES):
        if fingerprints.get(t):
            out[t] = [fingerprints[t]]
    if md5:
        out["video_md5"] = [md5.lower()]
    return out


def find(
    keys: Mapping[str, Sequence[str]],
    signals: Sequence[Signal],
    max_distance: int = PDQ_MAX_DISTANCE,
) -> list[Hit]:
    """Every signal an upload matches: PDQ within ``max_distance`` bits, vPDQ and
    Chromaprint as the bank matches them, exact for the rest; the nearest first."""
    hits: list[Hit] = []
    pdqs = [n for v in keys.get("pdq", ()) if (n := _pdq_int(v)) is not None]
    media = media_signals.Query.of(keys)
    exact = {
        t: {v.lower() for v in vs}
        for t, vs in keys.items()
        if t != "pdq" and t not in media_signals.MEDIA_TYPES
    }
    for sig in signals:
        if sig.signal_type in media_signals.MEDIA_TYPES:
            m = media_signals.near(media, sig.signal_type, sig.value)
            if m is not None:
                hits.append(Hit(sig, m.distance, m.detail))
            continue
        if sig.signal_type == "pdq":
            if not pdqs:
                continue
            other = _pdq_int(sig.value)
            if other is None:
                continue
            best = min((n ^ other).bit_count() for n in pdqs)
            if best <= max_distance:
                hits.append(Hit(sig, best))
        elif sig.value.lower() in exact.get(sig.signal_type, ()):
            hits.append(Hit(sig, 0))
    hits.sort(key=lambda h: (h.distance, h.signal.id))
    return hits


@dataclass(frozen=True)
class Verdict:
    """What the matches of one upload come to."""

    positive: tuple[Hit, ...]  # may open a case for review
    suppressed_by: tuple[Hit, ...]  # known-benign hits; non-empty: no case
    quarantined: tuple[Hit, ...]  # positive hits on quarantined signals: no case


def judge(hits: Sequence[Hit]) -> Verdict:
    negative = tuple(h for h in hits if h.signal.negative)
    positive = tuple(h for h in hits if not h.signal.negative and not h.signal.quarantined)
    held = tuple(h for h in hits if not h.signal.negative and h.signal.quarantined)
    return Verdict(positive, negative, held)


def floods(matches_in_window: int, limit: int) -> bool:
    """The flood guard: a signal that matched more than ``limit`` times in the window
    (this match included) is quarantined."""
    return limit > 0 and matches_in_window > limit
