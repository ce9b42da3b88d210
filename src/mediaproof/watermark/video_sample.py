"""Reading the video detector's sampled frames: by seeking, or by decoding from the start.

The detector reads ``count`` frames spaced evenly over the container's frame count
(:func:`sample_indices`), numbered as a decode from the file's start numbers them.
:func:`sample_frames` reaches each one by a seek to the key frame before it and a decode
of at most that key frame's group of pictures, numbering frames by their presentation
timestamps from the demuxer (:mod:`mediaproof.fingerprint.video_ranges`); wanted frames
that share a key frame are read in one pass. Where the file cannot be numbered that way,
or a seek misbehaves, it reads them as it always did: decoding every frame from the start
up to the last wanted one (:func:`sample_frames_from_start`).

Both apply the limits vPDQ's decode applies (pixels per frame, duration) and bound the
number of frames by the duration limit at :data:`MAX_FRAME_RATE`, so a file with huge
declared dimensions or an endless run of frames is refused instead of decoded.
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError, MalformedMediaError, UnsupportedMediaError
from mediaproof.fingerprint.video_ranges import (
    MAX_FRAME_RATE,
    FrameIndex,
    RangeDecode,
    frame_index,
    max_frames,
)

FRAMES_TO_CHECK = 8

Frames = list[npt.NDArray[np.uint8]]

__all__ = [
    "FRAMES_TO_CHECK",
    "MAX_FRAME_RATE",
    "sample_frames",
    "sample_frames_by_seek",
    "sample_frames_from_start",
    "sample_indices",
]


def sample_indices(total: int, count: int = FRAMES_TO_CHECK) -> list[int]:
    """The frame numbers the detector reads: ``count`` frames evenly spaced over the
    container's frame count ``total`` (the first ``count`` when it is unknown)."""
    step = max(1, total // count) if total else 1
    return [i * step for i in range(count)]


def _rgb(frame: Any) -> npt.NDArray[np.uint8]:
    return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def _video_stream(container: Any, limits: Limits) -> Any:
    """The first video stream, refused when its declared frame size is over the limit
    (before a single frame is decoded)."""
    if not container.streams.video:
        raise UnsupportedMediaError("no video stream")
    stream = container.streams.video[0]
    cc = stream.codec_context
    if (cc.width or 0) * (cc.height or 0) > limits.max_pixels:
        raise LimitExceededError("video frame over the pixel limit")
    return stream


def _check_frame(frame: Any, ts: float, n: int, limits: Limits) -> None:
    if frame.width * frame.height > limits.max_pixels:
        raise LimitExceededError("video frame over the pixel limit")
    if ts > limits.max_duration_s or n >= max_frames(limits):
        raise LimitExceededError("video longer than the duration limit")


def sample_frames_from_start(
    path: Path, count: int = FRAMES_TO_CHECK, limits: Limits | None = None
) -> Frames:
    """The sampled frames, decoding every frame from the file's start up to the last
    wanted one (the reader before seeking; the fallback)."""
    import av

    limits = limits or Limits()
    frames: Frames = []
    with av.open(str(path)) as inp:
        v = _video_stream(inp, limits)
        rate = v.average_rate or v.guessed_rate or Fraction(30)
        tb = float(v.time_base) if v.time_base else 1.0 / float(rate)
        indices = sample_indices(v.frames or 0, count)
        wanted, last = set(indices), max(indices, default=-1)
        for i, frame in enumerate(inp.decode(v)):
            if i > last:
                break
            ts = frame.pts * tb if frame.pts is not None else i / float(rate)
            _check_frame(frame, ts, i, limits)
            if i in wanted:
                frames.append(_rgb(frame))
                if len(frames) >= count:
                    break
    return frames


def _check_index(path: Path, index: FrameIndex, limits: Limits) -> None:
    """Refuse, before decoding, a file over the duration limit or with a declared frame
    size over the pixel limit."""
    import av

    if index.time_base is not None and index.pts[-1] * index.time_base > limits.max_duration_s:
        raise LimitExceededError("video longer than the duration limit")
    with av.open(str(path), metadata_errors="ignore") as container:
        _video_stream(container, limits)


def _groups(index: FrameIndex, wanted: list[int]) -> list[list[int]]:
    """``wanted`` (ascending) split by the key frame each one is decoded from."""
    groups: list[list[int]] = []
    last_key: int | None = None
    for n in wanted:
        k = bisect.bisect_right(index.keys, index.pts[n]) - 1
        key = index.keys[k] if k >= 0 else None
        if groups and key is not None and key == last_key:
            groups[-1].append(n)
        else:
            groups.append([n])
        last_key = key
    return groups


def sample_frames_by_seek(
    path: Path, count: int = FRAMES_TO_CHECK, limits: Limits | None = None
) -> Frames | None:
    """The sampled frames by seeking; None where the file cannot be numbered from the
    demuxer or the numbering cannot be trusted (a seek that lands past its frame, a frame
    the index does not know, a decoder error): read them from the start instead. Raises
    LimitExceededError for a file over ``limits``."""
    limits = limits or Limits()
    try:
        index = frame_index(path, max_frames(limits))
    except MalformedMediaError:
        return None  # the decode from the start says what is wrong with the file
    if index is None:
        return None
    _check_index(path, index, limits)
    wanted = [n for n in sample_indices(index.nb_frames, count) if n < index.frames]
    got: dict[int, npt.NDArray[np.uint8]] = {}
    for group in _groups(index, sorted(set(wanted))):
        n0, n1 = group[0], group[-1] + 1
        decode = RangeDecode(path, n0, index.pts[n0:n1], limits)
        for item in decode.frames():
            if item is None:
                return None  # it would start over from the file's start: do that once
            n, _, frame = item
            if n in group:
                got[n] = _rgb(frame)
        if decode.truncated or any(n not in got for n in group):
            return None
    return [got[n] for n in wanted][:count]


def sample_frames(path: Path, count: int = FRAMES_TO_CHECK, limits: Limits | None = None) -> Frames:
    """The frames the detector reads, the same (numbers and pixels) as
    :func:`sample_frames_from_start` reads, by seeking where the file allows it."""
    frames = sample_frames_by_seek(path, count, limits)
    return frames if frames is not None else sample_frames_from_start(path, count, limits)
