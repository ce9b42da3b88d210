"""Video: the image scheme on frames, with a vote across frames.

Embedding marks every frame with the same payload (the tile is the same, so motion and
re-encoding average out rather than cancel) and re-encodes with H.264 through PyAV; the
soundtrack is not carried over yet (mark it separately with the audio scheme). Detection
decodes a few frames spread over the file and claims an ID only when at least
``MIN_AGREEING`` frames claim the same one: a single frame's false-claim bound is
``8 * 2^-24``, two independent frames agreeing on the same 48 bits is far below 1e-6.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mediaproof.watermark.errors import WatermarkError
from mediaproof.watermark.image import SpreadSpectrumImageScheme, luminance
from mediaproof.watermark.models import Detection, Payload

FRAMES_TO_CHECK = 8
MIN_AGREEING = 2


def embed_video(src: Path, out: Path, payload: Payload, key: bytes, *, crf: int = 20) -> int:
    """Write a marked H.264 copy of ``src`` (video track only). Returns frames written."""
    import av

    scheme = SpreadSpectrumImageScheme()
    n = 0
    try:
        with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
            vin = inp.streams.video[0]
            rate = vin.average_rate or 25
            vout = dst.add_stream("libx264", rate=rate)
            vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
            vout.pix_fmt = "yuv420p"
            vout.options = {"crf": str(crf)}
            for frame in inp.decode(vin):
                rgb = frame.to_ndarray(format="rgb24")
                marked = np.asarray(scheme.embed(rgb, payload, key), dtype=np.uint8)
                for pkt in vout.encode(av.VideoFrame.from_ndarray(marked, format="rgb24")):
                    dst.mux(pkt)
                n += 1
            for pkt in vout.encode():
                dst.mux(pkt)
    except av.error.FFmpegError as e:
        raise WatermarkError(f"cannot re-encode {src}: {e}") from e
    return n


def _sample_frames(path: Path, count: int) -> list[npt.NDArray[np.uint8]]:
    import av

    frames: list[npt.NDArray[np.uint8]] = []
    with av.open(str(path)) as inp:
        v = inp.streams.video[0]
        total = v.frames or 0
        step = max(1, total // count) if total else 1
        for i, frame in enumerate(inp.decode(v)):
            if i % step == 0:
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
                if len(frames) >= count:
                    break
    return frames


def detect_video(path: Path, key: bytes, frames: int = FRAMES_TO_CHECK) -> Detection:
    """Vote across sampled frames; the returned Detection is the best agreeing frame's,
    with ``details['votes']`` and ``details['frames']`` added."""
    scheme = SpreadSpectrumImageScheme()
    try:
        sampled = _sample_frames(path, frames)
    except Exception as e:  # PyAV raises several types for broken files
        raise WatermarkError(f"cannot read video frames from {path}: {e}") from e
    dets = [scheme.detect_luma(luminance(f), key) for f in sampled]
    votes = Counter(d.payload for d in dets if d.claimed and d.payload is not None)
    best = max(dets, key=lambda d: d.sync_score) if dets else scheme._none(0.0, 0, {})
    details = {**best.details, "frames": len(dets), "votes": {}}
    if votes:
        payload, count = votes.most_common(1)[0]
        details["votes"] = {str(p.asset_id): c for p, c in votes.items()}
        if count >= MIN_AGREEING:
            chosen = max((d for d in dets if d.payload == payload), key=lambda d: d.sync_score)
            # the bound for two agreeing frames is the square of one frame's bound,
            # times the number of frame pairs
            pairs = len(dets) * (len(dets) - 1) / 2
            bound = pairs * chosen.false_claim_bound**2
            return replace(chosen, false_claim_bound=bound, details={**chosen.details, **details})
    return replace(best, claimed=False, payload=None, crc_ok=bool(votes), details=details)
