"""Verify a file for anyone: ingest, run the analyzers, assess."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mediaproof.analysis.analyzers.generator import GeneratorMetadataAnalyzer
from mediaproof.analysis.analyzers.provenance import ProvenanceAnalyzer
from mediaproof.analysis.analyzers.registry import RegistryAnalyzer
from mediaproof.analysis.evidence import Analyzer
from mediaproof.analysis.pipeline import Progress, run_analyzers
from mediaproof.analysis.report import AnalysisReport
from mediaproof.detection.analyzer import DetectorAnalyzer
from mediaproof.likeness.analyzer import LikenessAnalyzer
from mediaproof.matching.analyzer import MatchAnalyzer
from mediaproof.media.ingest import ingest_file
from mediaproof.registry.models import AssetRecord
from mediaproof.services.consent_verify import ConsentAnalyzer
from mediaproof.services.image_reads import SharedImageDecode
from mediaproof.services.instance import Instance
from mediaproof.services.likeness import instance_likeness
from mediaproof.services.signers import known_signers
from mediaproof.services.watermarking import RegistryWatermarkAnalyzer


def analyzers_for(
    inst: Instance, trust_anchors: Sequence[Path] = (), *, likeness: bool = True
) -> list[Analyzer]:
    """The verify pipeline. ``likeness=False`` leaves out the likeness analyzer, whose
    evidence names enrolled people: anonymous callers of the service do not get it unless
    the operator says so (``MEDIAPROOF_SERVICE_PUBLIC_LIKENESS``)."""
    engine = inst.c2pa(trust_anchors)
    found: list[Analyzer] = [
        ProvenanceAnalyzer(engine, known_signers(inst, engine)),
        RegistryAnalyzer(inst),
        # stripped copies lead back to originals, whose stored credentials are checked;
        # a non-JPEG image is decoded once for it and the watermark analyzer
        SharedImageDecode(
            MatchAnalyzer(
                inst.fingerprint_lookup,
                originals=inst,
                reader=inst.c2pa(trust_anchors),
                kept_original=_kept_asset(inst),
            )
        ),
        RegistryWatermarkAnalyzer(inst, _kept_original(inst)),  # after match: content check
        GeneratorMetadataAnalyzer(),
    ]
    if inst.settings.detectors.enabled:  # off unless the operator names detectors
        found.append(DetectorAnalyzer(inst.settings.detectors))  # runs in the workers
    if likeness:
        # opens the instance's likeness store only when someone is enrolled
        found.append(LikenessAnalyzer(instance_likeness(inst)))
    # after provenance and likeness: the consent records a file names, per person shown
    found.append(ConsentAnalyzer(inst))
    return found


def _kept_original(inst: Instance) -> Callable[[str], Path | None]:
    def find(digest: str) -> Path | None:
        return inst.blobs.path(digest) if inst.blobs.exists(digest) else None

    return find


def _kept_asset(inst: Instance) -> Callable[[AssetRecord], Path | None]:
    find = _kept_original(inst)
    return lambda a: find(a.original_blob) if a.original_blob else None


def verify_file(
    inst: Instance,
    path: Path,
    *,
    trust_anchors: Sequence[Path] = (),
    progress: Progress | None = None,
    likeness: bool = True,
    cache: dict[str, Any] | None = None,
) -> AnalysisReport:
    """``cache``: what is known of the file already (see ``run_analyzers``)."""
    media = ingest_file(path, inst.settings.limits)
    return run_analyzers(
        path,
        media,
        inst.settings,
        analyzers_for(inst, trust_anchors, likeness=likeness),
        services=inst,
        progress=progress,
        compute=inst.compute,
        cache=cache,
    )
