"""Detectors in verify: the ``detector`` analyzer.

Each enabled detector's output becomes part of one Evidence, worded as a detector's
opinion ("consistent / not consistent with AI generation"), always with the accuracy the
harness measured for it and a "not validated for this kind of file" flag when the file
is outside what it was evaluated on. The policy does not label on this evidence: it is
shown, never decisive (docs/detectors.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import DetectorSettings
from mediaproof.detection.errors import DetectorError, DetectorLoadError
from mediaproof.detection.evaluate import accuracy_summary, accuracy_text
from mediaproof.detection.protocol import Detector
from mediaproof.media.sniff import MediaKind

NAME = "detector"
LIMITS = (
    "A learned detector's score is an opinion, not proof. Open detectors lose about half "
    "their accuracy on media from the wild compared with their own benchmarks, and "
    "detectors have called real footage fake; “not consistent with AI generation” does "
    "not mean authentic. mediaproof never labels a file on a detector's opinion alone."
)
_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp",
            "image/tiff": "tiff", "image/gif": "gif", "image/heic": "heic",
            "image/avif": "avif", "image/bmp": "bmp"}
_WORDS = {
    "consistent": "consistent with AI generation",
    "not_consistent": "not consistent with AI generation (which does not make it authentic)",
    "uncertain": "uncertain: between its two thresholds",
}

Loader = Callable[[], Sequence[Detector]]


def _not_validated(det: Detector, ctx: AnalysisContext, summary: dict[str, Any] | None
                   ) -> list[str]:
    why: list[str] = []
    card = det.card
    if summary is None:
        why.append("it has not been evaluated here at all")
    fmt = _FORMATS.get(ctx.media.mime, ctx.media.mime)
    if fmt not in card.validated_for.formats:
        why.append(f"it was evaluated on {', '.join(card.validated_for.formats)} files, "
                   f"not {fmt}")
    w, h = ctx.media.width, ctx.media.height
    if w is not None and h is not None and min(w, h) < card.validated_for.min_side:
        why.append(f"the image is smaller ({min(w, h)} px) than the "
                   f"{card.validated_for.min_side} px it was evaluated at")
    return why


class DetectorAnalyzer:
    name = NAME

    def __init__(self, loader: Loader) -> None:
        self._loader = loader

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        if ctx.media.kind is not MediaKind.IMAGE:
            return Evidence(NAME, EvidenceStatus.NOT_APPLICABLE,
                            "The enabled detectors look at still images only.", limits=LIMITS)
        try:
            dets = [d for d in self._loader() if d.modality == "image"]
        except DetectorLoadError as e:
            # a detector that cannot load is an error, shown as such: never a made-up score
            return Evidence(NAME, EvidenceStatus.ERROR,
                            f"A detector could not be loaded: {e.message}", limits=LIMITS)
        if not dets:
            return Evidence(NAME, EvidenceStatus.NOT_APPLICABLE,
                            "No image detector is enabled.", limits=LIMITS)
        entries: list[dict[str, Any]] = []
        sentences: list[str] = []
        for det in dets:
            card = det.card
            summary = accuracy_summary(card)
            acc = accuracy_text(summary)
            why = _not_validated(det, ctx, summary)
            entry: dict[str, Any] = {
                "id": det.id,
                "version": det.version,
                "card": card.public(),
                "accuracy": summary,
                "accuracy_text": acc,
                "validated_for_file": not why,
                "not_validated_because": why,
            }
            head = f"A detector's opinion ({det.id} {det.version})"
            try:
                res = det.score(ctx.path)
            except DetectorError as e:
                entry.update(opinion="error", probability=None, error=e.message)
                sentences.append(f"{head}: none, it failed ({e.message}).")
                entries.append(entry)
                continue
            if res.probability is None:
                entry.update(opinion="abstained", probability=None,
                             abstain_reason=res.abstain_reason)
                sentences.append(f"{head}: none, it abstained ({res.abstain_reason}).")
            else:
                op = card.thresholds.opinion(res.probability)
                entry.update(opinion=op, probability=round(res.probability, 4),
                             regions=[r.as_dict() for r in res.regions])
                text = f"{head}: {_WORDS[op]} (score {res.probability:.2f}). {acc}"
                if why:
                    text += " Not validated for this kind of file: " + "; ".join(why) + "."
                sentences.append(text)
            entries.append(entry)
        ops = {e["opinion"] for e in entries}
        if ops & {"consistent", "not_consistent", "uncertain"}:
            status = EvidenceStatus.FOUND
        elif ops == {"error"}:
            status = EvidenceStatus.ERROR
        else:
            status = EvidenceStatus.NOT_FOUND
        return Evidence(NAME, status, " ".join(sentences), data={"detectors": entries},
                        limits=LIMITS)


_cache: dict[tuple[Any, ...], list[Detector]] = {}
_lock = threading.Lock()


def enabled_detectors(settings: DetectorSettings) -> Loader:
    """A loader for the operator's enabled detectors, loaded once per process (a model
    takes about a second to load); a failure is raised again on every call, not cached
    as a silent absence."""
    key = (tuple(settings.enabled), settings.http_url, settings.http_card,
           settings.http_timeout_s)

    def load() -> Sequence[Detector]:
        from mediaproof.detection.registry import load_enabled

        with _lock:
            if key not in _cache:
                _cache[key] = load_enabled(settings)
            return _cache[key]

    return load
