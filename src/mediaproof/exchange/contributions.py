"""Contributions: signals a peer submits to a collection it was granted with the
``exchange:contribute`` scope (docs/exchange.md, "Contributions"). Pure logic: what a
contribution is, what it may hold, and the quality gate applied when it is submitted.

A contribution never publishes by itself: it waits as ``pending`` until a reviewer of
the publishing instance accepts it (it becomes a signal row of the collection's feed,
owned by the contributing organisation) or rejects it with a reason.

**Quality gate.** A PDQ value is refused when its quality is given and below
:data:`PDQ_MIN_QUALITY` (50, the PDQ reference's threshold for a usable hash, the same
as ``fingerprint/pdq.py``), or when it is *flat*: its popcount is outside
[:data:`PDQ_MIN_BITS`, :data:`PDQ_MAX_BITS`] = [96, 160]. It is the pulling side's
ingest gate (:mod:`mediaproof.exchange.incoming`, which says why those bounds), so what a
peer may submit and what a puller keeps are one rule. Other types pass: an MD5 is
exact, vPDQ and Chromaprint are not gated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mediaproof.errors import UsageError
from mediaproof.exchange import incoming
from mediaproof.exchange.errors import ExchangeError
from mediaproof.exchange.incoming import PDQ_MAX_BITS as PDQ_MAX_BITS
from mediaproof.exchange.incoming import PDQ_MIN_BITS as PDQ_MIN_BITS
from mediaproof.exchange.incoming import PDQ_MIN_QUALITY as PDQ_MIN_QUALITY
from mediaproof.exchange.models import (
    Category,
    SignalType,
    check_tags,
    check_value,
    parse_enum,
)
from mediaproof.exchange.opinions import check_reason


class QualityGateError(ExchangeError, code="quality_gate", http_status=422):
    """A submitted hash too poor to share: low PDQ quality, or flat."""


class ContributionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ContributionInput:
    """A submission as checked: canonical value, sorted tags, scrubbed reason."""

    signal_type: SignalType
    value: str
    category: Category
    tags: tuple[str, ...]
    quality: int | None
    reason: str


@dataclass(frozen=True)
class Contribution:
    id: int
    collection: str
    contributor: str  # the peer account: the owner of the signal once accepted
    signal_type: SignalType
    value: str
    category: Category
    tags: tuple[str, ...]
    quality: int | None
    reason: str
    status: ContributionStatus
    submitted_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    seq: int | None = None  # the feed row it became, once accepted

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "collection": self.collection,
            "contributor": self.contributor,
            "signal_type": self.signal_type.value,
            "value": self.value,
            "category": self.category.value,
            "tags": list(self.tags),
            "quality": self.quality,
            "reason": self.reason,
            "status": self.status.value,
            "submitted_at": self.submitted_at,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "decision_reason": self.decision_reason,
            "seq": self.seq,
        }


def gate(signal_type: SignalType, value: str, quality: int | None) -> str | None:
    """Why a submitted signal is refused, or None to take it."""
    why = incoming.gate(signal_type.value, value, quality)
    if why is incoming.Gate.LOW_QUALITY:
        return f"PDQ quality {quality} is below {PDQ_MIN_QUALITY}: the hash is not usable"
    if why is incoming.Gate.FLAT:
        bits = int(value, 16).bit_count()
        return (
            f"the PDQ hash has {bits} of 256 bits set: a flat or featureless image, "
            "which would match unrelated media"
        )
    return None


def check_contribution(
    signal_type: str,
    value: str,
    category: str,
    tags: list[str] | tuple[str, ...],
    quality: int | None,
    reason: str,
    *,
    allowed: tuple[SignalType, ...],
    known: tuple[str, ...] = (),
) -> ContributionInput:
    """A submission checked against the collection's signal types and the gate; a
    UsageError (422 over HTTP) says what is wrong. ``known`` are names to scrub from the
    reason (the contributor's own)."""
    st = parse_enum(SignalType, signal_type, "signal type")
    if st not in allowed:
        raise UsageError(
            f"this collection does not take {st.value} signals",
            hint="it takes: " + ", ".join(t.value for t in allowed),
        )
    v = check_value(st, value)
    cat = parse_enum(Category, category, "category")
    if quality is not None and not 0 <= quality <= 100:
        raise UsageError("quality is 0 to 100")
    if not reason.strip():
        raise UsageError("say why: a contribution needs a reason")
    why = gate(st, v, quality)
    if why is not None:
        raise QualityGateError(f"refused by the quality gate: {why}")
    return ContributionInput(
        signal_type=st,
        value=v,
        category=cat,
        tags=check_tags(list(tags)),
        quality=quality,
        reason=check_reason(reason, known),
    )
