"""Registry: is this exact file (or these exact credentials) registered here?"""

from __future__ import annotations

from typing import Any

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.registry.models import RegistryLookup

LIMITS = (
    "An exact match means the bytes are identical to a registered original. No match "
    "means only that this exact file was not registered on this instance."
)


class RegistryAnalyzer:
    name = "registry"

    def __init__(self, registry: RegistryLookup) -> None:
        self.registry = registry

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        asset = self.registry.asset_by_sha256(ctx.media.sha256)
        if asset is None:
            return Evidence(
                self.name,
                EvidenceStatus.NOT_FOUND,
                "This exact file is not registered here.",
                {"asset_id": None, "match": None},
                LIMITS,
            )
        data: dict[str, Any] = {
            "asset_id": asset.id,
            "match": "exact",
            "asset": asset.public_dict(),
        }
        who = asset.signer_subject or asset.author or "its publisher"
        when = asset.created_at.strftime("%Y-%m-%d")
        if asset.status != "active":
            # a withdrawn original is no longer vouched for: say so, do not label it
            data["status"] = asset.status
            return Evidence(
                self.name, EvidenceStatus.NOT_FOUND,
                f"This exact file was registered as asset {asset.id} by {who} on {when}, "
                f"but the registration was {asset.status}.",
                data, LIMITS,
            )  # fmt: skip
        return Evidence(
            self.name,
            EvidenceStatus.FOUND,
            f"This exact file is registered as asset {asset.id}, “{asset.title}”, "
            f"by {who} on {when}.",
            data,
            LIMITS,
        )
