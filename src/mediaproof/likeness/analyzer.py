"""The ``likeness`` analyzer: whose enrolled face or voice the media resembles.

It reports resemblance with scores and thresholds ("shows someone who looks like X"); it
never says a file is fake or real. A real photo of the person, a look-alike and a good
fake all look alike to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.errors import MediaproofError
from mediaproof.likeness.service import CheckResult, LikenessService
from mediaproof.media.sniff import MediaKind

LIMITS = (
    "Likeness is a reason to look, not a verdict: a genuine recording of the person, a "
    "look-alike and a convincing fake all score high, and a fake can score low. Faces "
    "smaller than the minimum size, faces turned away, and less than a second of speech "
    "are not compared; video is sampled about once a second."
)


def describe(result: CheckResult) -> str:
    """One sentence a person can read, e.g. 'Shows someone who looks like X (score 0.97,
    threshold 0.90).'"""
    if result.matches:
        parts = [
            f"{m.wording} (score {m.score:.2f}, threshold {m.threshold:.2f})"
            for m in result.matches
        ]
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."
    if result.enrolled == 0:
        return "No one is enrolled, so no likeness was compared."
    if not result.compared:
        need = {"image": "a face", "audio": "a voice"}.get(result.kind, "a face or a voice")
        return f"No likeness was compared: no one is enrolled with {need}."
    looked = []
    if "face" in result.compared:
        looked.append(f"{result.faces_found} face(s) found")
        if result.faces_too_small:
            looked.append(f"{result.faces_too_small} too small to compare")
    if "voice" in result.compared:
        looked.append(
            f"{result.speech_s:.1f} s of speech"
            if result.speech_verdict == "speech"
            else "no clear speech"
        )
    return (
        f"No enrolled person's likeness found ({', '.join(looked)}; "
        f"{result.enrolled} people enrolled)."
    )


class LikenessAnalyzer:
    """Register as ``LikenessAnalyzer(service)`` with an open service, or with a function
    that opens one per analysis (``services.likeness.instance_likeness(inst)``)."""

    name = "likeness"

    def __init__(
        self,
        service: LikenessService | Callable[[AnalysisContext], LikenessService | None] | None,
    ) -> None:
        """``service`` is the instance's likeness service, or a function that opens it for
        a context (returning None when the instance has no likeness data)."""
        self._service = service

    def _resolve(self, ctx: AnalysisContext) -> tuple[LikenessService | None, bool]:
        """The service, and whether this call opened it (and so must close it)."""
        if isinstance(self._service, LikenessService) or self._service is None:
            return self._service, False
        return self._service(ctx), True

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        if ctx.media.kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
            return Evidence(
                self.name,
                EvidenceStatus.NOT_APPLICABLE,
                f"Likeness is not checked for {ctx.media.mime}.",
            )
        opened: LikenessService | None = None
        try:
            service, owned = self._resolve(ctx)
            if owned:
                opened = service
            if service is None:
                return Evidence(
                    self.name,
                    EvidenceStatus.NOT_FOUND,
                    "No one is enrolled, so no likeness was compared.",
                    {},
                    LIMITS,
                )
            result = service.check(ctx.path, ctx.media)
        except MediaproofError as e:
            return Evidence(self.name, EvidenceStatus.ERROR, f"Likeness check failed: {e}")
        except Exception as e:  # an analyzer must not raise for bad media
            return Evidence(
                self.name,
                EvidenceStatus.ERROR,
                f"Likeness check could not decode the media ({type(e).__name__}: {e}).",
            )
        finally:
            if opened is not None:
                opened.store.close()
        data: dict[str, Any] = result.as_dict()
        status = EvidenceStatus.FOUND if result.matches else EvidenceStatus.NOT_FOUND
        return Evidence(self.name, status, describe(result), data, LIMITS)
