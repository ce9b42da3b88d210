"""Decoding one range of a video's frames, by frame number, for work split into parts
(docs/queue.md, "Long media in parts").

:func:`~mediaproof.fingerprint.video.iter_frames` numbers frames as the decoder hands
them out (presentation order), counting from the first. A part that starts at frame
``n0`` cannot count from there without decoding everything before it, so it numbers
frames by their presentation timestamp instead: the demuxer lists every packet's
timestamp without decoding anything (:func:`frame_index`), and frame ``n`` is the one with
the ``n``-th smallest timestamp. The part seeks to the key frame at or before its first
frame, decodes from there and keeps the frames of its range, each with the number the
whole-file decode gives it.

Where that numbering cannot be trusted, the file is not split (:func:`frame_index`
returns None: timestamps missing or repeated) or the part decodes from the start and
counts (:class:`RangeDecode`: a seek that lands past the range's first frame, a frame
whose timestamp is not in the index).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError, MalformedMediaError, UnsupportedMediaError


@dataclass(frozen=True)
class FrameIndex:
    """The video stream's frames by number: ``pts[n]`` is frame ``n``'s timestamp (in the
    stream's time base). ``rate``: the frame rate vPDQ samples by; ``nb_frames``: the
    container's own frame count (the watermark reader spaces its frames by it);
    ``keys``: the timestamps of the key frames (the packets the demuxer marks as key),
    sorted; ``time_base``: the stream's time base (None when it has none)."""

    pts: tuple[int, ...]
    rate: Fraction
    nb_frames: int
    keys: tuple[int, ...] = ()
    time_base: Fraction | None = None

    @property
    def frames(self) -> int:
        return len(self.pts)


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as e:
        raise MalformedMediaError(f"cannot open video: {e}") from e


# The most frames a second a file may have for its frame count: with ``max_frames`` a
# caller bounds the index by the duration limit at this rate, so a file of millions of
# tiny packets cannot fill memory with timestamps (or the decoder's time with frames).
MAX_FRAME_RATE = 1000


def max_frames(limits: Limits) -> int:
    """The most frames a video under ``limits`` may have (its duration at 1000 fps)."""
    return int(limits.max_duration_s * MAX_FRAME_RATE) + 1


def frame_index(path: Path, limit: int | None = None) -> FrameIndex | None:
    """Every frame's timestamp, from the demuxer alone (no decode: seconds for an hour of
    video). None when the file cannot be numbered that way (a packet without a timestamp,
    two frames with the same one, no video stream): such a file is analysed whole.
    ``limit``: the most frames accepted (:func:`max_frames`); more raise
    LimitExceededError before anything is decoded."""
    import av

    container = _open(path)
    with container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        pts: list[int] = []
        keys: list[int] = []
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                if packet.pts is None:
                    return None
                pts.append(int(packet.pts))
                if packet.is_keyframe:
                    keys.append(int(packet.pts))
                if limit is not None and len(pts) > limit:
                    raise LimitExceededError("video has more frames than the duration limit allows")
        except av.FFmpegError:
            return None
        if not pts or len(set(pts)) != len(pts):
            return None
        tb = Fraction(stream.time_base) if stream.time_base else None
        return FrameIndex(
            tuple(sorted(pts)), Fraction(rate), int(stream.frames or 0), tuple(sorted(keys)), tb
        )


# a last range shorter than this share of a part joins the one before it: a tail of a
# few seconds would cost a whole task (a queue message, a copy of the upload, a seek and
# a decode from its key frame) for almost no frames (a 602 s video in 120 s parts ended
# in a part of 2 s). The last part is then at most 1.25 parts long.
MIN_TAIL_SHARE = 0.25


def plan_ranges(index: FrameIndex, part_s: float) -> list[tuple[int, int]]:
    """Frame ranges ``[n0, n1)`` of about ``part_s`` seconds each, covering every frame;
    a tail shorter than :data:`MIN_TAIL_SHARE` of a part is part of the range before it."""
    per = max(1, round(float(index.rate) * part_s))
    ranges = [(n0, min(n0 + per, index.frames)) for n0 in range(0, index.frames, per)]
    if len(ranges) >= 2 and ranges[-1][1] - ranges[-1][0] < MIN_TAIL_SHARE * per:
        (n0, _), (_, n1) = ranges[-2], ranges.pop()
        ranges[-1] = (n0, n1)
    return ranges


class RangeDecode:
    """Frames ``n0 <= n < n1`` of the video at ``path``, as ``(n, timestamp_s, frame)``
    with PyAV frames (or ``None``: forget the frames given so far, the range starts
    over from a decode that counts from the file's start), numbered as
    :func:`~mediaproof.fingerprint.video.iter_frames` numbers them, under the same pixel
    and duration limits. After iterating,
    ``truncated`` says the decoder failed inside the range (the whole-file decode stops
    there too, so frames after it do not count) and ``seeked`` whether the part could
    start at a key frame near its range instead of at the file's start."""

    def __init__(
        self, path: Path, n0: int, pts: tuple[int, ...], limits: Limits | None = None
    ) -> None:
        """``pts``: the timestamps of frames ``n0 ..`` of the range (``FrameIndex.pts``)."""
        self.path, self.n0, self.pts = path, n0, tuple(sorted(pts))
        self.n1 = n0 + len(self.pts)
        self.limits = limits or Limits()
        self.truncated = False
        self.seeked = False

    def frames(self) -> Iterator[tuple[int, float, Any] | None]:
        if self.n0 > 0 and self.pts:
            restart = False
            for item in self._from_seek():
                if item is None:
                    restart = True  # the numbering cannot be trusted from here
                    break
                yield item
            if not restart:
                return
            yield None
        self.seeked = False
        self.truncated = False
        yield from self._from_start()

    def _check(self, frame: Any, ts: float) -> None:
        if frame.width * frame.height > self.limits.max_pixels:
            raise LimitExceededError("video frame over the pixel limit")
        if ts > self.limits.max_duration_s:
            raise LimitExceededError("video longer than the duration limit")

    def _stream(self, container: Any) -> tuple[Any, float]:
        if not container.streams.video:
            raise UnsupportedMediaError("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        tb = float(stream.time_base) if stream.time_base else 1.0 / float(rate)
        return stream, tb

    def _from_seek(self) -> Iterator[tuple[int, float, Any] | None]:
        import av

        first = self.pts[0]
        container = _open(self.path)
        with container:
            stream, tb = self._stream(container)
            try:
                container.seek(first, backward=True, any_frame=False, stream=stream)
            except av.FFmpegError:
                yield None
                return
            self.seeked = True
            started = False
            try:
                for frame in container.decode(stream):
                    if frame.pts is None:
                        yield None
                        return
                    if not started:
                        if frame.pts > first:
                            yield None  # landed past the range's first frame
                            return
                        started = True
                    ts = frame.pts * tb
                    # every decoded frame, those before the range too (a key frame's
                    # group may be long): the whole-file decode refuses them as well
                    self._check(frame, ts)
                    if frame.pts < first:
                        continue  # from the key frame up to the range: the part before's
                    i = bisect.bisect_left(self.pts, frame.pts)
                    if i == len(self.pts):
                        return  # past the range
                    if self.pts[i] != frame.pts:
                        yield None  # a frame the index does not know
                        return
                    yield self.n0 + i, float(ts), frame
            except av.FFmpegError:
                self.truncated = True

    def _from_start(self) -> Iterator[tuple[int, float, Any]]:
        import av

        container = _open(self.path)
        with container:
            stream, tb = self._stream(container)
            rate = stream.average_rate or stream.guessed_rate or Fraction(30)
            n = 0
            try:
                for frame in container.decode(stream):
                    if n >= self.n1:
                        return
                    ts = frame.pts * tb if frame.pts is not None else n / float(rate)
                    self._check(frame, ts)
                    if n >= self.n0:
                        yield n, float(ts), frame
                    n += 1
            except av.FFmpegError:
                self.truncated = True
