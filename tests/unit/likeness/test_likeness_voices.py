"""Voice enrolment and matching on LibriSpeech speakers, and the speech gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediaproof.likeness.errors import EnrolmentRejected
from mediaproof.likeness.models import Modality
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import SqliteLikenessStore
from mediaproof.likeness.voices import SR, decode_audio, speech_stats
from tests.likeness_support import clip, engines, link_identities, write_wav

ENROL = {"3005": (0, 1, 2, 3), "367": (1, 2, 3, 4)}
REFERENCE = ("1688", "1998", "2033")  # impostor reference speakers (3 clips each)


@pytest.fixture(scope="module")
def svc(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> LikenessService:
    home = tmp_path_factory.mktemp("home")
    face, voice = engines()
    s = LikenessService(SqliteLikenessStore.open(home), faces=face, voices=voice)
    ref = link_identities(
        tmp_path_factory.mktemp("ref"),
        {spk: [clip(corpora, spk, n) for n in (0, 1, 3)] for spk in REFERENCE},
    )
    assert s.set_reference(Modality.VOICE, ref) == 9
    for spk, ns in ENROL.items():
        s.enrol(f"Speaker {spk}", voices=[clip(corpora, spk, n) for n in ns])
    return s


@pytest.mark.parametrize(
    ("speaker", "n", "expected"),
    [
        ("3005", 5, ["Speaker 3005"]),
        ("3005", 6, ["Speaker 3005"]),
        ("3005", 9, ["Speaker 3005"]),
        ("367", 5, ["Speaker 367"]),
        ("367", 7, ["Speaker 367"]),
        # speakers in neither the enrolments nor the reference set
        ("3080", 0, []),
        ("533", 1, []),
        ("3331", 0, []),
        ("2414", 2, []),
        ("2609", 1, []),
    ],
)
def test_clips_match_their_speaker_and_no_one_else(
    svc: LikenessService, corpora: Path, speaker: str, n: int, expected: list[str]
) -> None:
    result = svc.check(clip(corpora, speaker, n))
    assert result.speech_verdict == "speech"
    assert sorted(m.name for m in result.matches) == expected
    for m in result.matches:
        assert m.modality is Modality.VOICE and m.score >= m.threshold
        assert m.wording == f"has a voice that sounds like {m.name}"


def test_voice_thresholds_are_calibrated_against_other_speakers(svc: LikenessService) -> None:
    for e in svc.enrolments():
        th = e.thresholds[Modality.VOICE]
        assert th.impostors == 9 + 4  # reference clips + the other enrolled speaker
        assert th.impostor_max is not None and th.value > th.impostor_max
        assert th.genuine_min is not None and th.genuine_min > th.value


def _reject(svc: LikenessService, path: Path) -> EnrolmentRejected:
    with pytest.raises(EnrolmentRejected) as info:
        svc.enrol("Someone", voices=[path])
    return info.value


def test_silence_is_refused(svc: LikenessService, tmp_path: Path) -> None:
    e = _reject(svc, write_wav(tmp_path / "silence.wav", np.zeros(SR * 6)))
    assert e.reason == "silence" and "silent" in e.message


def test_noise_only_is_refused(svc: LikenessService, tmp_path: Path) -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, SR * 6)
    e = _reject(svc, write_wav(tmp_path / "noise.wav", noise))
    assert e.reason == "noise_only" and "noise" in e.message


def _music(seconds: float = 8.0) -> np.ndarray:
    """Chords under a plucked melody: tonal and continuous, no speech pauses."""
    rng = np.random.default_rng(2)
    t = np.arange(int(SR * seconds)) / SR
    out = 0.3 * np.sin(2 * np.pi * 130.8 * t) + 0.3 * np.sin(2 * np.pi * 196.0 * t)
    notes = [261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3]
    step = int(0.3 * SR)
    for start in range(0, len(t), step):
        f = notes[rng.integers(len(notes))]
        tt = t[start : start + step] - t[start]
        for h in range(1, 6):
            out[start : start + step] += np.exp(-2 * tt) * np.sin(2 * np.pi * f * h * tt) / h
    return 0.25 * out / np.abs(out).max()


def test_music_only_is_refused(svc: LikenessService, tmp_path: Path) -> None:
    e = _reject(svc, write_wav(tmp_path / "music.wav", _music()))
    assert e.reason == "not_speech" and "no speech heard" in e.message


def test_too_little_speech_is_refused(svc: LikenessService, corpora: Path, tmp_path: Path) -> None:
    wav = decode_audio(clip(corpora, "3005", 0))[: int(1.5 * SR)]
    e = _reject(svc, write_wav(tmp_path / "short.wav", wav))
    assert e.reason == "too_little_speech" and "at least 2 s" in e.message


def test_speech_gate_passes_every_corpus_clip_with_enough_speech(corpora: Path) -> None:
    """The music/noise gate must not refuse real speech: all 100 LibriSpeech clips."""
    verdicts = {}
    for f in sorted((clip(corpora, "3005", 0).parent.parent).glob("*/*.flac")):
        verdicts[f.name] = speech_stats(decode_audio(f)).verdict
    assert len(verdicts) == 100
    assert set(verdicts.values()) == {"speech"}


def test_music_in_a_check_is_not_compared(svc: LikenessService, tmp_path: Path) -> None:
    result = svc.check(write_wav(tmp_path / "music.wav", _music()))
    assert result.speech_verdict == "not_speech" and result.matches == []


def test_a_photo_is_not_compared_with_voices_only(svc: LikenessService, corpora: Path) -> None:
    from mediaproof.likeness.analyzer import describe
    from tests.likeness_support import faces_dir

    result = svc.check(faces_dir(corpora) / "obama.jpg")
    assert result.compared == [] and result.faces_found == 0  # not even decoded
    assert describe(result) == "No likeness was compared: no one is enrolled with a face."
