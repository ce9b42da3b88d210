"""What analyzers return. An analyzer reports what it observed; it never gives a verdict.

Each analyzer fills one :class:`Evidence`. ``data`` is JSON-safe and documented in
docs/verify-report.md under the analyzer's name; ``limits`` says, in plain words, what
this signal cannot tell (shown to people next to the evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mediaproof.analysis.compute import Compute, InlineCompute, step_timeout

if TYPE_CHECKING:
    from mediaproof.config import Settings
    from mediaproof.media.ingest import MediaInfo


class EvidenceStatus(StrEnum):
    FOUND = "found"  # the signal is present (a manifest, a match, a watermark...)
    NOT_FOUND = "not_found"  # looked, found nothing: this means "unknown", not "authentic"
    NOT_APPLICABLE = "not_applicable"  # the analyzer does not handle this media type
    ERROR = "error"  # the analyzer could not finish; ``summary`` says why


@dataclass
class Evidence:
    analyzer: str
    status: EvidenceStatus
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    limits: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "status": self.status.value,
            "summary": self.summary,
            "data": self.data,
            "limits": self.limits,
        }


@dataclass
class AnalysisContext:
    """Everything an analyzer may look at. ``cache`` shares decoded pixels etc."""

    path: Path
    media: MediaInfo
    settings: Settings
    services: Any = None  # the instance's lookups (registry, indexes); None offline
    previous: dict[str, Evidence] = field(default_factory=dict)  # earlier analyzers' output
    cache: dict[str, Any] = field(default_factory=dict)
    # where heavy stateless steps run (analysis.compute): worker processes in the service
    compute: Compute = field(default_factory=InlineCompute)

    @property
    def step_timeout_s(self) -> float:
        """How long one heavy step on this file may run in a worker (``compute``)."""
        return step_timeout(self.settings.limits, self.media.duration_s)


class Analyzer(Protocol):
    """One independent signal. Implementations must not raise for bad media: return
    Evidence with status ERROR and a human summary instead."""

    name: str

    def analyze(self, ctx: AnalysisContext) -> Evidence: ...
