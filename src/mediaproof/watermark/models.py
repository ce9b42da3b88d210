"""What a watermark scheme embeds and what its detector reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Payload:
    """The registry's asset ID plus a small version field, both protected by the CRC."""

    asset_id: int
    version: int = 0


@dataclass(frozen=True)
class Detection:
    """One detector's answer. ``claimed`` is the only field that may be read as "this
    file carries our watermark with this payload": it is true only when the CRC passed
    and the sync statistic cleared its threshold. Everything else is diagnostics.

    The caller still checks the registry (does the ID exist, is the fingerprint near the
    registered original) before telling anyone what the ID means.
    """

    scheme: str
    claimed: bool
    payload: Payload | None  # only set when claimed
    crc_ok: bool
    sync_score: float  # z-score of the best sync peak (unmarked media: about 3-4.5)
    sync_threshold: float
    false_claim_bound: float  # upper bound on P(claim | unmarked) for this decode
    hypotheses: int  # geometric / timing hypotheses searched
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def confidence(self) -> float:
        """1 - the false-claim bound when claimed, else 0."""
        return 1.0 - self.false_claim_bound if self.claimed else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["confidence"] = self.confidence
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Detection:
        """The inverse of :meth:`as_dict` (a reading stored as JSON by a part of a job)."""
        p = d.get("payload")
        return cls(
            scheme=str(d["scheme"]),
            claimed=bool(d["claimed"]),
            payload=Payload(int(p["asset_id"]), int(p["version"])) if p else None,
            crc_ok=bool(d["crc_ok"]),
            sync_score=float(d["sync_score"]),
            sync_threshold=float(d["sync_threshold"]),
            false_claim_bound=float(d["false_claim_bound"]),
            hypotheses=int(d["hypotheses"]),
            details=dict(d.get("details") or {}),
        )
