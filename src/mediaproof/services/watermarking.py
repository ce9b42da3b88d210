"""Invisible watermarks in publishing and verification.

Publishing: before the C2PA signature, the pixels (or samples) get a mark carrying a
random ``watermark_id`` that the registry keeps with the asset; the manifest records a
``c2pa.watermarked`` action and a ``c2pa.soft-binding`` assertion naming the scheme.

Verification: a decoded ID counts only when the decoder claimed it (CRC passed and the
sync statistic cleared its threshold), the ID is registered here, and there is positive
evidence that the content is the registered original's (a fingerprint match, or a
keypoint match against the kept pixels), so a watermark copied onto other content does
not inherit its provenance. Without that evidence the mark is reported, and refused.
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
from mediaproof.fingerprint.pdq import ImageFingerprint, fingerprint_written
from mediaproof.matching.align import align_copy, describe_changes, significant_changes
from mediaproof.media.ingest import MediaInfo
from mediaproof.registry.models import RegistryLookup
from mediaproof.watermark import (
    embed_audio,
    embed_image,
    embed_image_luma,
    ensure_watermark_key,
)
from mediaproof.watermark.analyzer import WatermarkAnalyzer
from mediaproof.watermark.mediaio import (
    load_audio,
    load_for_marking,
    load_jpeg_ycbcr,
    load_rgb,
    luma_plane,
    save_marked,
    save_marked_ycbcr,
    with_luma,
)

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
    # PDQ of the marked image, from the pixels just written (registration then need not
    # decode the signed file, whose pixels signing leaves as they are); None: not known
    image: ImageFingerprint | None = None


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
    ycc = load_jpeg_ycbcr(media.path) if media.mime == "image/jpeg" else None
    if ycc is not None:  # a colour JPEG: marked on its Y plane, no RGB frame made
        im, jmeta = ycc
        with_luma(im, embed_image_luma(luma_plane(im), watermark_id, key))
        save_marked_ycbcr(im, jmeta, out)
        return Marked(out, watermark_id, SCHEME_ALG, fingerprint_written(im, "JPEG"))
    if media.mime in IMAGE_FORMATS:
        rgb, alpha, meta = load_for_marking(media.path)
        marked = np.asarray(embed_image(rgb, watermark_id, key), dtype=np.uint8)
        fmt = IMAGE_FORMATS[media.mime]
        written = save_marked(marked, alpha, meta, out, fmt)
        return Marked(out, watermark_id, SCHEME_ALG, fingerprint_written(written, fmt))
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


# the keypoint comparison's heatmap (PNG bytes), for the report renderer like the match's
HEATMAP_CACHE_KEY = "watermark_heatmap_png"


def compare_with_kept(
    copy: Path, original: Path
) -> tuple[bool, int, dict[str, Any] | None, bytes | None]:
    """The keypoint check and, when it says "same picture", the difference map of the
    copy laid over the original (``Alignment.as_dict()``) and its heatmap. One worker
    step."""
    same, inliers = same_scene(copy, original)
    if not same:
        return same, inliers, None, None
    aligned = align_copy(original, copy)
    return same, inliers, aligned.as_dict(), aligned.heatmap_png


class RegistryWatermarkAnalyzer:
    """The watermark analyzer plus the registry checks that make a decoded ID count.

    A decoded ID of a registered asset lends this file that asset's provenance only on
    positive evidence that the content is that asset's: its fingerprint matched the
    asset (the match analyzer ran first) or, for images whose original's pixels are
    kept, keypoints show the same picture. ``data["mark"]`` says what became of it:

    ``counted``            content evidence found: a copy of the registered original
    ``changed_copy``       the same picture, but regions differ (``data["changed"]``)
    ``refused_unchecked``  no way to check the content (nothing kept, no fingerprint hit)
    ``refused_differs``    the content was checked and is not the original's
    ``unregistered``       the ID is not registered here
    """

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
        data["ai_generator_mark"] = any(m.get("found") for m in data.get("ai_marks", []))
        # a video carries a picture mark and a soundtrack mark: the first one claimed
        claimed = [
            f for f in ("mediaproof", "mediaproof_audio") if (data.get(f) or {}).get("claimed")
        ]
        if not claimed:
            return Evidence(ev.analyzer, ev.status, ev.summary, data, ev.limits)
        field = claimed[0]
        kind = ctx.media.kind.value
        what = "watermark"
        if field == "mediaproof_audio" or kind == "audio":
            what = "soundtrack watermark"
        elif kind == "video":
            what = "video watermark"
        data["mark_source"] = field
        wid = int(data[field]["payload"]["asset_id"])
        asset = self.registry.asset_by_watermark_id(wid)
        data["watermark_id"] = wid
        if asset is None:
            data["asset_id"] = None
            data["mark"] = "unregistered"
            summary = (
                f"A {what} made with this instance's key decodes to an ID that is not "
                "registered here, so it is not counted."
            )
            status = EvidenceStatus.FOUND if data["ai_generator_mark"] else EvidenceStatus.NOT_FOUND
            return Evidence(ev.analyzer, status, summary, data, ev.limits)
        data["claimed_asset_id"] = asset.id
        data["content_matches"] = self._content_matches(ctx, asset.id, asset.original_blob, data)
        changed = data.get("changed")
        name = f"registered asset {asset.id} (“{asset.title}”)"
        data["asset_id"] = None
        if data["content_matches"] is True and changed:
            data["mark"] = "changed_copy"
            summary = (
                f"A {what} of {name} was found and the picture is that original's, but "
                f"{describe_changes(changed)} differs from it: this copy was changed "
                "after registration. It does not carry the original's provenance for "
                "the changed parts."
            )
        elif data["content_matches"] is True:
            data["asset_id"] = asset.id
            data["mark"] = "counted"
            how = {
                "fingerprint": "its fingerprint matches the registered original",
                "keypoints": "its picture matches the registered original's",
            }.get(str(data.get("content_check")), "its content matches the registered original")
            summary = f"A {what} of {name} was found, and {how}."
            if data.get("differences_unavailable"):
                summary += (
                    " The original's pixels are not kept here, so whether parts of this "
                    "copy were changed could not be checked."
                )
        elif data["content_matches"] is False:
            data["mark"] = "refused_differs"
            summary = (
                f"A copied mark: a {what} of {name} was found, but the content differs "
                "from that original, so the mark may have been copied onto other content. "
                "It does not lend this file the original's provenance."
            )
        else:
            data["mark"] = "refused_unchecked"
            summary = (
                f"A {what} of {name} was found, but the content could not be checked "
                f"against that original ({data.get('content_unchecked_why')}). A mark can "
                "be copied onto other content, so it does not lend this file the "
                "original's provenance."
            )
        return Evidence(ev.analyzer, EvidenceStatus.FOUND, summary, data, ev.limits)

    def _content_matches(
        self, ctx: AnalysisContext, asset_id: int, blob: str | None, data: dict[str, Any]
    ) -> bool | None:
        """True on positive evidence that the content is the asset's; False when it was
        compared and is not; None when it could not be compared (never inherited)."""
        match = ctx.previous.get("match")
        mdata = match.data if match is not None else {}
        if match is not None and str(asset_id) in {
            str(a) for a in (mdata.get("matched_assets") or [])
        }:
            data["content_check"] = "fingerprint"
            if mdata.get("differences_unavailable"):
                data["differences_unavailable"] = True
            diffs = mdata.get("differences") or {}
            if str(diffs.get("asset_id")) == str(asset_id) and mdata.get("changed"):
                data["changed"] = mdata["changed"]
            return True
        kind = ctx.media.kind.value
        original = self.originals(blob) if blob else None
        if original is not None and kind == "image":
            same, inliers, diffs, heatmap = ctx.compute.run(
                compare_with_kept, ctx.path, original, timeout_s=ctx.step_timeout_s
            )
            data["content_check"] = "keypoints"
            data["content_inliers"] = inliers
            if diffs is not None:
                data["differences"] = {"asset_id": asset_id, **diffs}
                if heatmap is not None:
                    ctx.cache[HEATMAP_CACHE_KEY] = heatmap
                changed = significant_changes(diffs)
                if changed is not None:
                    data["changed"] = changed
            return bool(same)
        fingerprinted = match is not None and match.status in (
            EvidenceStatus.FOUND,
            EvidenceStatus.NOT_FOUND,
        )
        if fingerprinted and kind == "audio":
            # Chromaprint follows the re-encodes and cuts the soundtrack mark survives,
            # so a miss means other sound
            data["content_check"] = "fingerprint"
            return False
        data["content_check"] = None
        if kind == "video" and fingerprinted:
            data["content_unchecked_why"] = (
                "its video fingerprint does not match the original's, which happens for "
                "crops as well as for other footage"
            )
        elif kind == "image" and fingerprinted:
            data["content_unchecked_why"] = (
                "its fingerprint does not match the original's, which happens for crops "
                "and rotations as well as for other pictures, and this instance does not "
                "keep the original's pixels for a closer comparison"
            )
        elif kind == "image":
            data["content_unchecked_why"] = (
                "no fingerprint could be compared and the original's pixels are not kept"
            )
        else:
            data["content_unchecked_why"] = "no fingerprint could be compared"
        return None
