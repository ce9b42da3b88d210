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

import dataclasses
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.analysis.compute import ComputeCrashed, ComputeFailed, ComputeTimedOut
from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import DetectorSettings, Limits
from mediaproof.detection.card import ModelCard
from mediaproof.detection.errors import DetectorError, DetectorLoadError
from mediaproof.detection.evaluate import accuracy_summary, accuracy_text
from mediaproof.detection.frames import AGGREGATE_WHY, sample_frames, score_frames_with
from mediaproof.detection.protocol import Detector, Modality
from mediaproof.errors import MediaproofError
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
            "image/avif": "avif", "image/bmp": "bmp",
            "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
            "video/x-msvideo": "avi", "video/x-matroska": "mkv",
            "audio/wav": "wav", "audio/flac": "flac", "audio/mpeg": "mp3",
            "audio/ogg": "ogg", "audio/mp4": "m4a"}
_WORDS = {
    "consistent": "consistent with AI generation",
    "not_consistent": "not consistent with AI generation (which does not make it authentic)",
    "uncertain": "uncertain: between its two thresholds",
}

_NONE_ENABLED = {
    MediaKind.IMAGE: "No image detector is enabled.",
    MediaKind.VIDEO: "No detector that looks at video frames or listens to a soundtrack "
                     "is enabled.",
    MediaKind.AUDIO: "No audio (AI-voice) detector is enabled.",
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
    # on a video: the frames looked at (number, time, the frame's own score where the
    # detector gave one per frame), how they were combined, and the highest frame score
    frames: tuple[dict[str, Any], ...] = ()
    aggregate: str | None = None
    max_probability: float | None = None
    segments: tuple[dict[str, Any], ...] = ()  # stretches of the video, in seconds
    soundtrack: bool = False  # an audio detector on a video's soundtrack


def score_with(dets: Sequence[Detector], path: Path, modality: Modality = "image"
               ) -> list[Scoring]:
    """Score ``path`` with every detector of ``dets`` (loaded already) of ``modality``:
    ``image`` on a picture, ``audio`` on a sound file (the file as uploaded)."""
    out: list[Scoring] = []
    for det in dets:
        if det.modality != modality:
            continue
        try:
            res = det.score(path)
        except DetectorError as e:
            out.append(Scoring(det.card, error=e.message))
            continue
        out.append(Scoring(det.card, res.probability, res.abstain_reason,
                           tuple(r.as_dict() for r in res.regions),
                           segments=tuple(s.as_dict() for s in res.segments)))
    return out


def score_enabled(settings: DetectorSettings, path: Path, modality: Modality = "image"
                  ) -> list[Scoring]:
    """The analysis step: load the operator's enabled detectors (once per process, so
    once per worker of the service's pool) and score one image (or, with ``modality``
    ``audio``, one sound file with the audio detectors). Module-level and
    plain-data in and out, so it runs in a worker process with the step's time limit.
    A detector that does not load raises :class:`DetectorLoadError` every time."""
    return score_with(enabled_detectors(settings)(), path, modality)


def score_video_with(dets: Sequence[Detector], path: Path, count: int,
                     limits: Limits | None = None, duration_s: float | None = None
                     ) -> list[Scoring]:
    """Sample ``count`` frames of the video at ``path`` once, and score them with every
    image and video-frames detector of ``dets`` (loaded already); and its soundtrack with
    every audio detector."""
    sound = [d for d in dets if d.modality == "audio"]
    dets = [d for d in dets if d.modality in ("image", "video-frames")]
    if not dets:
        return score_soundtrack_with(sound, path, limits)
    try:
        frames = sample_frames(path, count, limits, duration_s)
    except MediaproofError as e:
        why = f"the video's frames could not be read ({e})"
        return ([Scoring(d.card, error=why) for d in dets]
                + score_soundtrack_with(sound, path, limits))
    out: list[Scoring] = []
    for det in dets:
        try:
            vs = score_frames_with(det, frames)
        except DetectorError as e:
            out.append(Scoring(det.card, error=e.message,
                               frames=tuple({"frame": f.index,
                                             "timestamp_s": round(f.timestamp_s, 3)}
                                            for f in frames)))
            continue
        res = vs.result
        top = res.raw.get("max") if isinstance(res.raw.get("max"), float) else None
        out.append(Scoring(det.card, res.probability, res.abstain_reason,
                           frames=tuple(f.as_dict() for f in vs.frames),
                           aggregate=vs.aggregate, max_probability=top,
                           segments=tuple(s.as_dict() for s in res.segments)))
    return out + score_soundtrack_with(sound, path, limits)


def score_soundtrack_with(dets: Sequence[Detector], path: Path, limits: Limits | None
                          ) -> list[Scoring]:
    """Score a video's soundtrack with the audio detectors of ``dets``: decoded once
    (mono, its own sample rate, at most the instance's duration limit, as the audio
    fingerprint and watermark steps read it) into a temporary WAV file that every audio
    detector, ONNX, entry point or HTTP, reads as it reads an uploaded sound file."""
    if not dets:
        return []
    import av  # heavy import kept local
    import soundfile as sf

    from mediaproof.watermark.mediaio import load_audio

    try:
        with av.open(str(path)) as c:
            has_audio = bool(c.streams.audio)
    except av.error.FFmpegError as e:
        why = f"the video could not be opened ({e})"
        return [Scoring(d.card, error=why, soundtrack=True) for d in dets]
    if not has_audio:
        return [Scoring(d.card, abstain_reason="the video has no soundtrack", soundtrack=True)
                for d in dets]
    try:
        samples, rate = load_audio(path, limits.max_duration_s if limits else None)
    except MediaproofError as e:
        why = f"the video's soundtrack could not be read ({e})"
        return [Scoring(d.card, error=why, soundtrack=True) for d in dets]
    out: list[Scoring] = []
    with tempfile.TemporaryDirectory(prefix="mediaproof-soundtrack-") as tmp:
        wav = Path(tmp) / "soundtrack.wav"
        sf.write(wav, samples, rate, subtype="PCM_16")
        for sc in score_with(dets, wav, "audio"):
            out.append(dataclasses.replace(sc, soundtrack=True))
    return out


def score_video_enabled(settings: DetectorSettings, path: Path, limits: Limits,
                        duration_s: float | None) -> list[Scoring]:
    """The analysis step on a video (in a worker, with the step's time limit)."""
    return score_video_with(enabled_detectors(settings)(), path, settings.video_frames,
                            limits, duration_s)


def _not_validated(card: ModelCard, ctx: AnalysisContext, summary: dict[str, Any] | None
                   ) -> list[str]:
    why: list[str] = []
    if summary is None:
        why.append("it has not been evaluated here at all")
    if ctx.media.kind is MediaKind.VIDEO and card.modality == "audio":
        if "soundtrack" not in card.validated_for.formats:
            why.append("it was evaluated on sound files, not on a video's soundtrack")
        return why
    if ctx.media.kind is MediaKind.VIDEO and card.modality == "image":
        if not card.validated_for.video_frames:
            why.append("it was evaluated on still images, not on frames of a video")
        w, h = ctx.media.width, ctx.media.height
        if w is not None and h is not None and min(w, h) < card.validated_for.min_side:
            why.append(f"the frames are smaller ({min(w, h)} px) than the "
                       f"{card.validated_for.min_side} px it was evaluated at")
        return why
    if card.modality == "audio":
        fmt = _FORMATS.get(ctx.media.mime, ctx.media.mime)
        if fmt not in card.validated_for.formats:
            why.append(f"it was evaluated on {', '.join(card.validated_for.formats)} "
                       f"audio, not {fmt}")
        return why
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

    def __init__(self, source: DetectorSettings | Loader, *, video_frames: int = 8) -> None:
        self._source = source
        self._frames = (source.video_frames if isinstance(source, DetectorSettings)
                        else video_frames)

    def _scorings(self, ctx: AnalysisContext) -> list[Scoring]:
        video = ctx.media.kind is MediaKind.VIDEO
        modality: Modality = "audio" if ctx.media.kind is MediaKind.AUDIO else "image"
        if isinstance(self._source, DetectorSettings):
            if video:
                return ctx.compute.run(score_video_enabled, self._source, ctx.path,
                                       ctx.settings.limits, ctx.media.duration_s,
                                       timeout_s=ctx.step_timeout_s)
            return ctx.compute.run(score_enabled, self._source, ctx.path, modality,
                                   timeout_s=ctx.step_timeout_s)
        if video:
            return score_video_with(self._source(), ctx.path, self._frames,
                                    ctx.settings.limits, ctx.media.duration_s)
        return score_with(self._source(), ctx.path, modality)

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        if ctx.media.kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
            return Evidence(NAME, EvidenceStatus.NOT_APPLICABLE,
                            "The detectors look at still images, video frames and sound "
                            "files only.", limits=LIMITS)
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
        video = ctx.media.kind is MediaKind.VIDEO
        if not scorings:
            return Evidence(NAME, EvidenceStatus.NOT_APPLICABLE,
                            _NONE_ENABLED[ctx.media.kind], limits=LIMITS)
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
            if sc.soundtrack:
                head += " on the video's soundtrack"
                entry["looked_at"] = "soundtrack"
            elif ctx.media.kind is MediaKind.AUDIO:
                entry["looked_at"] = "recording"
            elif video:
                entry["looked_at"] = "frames"
                times = ", ".join(f"{f['timestamp_s']:.1f} s" for f in sc.frames)
                head += f" on {len(sc.frames)} frames sampled from the video (at {times})"
                entry.update(frames=list(sc.frames), aggregate=sc.aggregate,
                             aggregate_rule=AGGREGATE_WHY if sc.aggregate == "median"
                             else "the detector's own answer on all the frames together",
                             max_probability=None if sc.max_probability is None
                             else round(sc.max_probability, 4),
                             segments=list(sc.segments))
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
                if not video or sc.soundtrack:  # a video's frames set their own above
                    entry["segments"] = list(sc.segments)
                if video and not sc.soundtrack and sc.aggregate == "median":
                    hi = sc.max_probability
                    score = (f"median score of the frames {sc.probability:.2f}"
                             + (f", highest {hi:.2f}" if hi is not None else ""))
                else:
                    score = f"score {sc.probability:.2f}"
                text = f"{head}: {_WORDS[op]} ({score}). {acc}"
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
