"""The verify pipeline: media -> independent analyzers -> policy -> report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mediaproof.analysis.compute import Compute
from mediaproof.analysis.evidence import AnalysisContext, Analyzer, Evidence, EvidenceStatus
from mediaproof.analysis.report import AnalysisReport
from mediaproof.config import Settings
from mediaproof.errors import MalformedMediaError, MediaproofError
from mediaproof.media.ingest import MediaInfo
from mediaproof.policy.assessment import assess
from mediaproof.policy.detector_rule import rules_for

Progress = Callable[[str], None]


def run_analyzers(
    path: Path,
    media: MediaInfo,
    settings: Settings,
    analyzers: Sequence[Analyzer],
    services: Any = None,
    progress: Progress | None = None,
    compute: Compute | None = None,
    cache: dict[str, Any] | None = None,
) -> AnalysisReport:
    """``cache``: what is known of the file already (``AnalysisContext.cache``), e.g. the
    fingerprints the parts of a long video's job computed."""
    ctx = AnalysisContext(path=path, media=media, settings=settings, services=services)
    if cache:
        ctx.cache.update(cache)
    if compute is not None:
        ctx.compute = compute
    for analyzer in analyzers:
        if progress:
            progress(analyzer.name)
        try:
            ev = analyzer.analyze(ctx)
        except MalformedMediaError:
            raise  # the whole file is unusable: a clean error, not a partial report
        except MediaproofError as e:
            ev = Evidence(analyzer.name, EvidenceStatus.ERROR, e.message)
        except Exception as e:  # an analyzer bug must not hide the other signals
            ev = Evidence(
                analyzer.name,
                EvidenceStatus.ERROR,
                f"this check failed unexpectedly ({type(e).__name__})",
            )
        ctx.previous[analyzer.name] = ev
    images = {k: v for k, v in ctx.cache.items() if k.endswith("_png") and isinstance(v, bytes)}
    return AnalysisReport(
        media=media,
        evidence=dict(ctx.previous),
        assessment=assess(ctx.previous, rules_for(settings.detectors.caution_at_least),
                          media_kind=media.kind.value),
        images=images,
    )
