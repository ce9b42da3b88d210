"""Verify an uploaded file for anyone: what the HTTP service adds to verify_file.

Uploads are hostile until proven otherwise: the type is sniffed from the content (the
client's name and Content-Type are ignored), unknown types are refused, credentials that
live on a remote server are refused rather than fetched, and an image without
credentials that cannot be decoded is reported as corrupt instead of as "unknown".
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from mediaproof.analysis.compute import current_caller
from mediaproof.config import Limits
from mediaproof.errors import MalformedMediaError, UnsupportedMediaError
from mediaproof.matching.analyzer import HEATMAP_CACHE_KEY
from mediaproof.media.ingest import MediaInfo, ingest_file
from mediaproof.media.sniff import MediaKind
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import Job, JobRunner, Portable
from mediaproof.services.result_images import ResultImages, preview_path
from mediaproof.services.verification import analyzers_for, verify_file
from mediaproof.services.watermarking import HEATMAP_CACHE_KEY as WATERMARK_HEATMAP_KEY

StageProgress = Callable[[str, float], None]
_DECODABLE = {"image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff"}


def caller_limits(inst: Instance) -> Limits:
    """The instance's limits, with the smaller anonymous budget (pixels, duration) when
    the service named an anonymous caller for this request."""
    caller = current_caller()
    limits = inst.settings.limits
    return limits.for_anonymous() if caller is not None and caller.anonymous else limits


def inspect_upload(inst: Instance, path: Path) -> MediaInfo:
    """Sniff, size-check and probe an upload; refuses types mediaproof cannot analyse,
    and files over the caller's budget (:func:`caller_limits`)."""
    media = ingest_file(path, caller_limits(inst))
    if media.kind is MediaKind.UNKNOWN:
        raise UnsupportedMediaError(
            "this file type is not recognised",
            hint="mediaproof verifies images (JPEG, PNG, WebP, TIFF, GIF, AVIF, HEIC), "
            "video (MP4, MOV), audio (WAV, MP3, FLAC, M4A) and PDF",
        )
    return media


def runs_as_job(inst: Instance, media: MediaInfo) -> bool:
    """Video, and audio longer than the configured minute, go to the background worker."""
    if media.kind is MediaKind.VIDEO:
        return True
    if media.kind is MediaKind.AUDIO:
        limit = inst.settings.service.job_audio_min_s
        return media.duration_s is None or media.duration_s > limit
    return False


def verify_upload(
    inst: Instance,
    path: Path,
    progress: StageProgress | None = None,
    images: ResultImages | None = None,
    cache: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The verify report (docs/verify-report.md) for an upload already on disk.
    ``cache``: what the parts of a long video's job read already (services.job_parts).

    With ``images``, a matched image's evidence gets ``heatmap_url`` (what the copy
    changed, kept with the result) and ``original_url`` (the original's preview, where
    one may be shown)."""
    # the public answer names enrolled people only where the operator chose that
    likeness = inst.settings.service.public_likeness
    total = max(1, len(analyzers_for(inst, likeness=likeness)))
    done = [0]

    def step(name: str) -> None:
        if progress is not None:
            progress(name, done[0] / total)
        done[0] += 1

    report = verify_file(inst, path, progress=step, likeness=likeness, cache=cache)
    prov = report.evidence.get("provenance")
    pdata = prov.data if prov is not None else {}
    # credentials stored remotely are never fetched; the answer says where the file says
    # they are (label remote_credentials_not_fetched) with every other signal, not an error
    if pdata.get("state", "absent") == "absent" and report.media.mime in _DECODABLE:
        check_decodes(path)
    out = report.as_dict()
    if images is not None:
        _add_match_images(inst, out, report.images.get(HEATMAP_CACHE_KEY), images)
        # a copy PDQ missed but the watermark's keypoint check compared (issue 14)
        wm_heat = report.images.get(WATERMARK_HEATMAP_KEY)
        _add_match_images(inst, out, wm_heat, images, analyzer="watermark")
    return out


def _add_match_images(
    inst: Instance,
    out: dict[str, Any],
    heatmap: bytes | None,
    images: ResultImages,
    analyzer: str = "match",
) -> None:
    match = out["evidence"].get(analyzer)
    if match is None:
        return
    data = match.setdefault("data", {})
    diff = data.get("differences") or {}
    asset_id = str(diff.get("asset_id", ""))
    if heatmap is not None:
        data["heatmap_url"] = f"/api/v1/verify/images/{images.put(heatmap)}"
    if asset_id.isdigit() and preview_path(inst, int(asset_id)) is not None:
        data["original_url"] = f"/api/v1/assets/{asset_id}/preview"


def check_decodes(path: Path) -> None:
    """Refuse (422) an image that is truncated or corrupt."""
    # Draft mode decodes at reduced size: a cheap way to find truncated or corrupt data.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                im.draft("RGB", (256, 256))
                im.load()
    except Exception as e:
        raise MalformedMediaError(
            "the image is truncated or corrupt and cannot be decoded",
            hint=f"decoder said: {type(e).__name__}",
        ) from e


def verify_or_queue(
    inst: Instance,
    jobs: JobRunner,
    path: Path,
    take_ownership: Callable[[], Path],
    images: ResultImages | None = None,
) -> dict[str, Any] | Job:
    """The report now for quick files; a queued :class:`Job` for video and long audio.

    ``take_ownership`` hands the upload to the job, which deletes it when it ends.
    """
    media = inspect_upload(inst, path)
    if not runs_as_job(inst, media):
        return verify_upload(inst, path, images=images)
    owned = take_ownership()
    try:
        return jobs.submit(
            "verify",
            lambda progress: verify_upload(inst, owned, progress, images),
            cleanup=lambda: owned.unlink(missing_ok=True),
            portable=Portable("verify", owned),  # a worker's, when a broker is set
        )
    except BaseException:
        owned.unlink(missing_ok=True)  # not queued: nobody else will delete it
        raise


def clear_stale_uploads(inst: Instance) -> int:
    """Delete uploads a previous process left behind (a crash, a kill during a job)."""
    tmp = inst.home / "tmp"
    n = 0
    for p in tmp.glob("upload-*") if tmp.is_dir() else ():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)  # several files in one request
        else:
            p.unlink(missing_ok=True)
        n += 1
    return n
