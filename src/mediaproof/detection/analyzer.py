"""Detectors in verify: the ``detector`` analyzer.

Each enabled detector's output becomes part of one Evidence, worded as a detector's
opinion ("consistent / not consistent with AI generation"), always with the accuracy the
harness measured for it and a "not validated for this kind of file" flag when the file
is outside what it was evaluated on. The policy does not label on this evidence: it is
shown, never decisive (docs/detectors.md).

The detectors load and score in the analysis workers (``ctx.compute``: the service's
process pool, inline in the CLI) with the step's time limit, so a slow model does not
hold a request thread's core and a hung one is stopped; each worker loads them once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.analysis.compute import ComputeCrashed, ComputeFailed, ComputeTimedOut
from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import DetectorSettings
from mediaproof.detection.card import ModelCard
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


@dataclass(frozen=True)
class Scoring:
    """One detector's answer on one file, as it crosses from a worker process: its card
    (for the wording and the measured accuracy), and a probability, an abstention or an
    error."""

    card: ModelCard
    probability: float | None = None
    abstain_reason: str | None = None
    regions: tuple[dict[str, Any], ...] = ()
    error: str | None = None


def score_with(dets: Sequence[Detector], path: Path) -> list[Scoring]:
    """Score ``path`` with every image detector of ``dets`` (loaded already)."""
    out: list[Scoring] = []
    for det in dets:
        if det.modality != "image":
            continue
        try:
            res = det.score(path)
        except DetectorError as e:
            out.append(Scoring(det.card, error=e.message))
            continue
        out.append(Scoring(det.card, res.probability, res.abstain_reason,
                           tuple(r.as_dict() for r in res.regions)))
    return out


def score_enabled(settings: DetectorSettings, path: Path) -> list[Scoring]:
    """The analysis step: load the operator's enabled detectors (once per process, so
    once per worker of the service's pool) and score one image. Module-level and
    plain-data in and out, so it runs in a worker process with the step's time limit.
    A detector that does not load raises :class:`DetectorLoadError` every time."""
    return score_with(enabled_detectors(settings)(), path)


def _not_validated(card: ModelCard, ctx: AnalysisContext, summary: dict[str, Any] | None
                   ) -> list[str]:
    why: list[str] = []
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
    """``source`` is the operator's settings (the detectors load and run in the analysis
    workers, ``ctx.compute``, with the step's time limit) or, in tests of the wording, a
    loader of detectors already made, run in the calling thread."""

    name = NAME

    def __init__(self, source: DetectorSettings | Loader) -> None:
        self._source = source

    def _scorings(self, ctx: AnalysisContext) -> list[Scoring]:
        if isinstance(self._source, DetectorSettings):
            return ctx.compute.run(score_enabled, self._source, ctx.path,
                                   timeout_s=ctx.step_timeout_s)
        return score_with(self._source(), ctx.path)

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        if ctx.media.kind is not MediaKind.IMAGE:
            return Evidence(NAME, EvidenceStatus.NOT_APPLICABLE,
                            "The enabled detectors look at still images only.", limits=LIMITS)
        try:
            scorings = self._scorings(ctx)
        except DetectorLoadError as e:
            # a detector that cannot load is an error, shown as such: never a made-up score
            return Evidence(NAME, EvidenceStatus.ERROR,
                            f"A detector could not be loaded: {e.message}", limits=LIMITS)
        except (ComputeTimedOut, ComputeCrashed) as e:
            return Evidence(NAME, EvidenceStatus.ERROR,
                            f"The detectors did not answer: {e.message}", limits=LIMITS)
        except ComputeFailed as e:
            return Evidence(NAME, EvidenceStatus.ERROR,
                            f"The detectors failed unexpectedly ({e})", limits=LIMITS)
        if not scorings:
            return Evidence(NAME, EvidenceStatus.NOT_APPLICABLE,
                            "No image detector is enabled.", limits=LIMITS)
        entries: list[dict[str, Any]] = []
        sentences: list[str] = []
        for sc in scorings:
            card = sc.card
            summary = accuracy_summary(card)
            acc = accuracy_text(summary)
            why = _not_validated(card, ctx, summary)
            entry: dict[str, Any] = {
                "id": card.id,
                "version": card.version,
                "card": card.public(),
                "accuracy": summary,
                "accuracy_text": acc,
                "validated_for_file": not why,
                "not_validated_because": why,
            }
            head = f"A detector's opinion ({card.id} {card.version})"
            if sc.error is not None:
                entry.update(opinion="error", probability=None, error=sc.error)
                sentences.append(f"{head}: none, it failed ({sc.error}).")
            elif sc.probability is None:
                entry.update(opinion="abstained", probability=None,
                             abstain_reason=sc.abstain_reason)
                sentences.append(f"{head}: none, it abstained ({sc.abstain_reason}).")
            else:
                op = card.thresholds.opinion(sc.probability)
                entry.update(opinion=op, probability=round(sc.probability, 4),
                             regions=list(sc.regions))
                text = f"{head}: {_WORDS[op]} (score {sc.probability:.2f}). {acc}"
                if why:
                    text += " Not validated for this kind of file: " + "; ".join(why) + "."
                sentences.append(text)
            entries.append(entry)
        ops = {e["opinion"] for e in entries}
        if ops & {"consistent", "not_consistent", "uncertain"}:
            status = EvidenceStatus.FOUND
        elif "error" in ops:
            status = EvidenceStatus.ERROR
        else:
            # every detector abstained: it did not look, so the answer must not list it
            # among the checks that "found nothing"
            status = EvidenceStatus.NOT_APPLICABLE
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
