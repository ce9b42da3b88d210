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
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediaproof.detection.errors import DetectorError
from mediaproof.detection.protocol import MODALITIES, Detector, DetectorResult


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
