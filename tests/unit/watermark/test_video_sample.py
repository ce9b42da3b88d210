"""The video watermark reader reaches its sampled frames by seeking: the same frames
(numbers and pixels) and the same Detection as decoding every frame from the start."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError
from mediaproof.fingerprint.video_ranges import frame_index
from mediaproof.watermark.models import Payload
from mediaproof.watermark.video import detect_frame, detect_video, embed_video, vote
from mediaproof.watermark.video_sample import (
    sample_frames,
    sample_frames_by_seek,
    sample_frames_from_start,
    sample_indices,
)

KEY = b"video-seek-key-00000000000000001"
CORPUS = "vpdq-tmk-threatexchange/videos"


def _frames_near(path: Path, wanted: set[int]) -> dict[int, npt.NDArray[np.uint8]]:
    """Frames ``wanted`` and their neighbours, numbered by a decode from the start."""
    import av

    near = {m for n in wanted for m in (n - 1, n, n + 1)}
    with av.open(str(path)) as c:
        return {
            i: f.to_ndarray(format="rgb24")
            for i, f in enumerate(c.decode(c.streams.video[0]))
            if i in near
        }


def _assert_same_frames(path: Path) -> None:
    """The seek path ran (not the fallback) and read frames ``sample_indices`` names,
    pixel for pixel; each differs from its neighbours, so a seek one frame off fails."""
    seek = sample_frames_by_seek(path)
    assert seek is not None, f"{path.name}: fell back to the decode from the start"
    start = sample_frames_from_start(path)
    assert len(seek) == len(start) == 8
    index = frame_index(path)
    assert index is not None
    wanted = sample_indices(index.nb_frames)
    every = _frames_near(path, set(wanted))
    for n, a, b in zip(wanted, seek, start, strict=True):
        assert np.array_equal(a, b), f"{path.name}: frame {n} differs"
        assert np.array_equal(a, every[n])
        for m in (n - 1, n + 1):
            if m in every:  # the test can tell a neighbour from the frame
                assert not np.array_equal(every[m], every[n])


def _detection_from_start(path: Path) -> object:
    return vote([detect_frame(f, KEY) for f in sample_frames_from_start(path)])


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "chair-19-sd-bar.mp4",
        "chair-20-sd-bar.mp4",
        "chair-22-sd-grey-bar.mp4",
        "doorknob-hd-no-bar.mp4",
        "pattern-hd-no-bar.mp4",
        "test-padded-dimensions.mp4",
    ],
)
def test_seek_reads_the_same_frames_on_the_corpus(corpora: Path, name: str) -> None:
    path = corpora / CORPUS / name
    index = frame_index(path)
    assert index is not None and len(index.keys) >= 1
    _assert_same_frames(path)
    assert detect_video(path, KEY) == _detection_from_start(path)


def _pan(path: Path, n: int, **opts: str) -> None:
    """A 512 px pan over a photo, H.264 with the given encoder options."""
    import av
    from skimage import data

    base = data.astronaut()
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = 512, 512, "yuv420p"
        st.options = opts
        for i in range(n):
            frame = np.roll(base, 3 * i, axis=1)
            for pkt in st.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)


def _reencode(src: Path, dst: Path, **opts: str) -> None:
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        st = out.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = 512, 512, "yuv420p"
        st.options = opts
        for i, frame in enumerate(inp.decode(inp.streams.video[0])):
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for pkt in st.encode(frame):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)


@pytest.mark.slow
def test_watermarked_video_with_short_gops(tmp_path: Path) -> None:
    """A marked video re-encoded with short, open groups of pictures and B-frames: the
    seek path reads the same frames and the same (claimed) Detection."""
    src, marked = tmp_path / "in.mp4", tmp_path / "m.mp4"
    _pan(src, 40, crf="18")
    assert embed_video(src, marked, Payload(4242, 1), KEY) == 40
    for opts in (
        {"g": "6", "bf": "3", "crf": "16"},
        {"g": "7", "bf": "2", "crf": "16", "x264-params": "open-gop=1"},
    ):
        copy = tmp_path / f"copy-{opts['g']}.mp4"
        _reencode(marked, copy, **opts)
        index = frame_index(copy)
        assert index is not None and len(index.keys) >= 5  # the reader really seeks
        _assert_same_frames(copy)
        det = detect_video(copy, KEY)
        assert det.claimed and det.payload == Payload(4242, 1)
        assert det == _detection_from_start(copy)


def test_a_file_that_cannot_be_numbered_is_read_from_the_start(tmp_path: Path) -> None:
    """A raw H.264 stream has no timestamps for the demuxer to number frames by."""
    import av

    mp4, raw = tmp_path / "in.mp4", tmp_path / "in.h264"
    _pan(mp4, 20, g="5")
    with av.open(str(mp4)) as inp, av.open(str(raw), "w", format="h264") as out:
        ost = out.add_stream_from_template(inp.streams.video[0])
        for pkt in inp.demux(inp.streams.video[0]):
            if pkt.size:
                pkt.stream = ost
                out.mux(pkt)
    assert frame_index(raw) is None
    assert sample_frames_by_seek(raw) is None
    got, ref = sample_frames(raw), sample_frames_from_start(raw)
    assert len(got) == len(ref) == 8
    assert all(np.array_equal(a, b) for a, b in zip(got, ref, strict=True))
    # without timestamps, the frame count is held to the duration limit (at 1000 fps)
    with pytest.raises(LimitExceededError):
        sample_frames(raw, 8, Limits(max_duration_s=0.004))


def test_limits(tmp_path: Path, corpora: Path) -> None:
    path = corpora / CORPUS / "doorknob-hd-no-bar.mp4"  # 1280 x 720, 4 s
    small = Limits(max_pixels=1280 * 720 - 1)
    short = Limits(max_duration_s=2.0)
    for limits in (small, short):
        for read in (sample_frames, sample_frames_by_seek, sample_frames_from_start):
            with pytest.raises(LimitExceededError):
                read(path, 8, limits)
        with pytest.raises(LimitExceededError):
            detect_video(path, KEY, limits=limits)
    # the frame count is bounded by the duration limit at 1000 fps, before any decode
    with pytest.raises(LimitExceededError):
        frame_index(path, 100)
    assert len(sample_frames(path, 8, Limits(max_pixels=1280 * 720, max_duration_s=5.0))) == 8
