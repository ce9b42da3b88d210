"""Contract tests every Detector inherits, shipped so a third-party plug-in's own test
suite can run them::

    from mediaproof.testing.detector_contract import DetectorContract

    class TestMyDetector(DetectorContract):
        @pytest.fixture
        def detector(self): return my_package.factory()   # not yet loaded
        @pytest.fixture
        def media(self, tmp_path): return [...]           # >= 2 files it handles, different

The checks: it is a Detector whose card matches it; scoring before ``load`` is an error;
loading twice is harmless; every answer is a probability in [0, 1] or an abstention with
a reason; the same file gives the same answer; different files do not all get one
constant; a file that is not media is an error or an abstention, never a score.

A detector of modality ``video-frames`` also subclasses :class:`FramesDetectorContract`
and gives a ``frame_sets`` fixture (>= 2 lists of VideoFrame that should score
differently); an image detector is checked on frames too (``video_frames`` fixture,
optional: a list of VideoFrame; by default two flat frames of different colours); an
audio detector is checked on a soundtrack decoded as verify decodes a video's (a mono
16-bit WAV made from the first of ``media``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mediaproof.detection.errors import DetectorError
from mediaproof.detection.frames import score_frames_with
from mediaproof.detection.protocol import (
    MODALITIES,
    Detector,
    DetectorResult,
    FramesDetector,
    VideoFrame,
)


def flat_frames(colours: list[tuple[int, int, int]], size: tuple[int, int] = (96, 64)
                ) -> list[VideoFrame]:
    """Frames of one colour each with a little noise, one second apart."""
    out = []
    for i, c in enumerate(colours):
        rng = np.random.default_rng(i)
        noise = rng.integers(-8, 8, (size[1], size[0], 3))
        rgb = np.clip(np.array(c, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
        out.append(VideoFrame(i * 30, float(i), rgb))
    return out


class DetectorContract:
    @pytest.fixture
    def garbage(self, tmp_path: Path, media: list[Path]) -> Path:
        p = tmp_path / f"not-media{media[0].suffix}"
        p.write_bytes(b"\x00\x01 this is not a media file \xff" * 64)
        return p

    def test_is_a_detector(self, detector: Detector) -> None:
        assert isinstance(detector, Detector)
        assert detector.id and detector.version
        assert detector.modality in MODALITIES
        card = detector.card
        assert (card.id, card.version, card.modality) == (
            detector.id, detector.version, detector.modality,
        )
        json.dumps(card.public())

    def test_score_before_load_is_an_error(self, detector: Detector, media: list[Path]) -> None:
        with pytest.raises(DetectorError):
            detector.score(media[0])

    def test_load_twice_is_harmless(self, detector: Detector, media: list[Path]) -> None:
        detector.load()
        detector.load()
        assert isinstance(detector.score(media[0]), DetectorResult)

    def test_answers_are_probabilities_or_abstentions(
        self, detector: Detector, media: list[Path]
    ) -> None:
        detector.load()
        for m in media:
            r = detector.score(m)
            if r.probability is None:
                assert r.abstain_reason
            else:
                assert isinstance(r.probability, float) and 0.0 <= r.probability <= 1.0
            json.dumps(r.as_dict())

    def test_same_file_same_answer(self, detector: Detector, media: list[Path]) -> None:
        detector.load()
        assert detector.score(media[0]).probability == detector.score(media[0]).probability

    def test_not_a_constant(self, detector: Detector, media: list[Path]) -> None:
        assert len(media) >= 2, "give at least two different files"
        detector.load()
        scores = {detector.score(m).probability for m in media}
        scores.discard(None)
        assert len(scores) >= 2, f"every file scored the same: {scores}"

    def test_non_media_is_not_scored(self, detector: Detector, garbage: Path) -> None:
        detector.load()
        try:
            r = detector.score(garbage)
        except DetectorError as e:
            assert e.message
        else:
            assert r.probability is None and r.abstain_reason

    def test_scores_video_frames(self, detector: Detector, media: list[Path],
                                 tmp_path: Path) -> None:
        """Every image or video-frames detector answers on frames sampled from a video:
        an image detector frame by frame (aggregated), a video-frames one at once. An
        audio detector answers on a video's soundtrack as verify hands it over: decoded
        to a mono 16-bit WAV file (here, from the first of ``media``)."""
        if detector.modality == "audio":
            import soundfile as sf

            from mediaproof.watermark.mediaio import load_audio

            samples, rate = load_audio(media[0])
            wav = tmp_path / "soundtrack.wav"
            sf.write(wav, samples, rate, subtype="PCM_16")
            detector.load()
            r = detector.score(wav)
            assert r.probability is None or 0.0 <= r.probability <= 1.0
            assert r.probability is not None or r.abstain_reason
            return
        detector.load()
        frames = flat_frames([(200, 40, 40), (40, 40, 200), (120, 120, 120)])
        vs = score_frames_with(detector, frames)
        r = vs.result
        assert r.probability is None or 0.0 <= r.probability <= 1.0
        assert r.probability is not None or r.abstain_reason
        assert [f.timestamp_s for f in vs.frames] == [0.0, 1.0, 2.0]


class FramesDetectorContract:
    """For detectors of modality ``video-frames`` (fixtures ``detector``, not loaded, and
    ``frame_sets``: >= 2 lists of frames it should not score the same)."""

    def test_is_a_frames_detector(self, detector: Detector) -> None:
        assert detector.modality == "video-frames"
        assert isinstance(detector, FramesDetector)

    def test_frames_before_load_is_an_error(
        self, detector: FramesDetector, frame_sets: list[list[VideoFrame]]
    ) -> None:
        with pytest.raises(DetectorError):
            detector.score_frames(frame_sets[0])

    def test_frames_answers(
        self, detector: FramesDetector, frame_sets: list[list[VideoFrame]]
    ) -> None:
        assert len(frame_sets) >= 2, "give at least two different sets of frames"
        detector.load()
        results = [detector.score_frames(fs) for fs in frame_sets]
        for r in results:
            assert isinstance(r, DetectorResult)
            assert r.probability is not None or r.abstain_reason
            json.dumps(r.as_dict())
        assert detector.score_frames(frame_sets[0]).probability == results[0].probability
        scores = {r.probability for r in results} - {None}
        assert len(scores) >= 2, f"every set of frames scored the same: {scores}"

    def test_no_frames_is_not_scored(self, detector: FramesDetector) -> None:
        detector.load()
        try:
            r = detector.score_frames([])
        except DetectorError as e:
            assert e.message
        else:
            assert r.probability is None and r.abstain_reason
