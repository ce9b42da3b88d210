"""The "watermark" analyzer: our own mark (with the instance key) and the Stable
Diffusion marks. It reports what it decoded; the registry lookup and the verdict
belong to the caller and the policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import Limits
from mediaproof.errors import MediaproofError
from mediaproof.media.sniff import MediaKind
from mediaproof.watermark import AUDIO_SCHEME, IMAGE_SCHEME
from mediaproof.watermark.ai_marks import available as ai_marks_available
from mediaproof.watermark.ai_marks import detect_ai_marks
from mediaproof.watermark.keys import watermark_key_path
from mediaproof.watermark.mediaio import load_audio, load_luma, load_rgb, luma_of, rgb_of
from mediaproof.watermark.models import Detection
from mediaproof.watermark.video import detect_video, vote

LIMITS = (
    "A decoded ID says the file carries a mark made with this instance's key; it does not "
    "say the content is unchanged (check the registered original's fingerprint) or "
    "authentic. No mark found means unknown: marks can be removed by heavy edits, strong "
    "crops, rotations over 5 degrees, mirroring or re-generation. Stable Diffusion marks "
    "are weak evidence of AI generation and vanish after JPEG re-encoding."
)
AI_MARK_MAX_PIXELS = 4_200_000
# ``ctx.cache`` entry: (key, read_marks data) already read from a decode that PDQ shared
# (services.image_reads); used only when read under the key the analyzer reads now
MARKS_CACHE_KEY = "watermark_marks"
# ``ctx.cache`` entry: (key, [Detection.as_dict() of each sampled frame, in frame order])
# read already by the parts of a long video's job (services.job_parts)
VIDEO_FRAMES_CACHE_KEY = "watermark_video_frames"
AUDIO_SECONDS = 60.0  # enough to hold many periods; longer files are read only this far


class WatermarkAnalyzer:
    name = "watermark"

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        try:
            return self._analyze(ctx)
        except MediaproofError as e:
            return Evidence(self.name, EvidenceStatus.ERROR, e.message, limits=LIMITS)
        except Exception as e:  # an analyzer reports, it must not crash the pipeline
            return Evidence(
                self.name, EvidenceStatus.ERROR, f"watermark check failed: {e}", limits=LIMITS
            )

    def _key(self, ctx: AnalysisContext) -> bytes | None:
        path = watermark_key_path(ctx.settings.home)
        return path.read_bytes() if path.exists() else None

    def _analyze(self, ctx: AnalysisContext) -> Evidence:
        kind = ctx.media.kind
        if kind not in (MediaKind.IMAGE, MediaKind.AUDIO, MediaKind.VIDEO):
            return Evidence(
                self.name, EvidenceStatus.NOT_APPLICABLE, f"no watermark check for {kind.value}"
            )
        key = self._key(ctx)
        pixels = (ctx.media.width or 0) * (ctx.media.height or 0)
        shared = ctx.cache.get(MARKS_CACHE_KEY)
        if isinstance(shared, tuple) and len(shared) == 2 and shared[0] == key:
            data = shared[1]  # read already, from a decode shared with PDQ
        else:
            frames = ctx.cache.get(VIDEO_FRAMES_CACHE_KEY)
            read = frames[1] if isinstance(frames, tuple) and frames[0] == key else None
            # the decodes are most of a small photo's verify: in the service they run
            # in a worker process, so concurrent requests use every core
            data = ctx.compute.run(
                read_marks,
                ctx.path,
                kind.value,
                key,
                pixels,
                read,
                ctx.settings.limits,
                timeout_s=ctx.step_timeout_s,
            )
        ai = [m["name"] for m in data["ai_marks"] if m["found"]]
        parts: list[str] = []
        for field, what in (("mediaproof", "watermark"), ("mediaproof_audio", "soundtrack")):
            ours = data.get(field)
            if ours and ours["claimed"]:
                p = ours["payload"]
                parts.append(
                    f"mediaproof {what}: asset ID {p['asset_id']} (version {p['version']}), "
                    f"sync z={ours['sync_score']:.1f}"
                )
        if ai:
            parts.append("generator watermark found: " + ", ".join(ai))
        if parts:
            return Evidence(self.name, EvidenceStatus.FOUND, "; ".join(parts), data, LIMITS)
        summary = "no watermark found"
        if key is None:
            summary += " (this instance has no watermark key, so only generator marks were checked)"
        return Evidence(self.name, EvidenceStatus.NOT_FOUND, summary, data, LIMITS)


def read_marks(
    path: Path,
    kind: str,
    key: bytes | None,
    pixels: int,
    video_frames: list[dict[str, Any]] | None = None,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Decode our mark (with ``key``, when the instance has one) and the generator marks
    from the file at ``path``; the analyzer's ``data`` before any summary. Needs nothing
    but its arguments, so it can run in another process. ``video_frames``: a video's
    sampled frames read already (their readings, in frame order), by the parts of a job.
    ``limits``: the pixel and duration limits a video's frames are read under."""
    if kind == MediaKind.IMAGE:
        return _image_marks(lambda: load_luma(path), lambda: load_rgb(path), key, pixels)
    data: dict[str, Any] = {"key_present": key is not None}
    if kind == MediaKind.AUDIO:
        if key is not None:
            samples, rate = load_audio(path, max_seconds=AUDIO_SECONDS)
            data["mediaproof"] = AUDIO_SCHEME.detect(samples, key, sample_rate=rate).as_dict()
        data["ai_marks"] = []
    elif kind == MediaKind.VIDEO:
        if key is not None:
            if video_frames is not None:
                det = vote([Detection.from_dict(d) for d in video_frames])
            else:
                det = detect_video(path, key, limits=limits)
            data["mediaproof"] = det.as_dict()
            try:
                samples, rate = load_audio(path, max_seconds=AUDIO_SECONDS)
            except MediaproofError:  # no soundtrack
                pass
            else:
                det = AUDIO_SCHEME.detect(samples, key, sample_rate=rate)
                data["mediaproof_audio"] = det.as_dict()
        data["ai_marks"] = []
    else:
        raise ValueError(f"no watermark check for {kind}")
    return data


def read_image_marks(oriented: Image.Image, key: bytes | None, pixels: int) -> dict[str, Any]:
    """:func:`read_marks` of an image file that the caller decoded and oriented in place
    (EXIF applied) itself, to share that decode with other readers; the same answer as
    :func:`read_marks` of the file where the file is not a JPEG (whose luminance
    :func:`load_luma` decodes DCT-scaled). ``oriented`` is not modified."""
    return _image_marks(lambda: luma_of(oriented), lambda: rgb_of(oriented), key, pixels)


def _image_marks(
    luma: Callable[[], Any], rgb: Callable[[], Any], key: bytes | None, pixels: int
) -> dict[str, Any]:
    data: dict[str, Any] = {"key_present": key is not None}
    if key is not None:
        data["mediaproof"] = IMAGE_SCHEME.detect_luma(luma(), key).as_dict()
    if pixels and pixels > AI_MARK_MAX_PIXELS:
        # generator marks live on unresized outputs (about 1-2.4 MP); a larger
        # image was resized, which removes them, and decoding it costs seconds
        data["ai_marks"] = []
        data["ai_marks_checked"] = False
        data["ai_marks_skipped"] = "larger than any unresized generator output"
    else:
        data["ai_marks"] = [m.as_dict() for m in detect_ai_marks(rgb()[:, :, :3])]
        data["ai_marks_checked"] = ai_marks_available()
    return data
