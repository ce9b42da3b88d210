"""Video: the image scheme on frames, with a vote across frames.

Embedding marks every frame with the same payload (the tile is the same, so motion and
re-encoding average out rather than cancel) and re-encodes with H.264 through PyAV (the
Debian ffmpeg libraries); the soundtrack gets the audio mark with the same ID and is
re-encoded and re-muxed with the picture. Detection reads a few frames spread over the
file (by seeking, :mod:`.video_sample`) and claims an ID only when at least
``MIN_AGREEING`` frames claim the same one: a single frame's false-claim bound is
``8 * 2^-24``, two independent frames agreeing on the same 48 bits is far below 1e-6.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError
from mediaproof.watermark.audio import ID_BITS as AUDIO_ID_BITS
from mediaproof.watermark.audio import SpreadSpectrumAudioScheme
from mediaproof.watermark.errors import MediaTooSmallError, WatermarkError
from mediaproof.watermark.image import SpreadSpectrumImageScheme, luminance
from mediaproof.watermark.models import Detection, Payload
from mediaproof.watermark.video_sample import FRAMES_TO_CHECK as FRAMES_TO_CHECK
from mediaproof.watermark.video_sample import sample_frames
from mediaproof.watermark.video_sample import sample_indices as sample_indices

AUDIO_SCHEME = SpreadSpectrumAudioScheme()
MIN_AGREEING = 2


OUTPUT_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv"}
AUDIO_BITRATE = 128_000  # the soundtrack is re-encoded once; keep that generation mild


@dataclass(frozen=True)
class _Soundtrack:
    samples: npt.NDArray[np.float32]  # (channels, n)
    rate: int
    layout: str
    marked: bool


def _read_soundtrack(src: Path, payload: Payload, key: bytes, mark: bool) -> _Soundtrack | None:
    """The input's first audio track as planar float, marked with the audio scheme
    (32-bit ID) when asked and possible; None when there is no audio track."""
    import av

    with av.open(str(src)) as inp:
        if not inp.streams.audio:
            return None
        stream = inp.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate)
        channels = min(2, stream.codec_context.channels or 1)
        layout = "stereo" if channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        chunks = [
            out.to_ndarray().reshape(channels, -1)
            for frame in inp.decode(stream)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray().reshape(channels, -1) for out in resampler.resample(None)]
    if not chunks:
        return None
    samples = np.concatenate(chunks, axis=1).astype(np.float32)
    marked = False
    if mark and payload.asset_id < 1 << AUDIO_ID_BITS:
        try:
            # the same mark on every channel: a downmix to mono keeps it
            out = AUDIO_SCHEME.embed(samples.T, Payload(payload.asset_id), key, sample_rate=rate)
        except MediaTooSmallError:  # a soundtrack too short to carry the mark
            pass
        else:
            samples = np.clip(np.asarray(out, dtype=np.float32).T, -1.0, 1.0)
            marked = True
    return _Soundtrack(np.ascontiguousarray(samples), rate, layout, marked)


def _encode_soundtrack(dst: Any, track: _Soundtrack, codec: str) -> list[Any]:
    """Encode the soundtrack into packets of a new stream of ``dst`` (muxed later)."""
    import av

    ast = dst.add_stream(codec, rate=track.rate)
    ast.layout = track.layout
    ast.bit_rate = AUDIO_BITRATE
    packets: list[Any] = []
    step = 1024  # AAC's frame size; the encoder re-frames if it needs another
    n = track.samples.shape[1]
    for i in range(0, n, step):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(track.samples[:, i : i + step]), format="fltp", layout=track.layout
        )
        frame.sample_rate = track.rate
        frame.pts = i
        packets.extend(ast.encode(frame))
    packets.extend(ast.encode(None))
    return packets


def _seconds(pkt: Any) -> float:
    t = pkt.dts if pkt.dts is not None else pkt.pts
    return float(t * pkt.time_base) if t is not None and pkt.time_base else 0.0


@dataclass(frozen=True)
class VideoEmbedReport:
    frames: int
    audio_track: bool  # the input had a soundtrack (it is re-encoded into the output)
    audio_marked: bool  # ... and it carries the audio mark


def embed_video_with_report(
    src: Path, out: Path, payload: Payload, key: bytes, *, crf: int = 20, mark_audio: bool = True
) -> VideoEmbedReport:
    """Write a marked H.264 copy of ``src``: every frame carries the image mark and the
    soundtrack (re-encoded to AAC) carries the audio mark with the same
    ID, so a copy whose picture was ruined can still be traced by its sound."""
    import av

    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        # H.264 + AAC: WebM and other containers cannot hold this pair
        raise WatermarkError(
            f"cannot write a marked video as {out.suffix or 'a file without extension'}; "
            f"use one of {', '.join(sorted(OUTPUT_SUFFIXES))}"
        )
    scheme = SpreadSpectrumImageScheme()
    n = 0
    try:
        track = _read_soundtrack(src, payload, key, mark_audio)
        with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
            vin = inp.streams.video[0]
            rate = vin.average_rate or 25
            vout = dst.add_stream("libx264", rate=rate)
            vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
            vout.pix_fmt = "yuv420p"
            vout.options = {"crf": str(crf)}
            pending = _encode_soundtrack(dst, track, "aac") if track else []
            pending.reverse()  # pop() from the end in time order

            def mux_video(pkts: list[Any]) -> None:
                for pkt in pkts:
                    # interleave: audio up to this video packet's time goes first
                    while pending and _seconds(pending[-1]) <= _seconds(pkt):
                        dst.mux(pending.pop())
                    dst.mux(pkt)

            for frame in inp.decode(vin):
                rgb = frame.to_ndarray(format="rgb24")
                marked = np.asarray(scheme.embed(rgb, payload, key), dtype=np.uint8)
                mux_video(vout.encode(av.VideoFrame.from_ndarray(marked, format="rgb24")))
                n += 1
            mux_video(vout.encode())
            while pending:
                dst.mux(pending.pop())
    except av.error.FFmpegError as e:
        raise WatermarkError(f"cannot re-encode {src}: {e}") from e
    return VideoEmbedReport(n, track is not None, bool(track and track.marked))


def embed_video(
    src: Path, out: Path, payload: Payload, key: bytes, *, crf: int = 20, mark_audio: bool = True
) -> int:
    """:func:`embed_video_with_report`, returning the number of frames written."""
    return embed_video_with_report(src, out, payload, key, crf=crf, mark_audio=mark_audio).frames


def detect_frame(rgb: npt.NDArray[np.uint8], key: bytes) -> Detection:
    """One sampled frame's reading (a part of a long video reads its own frames)."""
    return SpreadSpectrumImageScheme().detect_luma(luminance(rgb), key)


def detect_video(
    path: Path, key: bytes, frames: int = FRAMES_TO_CHECK, limits: Limits | None = None
) -> Detection:
    """Vote across sampled frames; the returned Detection is the best agreeing frame's,
    with ``details['votes']`` and ``details['frames']`` added. The frames are reached by
    seeking (:func:`~mediaproof.watermark.video_sample.sample_frames`) under ``limits``
    (a file over them raises LimitExceededError)."""
    try:
        sampled = sample_frames(path, frames, limits)
    except LimitExceededError:
        raise
    except Exception as e:  # PyAV raises several types for broken files
        raise WatermarkError(f"cannot read video frames from {path}: {e}") from e
    return vote([detect_frame(f, key) for f in sampled])


def vote(dets: list[Detection]) -> Detection:
    """The video's reading from its sampled frames' readings, in frame order."""
    scheme = SpreadSpectrumImageScheme()
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
