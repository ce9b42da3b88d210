"""The verify report: a versioned, documented JSON shape (docs/verify-report.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mediaproof import __version__
from mediaproof.analysis.evidence import Evidence
from mediaproof.media.ingest import MediaInfo
from mediaproof.policy.assessment import Assessment

SCHEMA = "https://mediaproof.dev/schemas/verify-report/v2"


@dataclass
class AnalysisReport:
    media: MediaInfo
    evidence: dict[str, Evidence]
    assessment: Assessment
    analysed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # pictures the analyzers made for display (PNG bytes by cache key, e.g. the match
    # heatmap); not part of the JSON: the service serves them under their own URLs
    images: dict[str, bytes] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        prov = self.evidence.get("provenance")
        reg = self.evidence.get("registry")
        pdata = prov.data if prov else {}
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "generator": f"mediaproof/{__version__}",
            "analysed_at": self.analysed_at.isoformat(),
            "media": self.media.as_dict(),
            "provenance": {
                "state": pdata.get("state", "absent"),
                "codes": pdata.get("codes", []),
                "digital_source_type": pdata.get("digital_source_type"),
                **{
                    k: v
                    for k, v in pdata.items()
                    if k not in ("state", "codes", "digital_source_type")
                },
            },
            "registry": {
                "asset_id": (reg.data.get("asset_id") if reg else None),
                **({k: v for k, v in reg.data.items() if k != "asset_id"} if reg else {}),
            },
            "evidence": {name: ev.as_dict() for name, ev in self.evidence.items()},
            "assessment": self.assessment.as_dict(),
        }
        return out
