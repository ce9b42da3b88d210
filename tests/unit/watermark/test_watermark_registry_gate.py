"""The registry gate of the watermark analyzer: which decoded mark it weighs and what it
needs before a registered ID counts. The decoder's output is given (the decoders have
their own tests); the registry, the policy and the evidence are real."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.media.ingest import MediaInfo
from mediaproof.media.sniff import MediaKind
from mediaproof.policy.assessment import assess
from mediaproof.registry.models import AssetRecord
from mediaproof.services.watermarking import RegistryWatermarkAnalyzer


class _Registry:
    def __init__(self, asset: AssetRecord) -> None:
        self.a = asset

    def asset_by_sha256(self, sha256: str) -> AssetRecord | None:
        return None

    def asset_by_watermark_id(self, watermark_id: int) -> AssetRecord | None:
        return self.a if watermark_id == self.a.watermark_id else None


class _Decoded:
    name = "watermark"

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        return Evidence("watermark", EvidenceStatus.FOUND, "decoded", dict(self.data), "limits")


def _asset() -> AssetRecord:
    return AssetRecord(
        id=7, sha256="0" * 64, mime="video/mp4", size=1, title="Debate", author=None,
        source_type=None, signed=True, signer_subject=None, signer_issuer=None,
        manifest_label=None, has_manifest=False, original_blob=None, width=640, height=360,
        duration_s=4.0, status="active", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        watermark_id=99,
    )  # fmt: skip


def _mark(asset_id: int, claimed: bool) -> dict[str, Any]:
    return {"claimed": claimed, "payload": {"asset_id": asset_id, "version": 1}}


def _ctx(tmp_path: Path, kind: MediaKind, match: Evidence | None) -> AnalysisContext:
    media = MediaInfo(
        path=tmp_path / "v.mp4", mime="video/mp4", kind=kind, extension="mp4", size=1,
        sha256="1" * 64,
        width=640, height=360, duration_s=4.0,
    )  # fmt: skip
    ctx = AnalysisContext(path=media.path, media=media, settings=Settings(home=tmp_path))
    if match is not None:
        ctx.previous["match"] = match
    return ctx


@pytest.mark.parametrize(
    ("match", "mark", "label"),
    [
        (None, "refused_unchecked", "registered_mark_content_unchecked"),
        (
            Evidence("match", EvidenceStatus.NOT_FOUND, "no match", {"matched_assets": []}),
            "refused_unchecked",
            "registered_mark_content_unchecked",
        ),
        (
            Evidence("match", EvidenceStatus.FOUND, "match", {"matched_assets": ["7"]}),
            "counted",
            "copy_of_registered_original",
        ),
    ],
)
def test_video_soundtrack_mark_is_weighed_even_when_the_picture_mark_is_unclaimed(
    tmp_path: Path, match: Evidence | None, mark: str, label: str
) -> None:
    an = RegistryWatermarkAnalyzer(_Registry(_asset()))
    an.inner = _Decoded(  # type: ignore[assignment]
        {"key_present": True, "ai_marks": [], "mediaproof": _mark(0, False),
         "mediaproof_audio": _mark(99, True)}
    )  # fmt: skip
    ev = an.analyze(_ctx(tmp_path, MediaKind.VIDEO, match))
    assert ev.status is EvidenceStatus.FOUND
    assert ev.data["mark_source"] == "mediaproof_audio" and ev.data["claimed_asset_id"] == 7
    assert ev.data["mark"] == mark
    assert "soundtrack watermark of registered asset 7" in ev.summary
    evidence = {"watermark": ev} if match is None else {"watermark": ev, "match": match}
    assert assess(evidence, media_kind="video").label.value == label
