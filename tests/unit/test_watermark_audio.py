from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from mediaproof.watermark.audio import SpreadSpectrumAudioScheme
from tests.unit.watermark_contract import SchemeContract

CLIP = "likeness/voices/librispeech_test-other/1688/1688-142285-0000.flac"


class TestAudioSchemeContract(SchemeContract):
    @pytest.fixture
    def scheme(self) -> SpreadSpectrumAudioScheme:
        return SpreadSpectrumAudioScheme()

    @pytest.fixture
    def rate(self) -> int | None:
        return 16000

    @pytest.fixture
    def media(self, corpora: Path) -> np.ndarray[Any, Any]:
        x, sr = sf.read(corpora / CLIP, dtype="float32")
        assert sr == 16000
        return np.asarray(x[: 6 * sr])

    def mild_attack(self, media: Any, rate: int | None) -> tuple[Any, int | None]:
        # an excerpt starting off the period grid, resampled to 8 kHz (3 s excerpts
        # are measured by bench/bench_watermark.py: this scheme is not there yet)
        from scipy import signal

        assert rate is not None
        start = int(0.37 * rate)
        return signal.resample_poly(media[start:], 1, 2), 8000


def test_too_short_is_no_claim() -> None:
    det = SpreadSpectrumAudioScheme().detect(
        np.zeros(8000, np.float32), b"k" * 32, sample_rate=16000
    )
    assert not det.claimed


def test_silence_and_noise_give_no_claim() -> None:
    scheme = SpreadSpectrumAudioScheme()
    rng = np.random.default_rng(0)
    for x in (np.zeros(48000, np.float32), rng.normal(0, 0.1, 48000).astype(np.float32)):
        assert not scheme.detect(x, b"k" * 32, sample_rate=16000).claimed
