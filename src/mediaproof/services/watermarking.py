"""Invisible watermarks in publishing and verification.

Publishing: before the C2PA signature, the pixels (or samples) get a mark carrying a
random ``watermark_id`` that the registry keeps with the asset; the manifest records a
``c2pa.watermarked`` action and a ``c2pa.soft-binding`` assertion naming the scheme.

Verification: a decoded ID counts only when the decoder claimed it (CRC passed and the
sync statistic cleared its threshold), the ID is registered here, and, where a
fingerprint still works, the content is near the registered original, so a watermark
copied onto other content does not inherit its provenance.
"""

from __future__ import annotations

import base64
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.media.ingest import MediaInfo
from mediaproof.registry.models import RegistryLookup
from mediaproof.watermark import embed_audio, embed_image, ensure_watermark_key
from mediaproof.watermark.analyzer import WatermarkAnalyzer
from mediaproof.watermark.mediaio import load_audio, load_for_marking, load_rgb, save_marked

SCHEME_ALG = "io.mediaproof.watermark.ss-dct.v1"
AUDIO_SCHEME_ALG = "io.mediaproof.watermark.ss-audio.v1"
# formats whose pixels/samples we can rewrite without a lossy generation we did not ask for
IMAGE_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/tiff": "TIFF",
}
AUDIO_FORMATS = {"audio/wav": "WAV", "audio/flac": "FLAC"}
ID_BITS = 32  # the audio scheme carries 32 bits, the image scheme 40: use the smaller


@dataclass(frozen=True)
class Marked:
    path: Path
    watermark_id: int
    alg: str


def new_watermark_id(taken: RegistryLookup) -> int:
    for _ in range(32):
        wid = secrets.randbelow((1 << ID_BITS) - 1) + 1
        if taken.asset_by_watermark_id(wid) is None:
            return wid
    raise RuntimeError("could not find a free watermark ID")  # 2^32 IDs: not reachable


MIN_IMAGE_SIDE = 512  # smaller images hold too few tiles for a reliable decode


def can_watermark(media: MediaInfo) -> bool:
    if media.mime in IMAGE_FORMATS:
        return min(media.width or 0, media.height or 0) >= MIN_IMAGE_SIDE
    return media.mime in AUDIO_FORMATS


def apply_watermark(home: Path, media: MediaInfo, watermark_id: int, workdir: Path) -> Marked:
    """Write a marked copy of ``media`` into ``workdir``, same format as the input, with
    its alpha channel, colour profile and EXIF data (see ``ImageMetadata``)."""
    key = ensure_watermark_key(home)
    out = workdir / f"marked.{media.extension}"
    if media.mime in IMAGE_FORMATS:
        rgb, alpha, meta = load_for_marking(media.path)
        marked = np.asarray(embed_image(rgb, watermark_id, key), dtype=np.uint8)
        save_marked(marked, alpha, meta, out, IMAGE_FORMATS[media.mime])
        return Marked(out, watermark_id, SCHEME_ALG)
    import soundfile

    samples, rate = load_audio(media.path)
    marked_audio = np.asarray(embed_audio(samples, rate, watermark_id, key), dtype=np.float32)
    soundfile.write(out, np.clip(marked_audio, -1.0, 1.0), rate, format=AUDIO_FORMATS[media.mime])
    return Marked(out, watermark_id, AUDIO_SCHEME_ALG)


def manifest_additions(marked: Marked) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``c2pa.watermarked`` action and the soft-binding assertion for the manifest."""
    action = {
        "action": "c2pa.watermarked",
        "parameters": {"description": f"invisible watermark {marked.alg}"},
    }
    value = base64.b64encode(marked.watermark_id.to_bytes(8, "big")).decode()
    soft = {
        "alg": marked.alg,
        "blocks": [{"scope": {}, "value": value}],
    }
    return action, soft


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="mediaproof-wm-")


SCENE_LONG_SIDE = 1024
MIN_INLIERS = 25
MIN_INLIER_SHARE = 0.2


def same_scene(copy: Path, original: Path) -> tuple[bool, int]:
    """Whether ``copy`` shows the same picture as ``original`` up to crop, scale and small
    rotation: ORB keypoints matched under a RANSAC similarity transform. Returns the
    verdict and the number of geometrically consistent matches.

    PDQ cannot follow crops or rotations, which is where a watermark still reads; this
    check lets such copies keep their provenance while a mark pasted onto unrelated
    content (few consistent matches) does not."""
    import cv2

    def load(path: Path) -> Any:
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            rgb = load_rgb(path)[:, :, :3]
            gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        f = SCENE_LONG_SIDE / max(gray.shape)
        if f < 1:
            gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        return gray

    orb = cv2.ORB.create(nfeatures=3000)
    ka, da = orb.detectAndCompute(load(copy), None)
    kb, db = orb.detectAndCompute(load(original), None)
    if da is None or db is None or len(ka) < MIN_INLIERS or len(kb) < MIN_INLIERS:
        return False, 0
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.8 * rest[0].distance]
    if len(good) < MIN_INLIERS:
        return False, len(good)
    src = np.array([ka[m.queryIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
    dst = np.array([kb[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
    _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=4.0)
    inliers = int(mask.sum()) if mask is not None else 0
    return inliers >= MIN_INLIERS and inliers >= MIN_INLIER_SHARE * len(good), inliers


class RegistryWatermarkAnalyzer:
    """The watermark analyzer plus the registry checks that make a decoded ID count."""

    name = "watermark"

    def __init__(
        self, registry: RegistryLookup, originals: Callable[[str], Path | None] | None = None
    ) -> None:
        self.registry = registry
        self.inner = WatermarkAnalyzer()
        # where a kept original's bytes are, by blob digest (None when not kept)
        self.originals: Callable[[str], Path | None] = originals or (lambda _digest: None)

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        ev = self.inner.analyze(ctx)
        if ev.status is not EvidenceStatus.FOUND:
            return ev
        data = dict(ev.data)
        ours = data.get("mediaproof") or data.get("mediaproof_audio")
        data["ai_generator_mark"] = any(m.get("found") for m in data.get("ai_marks", []))
        if not ours or not ours.get("claimed"):
            return Evidence(ev.analyzer, ev.status, ev.summary, data, ev.limits)
        wid = int(ours["payload"]["asset_id"])
        asset = self.registry.asset_by_watermark_id(wid)
        data["watermark_id"] = wid
        if asset is None:
            data["asset_id"] = None
            summary = (
                "A watermark made with this instance's key decodes to an ID that is not "
                "registered here, so it is not counted."
            )
            status = EvidenceStatus.FOUND if data["ai_generator_mark"] else EvidenceStatus.NOT_FOUND
            return Evidence(ev.analyzer, status, summary, data, ev.limits)
        data["claimed_asset_id"] = asset.id
        data["content_matches"] = self._content_matches(ctx, asset.id, asset.original_blob, data)
        if data["content_matches"] is not False:
            data["asset_id"] = asset.id
            tail = (
                "and the content matches the registered original"
                if data["content_matches"]
                else "(the content could not be compared with the original)"
            )
            summary = f"Watermark of registered asset {asset.id} (“{asset.title}”) found, {tail}."
        else:
            data["asset_id"] = None
            summary = (
                f"A watermark of registered asset {asset.id} was found, but the content "
                "differs from that original: the mark may have been copied onto other "
                "content, so it does not lend this file the original's provenance."
            )
        return Evidence(ev.analyzer, EvidenceStatus.FOUND, summary, data, ev.limits)

    def _content_matches(
        self, ctx: AnalysisContext, asset_id: int, blob: str | None, data: dict[str, Any]
    ) -> bool | None:
        """True/False when the content could be compared with the original, else None."""
        match = ctx.previous.get("match")
        if match is not None and str(asset_id) in {
            str(a) for a in (match.data.get("matched_assets") or [])
        }:
            data["content_check"] = "fingerprint"
            return True
        original = self.originals(blob) if blob else None
        if original is None or ctx.media.kind.value != "image":
            # audio, or no kept original: fall back on the fingerprint answer when it had one
            if match is not None and match.status is EvidenceStatus.NOT_FOUND:
                data["content_check"] = "fingerprint"
                return None if ctx.media.kind.value == "image" else False
            return None
        same, inliers = ctx.compute.run(
            same_scene, ctx.path, original, timeout_s=ctx.step_timeout_s
        )
        data["content_check"] = "keypoints"
        data["content_inliers"] = inliers
        return same
