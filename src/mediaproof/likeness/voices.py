"""Voices: decode to 16 kHz mono, measure how much of it is speech, embed with Resemblyzer.

WebRTC's VAD alone calls steady noise and music "speech", so the speech gate adds two
classic measures over the active (non-silent) part:
- low-energy ratio: the share of 20 ms frames under half the mean energy of their 1 s
  window. Speech pauses between syllables and words (about 0.3-0.5 on LibriSpeech);
  music and noise are continuous (under 0.2).
- spectral flatness: close to 1 for noise, close to 0 for tones.
The Resemblyzer weights ship inside its package; nothing is downloaded.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mediaproof.likeness.errors import LikenessError
from mediaproof.likeness.models import Vector, normalise

SR = 16_000
Wave = npt.NDArray[np.float32]

SILENCE_DBFS = -55.0  # quieter than this overall: nothing to hear
MIN_LOW_ENERGY_RATIO = 0.2
NOISE_FLATNESS = 0.5


def decode_audio(path: Path, *, max_seconds: float | None = None) -> Wave:
    """The first audio stream of any container FFmpeg reads, as 16 kHz mono float32.
    Returns an empty array when the file has no audio stream."""
    import av  # local: heavy

    chunks: list[npt.NDArray[np.float32]] = []
    limit = None if max_seconds is None else int(max_seconds * SR)
    got = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return np.zeros(0, dtype=np.float32)
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    a = out.to_ndarray().reshape(-1).astype(np.float32)
                    chunks.append(a)
                    got += len(a)
                if limit is not None and got >= limit:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
    except av.error.FFmpegError as e:
        raise LikenessError(f"cannot decode audio from {path.name}: {e}") from e
    wav = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return wav[:limit] if limit is not None else wav


@dataclass(frozen=True)
class SpeechStats:
    duration_s: float
    level_dbfs: float
    speech_s: float  # seconds the VAD marks as voice (includes noise/music: see gate)
    low_energy_ratio: float
    flatness: float

    @property
    def verdict(self) -> str:
        """``speech``, or why not: ``silence``, ``noise_only``, ``not_speech``,
        ``too_little_speech`` (the last judged by the caller's minimum)."""
        if self.level_dbfs < SILENCE_DBFS:
            return "silence"
        if self.speech_s == 0:
            return "too_little_speech"
        if self.low_energy_ratio < MIN_LOW_ENERGY_RATIO:
            return "noise_only" if self.flatness >= NOISE_FLATNESS else "not_speech"
        return "speech"

    def as_dict(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 2),
            "level_dbfs": round(self.level_dbfs, 1),
            "speech_s": round(self.speech_s, 2),
            "low_energy_ratio": round(self.low_energy_ratio, 3),
            "flatness": round(self.flatness, 3),
        }


def _vad_flags(wav: Wave) -> npt.NDArray[np.bool_]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # webrtcvad imports pkg_resources, deprecated
        import webrtcvad

    n = SR * 30 // 1000
    pcm = (np.clip(wav, -1.0, 1.0) * 32767).astype("<i2")
    vad = webrtcvad.Vad(3)
    return np.array(
        [vad.is_speech(pcm[i : i + n].tobytes(), SR) for i in range(0, len(pcm) - n + 1, n)],
        dtype=bool,
    )


def speech_stats(wav: Wave) -> SpeechStats:
    dur = len(wav) / SR
    if len(wav) < SR // 10:
        return SpeechStats(dur, -120.0, 0.0, 0.0, 1.0)
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    level = 20 * np.log10(max(rms, 1e-6))
    flags = _vad_flags(wav)
    speech_s = float(flags.sum()) * 0.03
    # 20 ms frame energies; judge only frames above the silence floor
    hop = SR // 50
    nfr = len(wav) // hop
    frames = wav[: nfr * hop].reshape(nfr, hop)
    e = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)) + 1e-9
    ratios = []
    for i in range(0, max(1, nfr - 49), 25):
        win = e[i : i + 50]
        if 20 * np.log10(win.mean()) > SILENCE_DBFS:
            ratios.append(float(np.mean(win < 0.5 * win.mean())))
    ler = float(np.mean(ratios)) if ratios else 0.0
    spec = np.abs(np.fft.rfft(frames * np.hanning(hop), axis=1)) + 1e-10
    active = 20 * np.log10(e) > SILENCE_DBFS
    flat_frames = np.exp(np.mean(np.log(spec), axis=1)) / np.mean(spec, axis=1)
    flatness = float(np.median(flat_frames[active])) if active.any() else 1.0
    return SpeechStats(dur, float(level), speech_s, ler, flatness)


class VoiceEngine:
    """Speaker embeddings (256-d) from Resemblyzer. Thread-safe; loads on first use."""

    def __init__(self, *, threads: int | None = None) -> None:
        self._lock = threading.Lock()
        self._run = threading.Lock()  # one inference at a time: torch already uses cores
        self._encoder: Any = None
        self._threads = threads

    def _load(self) -> Any:
        with self._lock:
            if self._encoder is None:
                with warnings.catch_warnings():
                    # resemblyzer and webrtcvad import deprecated scipy/pkg_resources names
                    warnings.simplefilter("ignore")
                    import torch
                    from resemblyzer import VoiceEncoder

                if self._threads:
                    torch.set_num_threads(self._threads)
                self._encoder = VoiceEncoder("cpu", verbose=False)
            return self._encoder

    def prepare(self, wav: Wave) -> Wave:
        """Resemblyzer's own preprocessing: level up quiet audio, cut long silences."""
        encoder = self._load()
        del encoder
        from resemblyzer.audio import normalize_volume, trim_long_silences

        out = trim_long_silences(normalize_volume(wav, -30, increase_only=True))
        return np.asarray(out, dtype=np.float32)

    def embed(self, prepared: Wave) -> Vector:
        encoder = self._load()
        with self._run, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = encoder.embed_utterance(prepared)
        return normalise(v)

    def embed_windows(
        self, prepared: Wave, *, window_s: float = 8.0, hop_s: float = 4.0, max_windows: int = 150
    ) -> list[tuple[float, float, Vector]]:
        """Embeddings of overlapping windows (start s, end s, vector), so one speaker in a
        long recording with several is not averaged away. Times are in trimmed audio."""
        n = len(prepared)
        win, hop = int(window_s * SR), int(hop_s * SR)
        if n <= int(1.5 * win):
            return [(0.0, n / SR, self.embed(prepared))]
        out = []
        for start in range(0, max(1, n - win // 2), hop):
            seg = prepared[start : start + win]
            out.append((start / SR, (start + len(seg)) / SR, self.embed(seg)))
            if len(out) >= max_windows:
                break
        return out
