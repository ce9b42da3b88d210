"""The Chromaprint inverted index finds what the linear scan finds, without scanning."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from mediaproof.fingerprint.audio import BER_THRESHOLD, compare_audio, fingerprint_audio
from mediaproof.matching.audio_index import AudioIndex

VIDEOS = "vpdq-tmk-threatexchange/videos"
RNG_SEED = 11


@functools.cache
def _print(path: Path) -> np.ndarray:
    return np.asarray(fingerprint_audio(path).items, dtype=np.uint32)


def _noisy(ref: np.ndarray, start: int, n: int, ber: float, rng: np.random.Generator) -> np.ndarray:
    """A clip cut from ``ref`` with a share ``ber`` of its bits flipped at random."""
    clip = ref[start : start + n].copy()
    flips = rng.random((n, 32)) < ber
    mask = (flips * (1 << np.arange(32, dtype=np.uint64))).sum(axis=1).astype(np.uint32)
    out: np.ndarray = clip ^ mask
    return out


def _linear(stored: dict[str, np.ndarray], q: np.ndarray) -> dict[str, float]:
    out = {}
    for key, ref in stored.items():
        m = compare_audio(q, ref)
        if m is not None and m.ber <= BER_THRESHOLD:
            out[key] = round(m.ber, 6)
    return out


def _indexed(index: AudioIndex, q: np.ndarray) -> dict[str, float]:
    return {h.key: round(h.match.ber, 6) for h in index.query(q, BER_THRESHOLD)}


def test_real_copies_found_through_the_index_as_by_the_linear_scan(corpora: Path) -> None:
    rng = np.random.default_rng(RNG_SEED)
    videos = corpora / VIDEOS
    stored = {"chair-20": _print(videos / "chair-20-sd-bar.mp4")}
    stored["doorknob"] = _print(videos / "doorknob-hd-no-bar.mp4")
    for i in range(300):  # unrelated clips of 10-40 s (the linear scan is the slow part)
        stored[f"decoy{i}"] = rng.integers(0, 2**32, int(rng.integers(80, 320)), dtype=np.uint32)
    index = AudioIndex(linear_below=0)  # force the index at any size
    index.add_many(list(stored.items()))
    for name in ("chair-19-sd-bar.mp4", "chair-22-sd-grey-bar.mp4", "pattern-hd-no-bar.mp4"):
        q = _print(videos / name)
        assert _indexed(index, q) == _linear(stored, q), name
    assert set(_indexed(index, _print(videos / "chair-19-sd-bar.mp4"))) == {"chair-20"}


def test_planted_noisy_clips_at_low_error_rates_are_all_found() -> None:
    rng = np.random.default_rng(RNG_SEED)
    stored = {f"c{i}": rng.integers(0, 2**32, 240, dtype=np.uint32) for i in range(2500)}
    index = AudioIndex(linear_below=0)
    index.add_many(list(stored.items()))
    for ber in (0.0, 0.03, 0.06):
        for i in range(0, 2500, 125):
            key = f"c{i}"
            q = _noisy(stored[key], int(rng.integers(0, 120)), 80, ber, rng)
            got = _indexed(index, q)
            assert key in got, (ber, key)
            assert got == _linear({key: stored[key]}, q) | {
                k: v for k, v in got.items() if k != key
            }


def test_new_clips_match_at_once_and_removed_ones_never() -> None:
    rng = np.random.default_rng(3)
    index = AudioIndex(linear_below=0)
    index.add_many([(f"c{i}", rng.integers(0, 2**32, 200, dtype=np.uint32)) for i in range(500)])
    fresh = rng.integers(0, 2**32, 200, dtype=np.uint32)
    index.add("fresh", fresh)  # in the tail, not yet merged
    assert "fresh" in _indexed(index, fresh[20:120])
    index.merge()
    assert "fresh" in _indexed(index, fresh[20:120])
    index.remove("fresh")
    assert _indexed(index, fresh[20:120]) == {}
    index.add("fresh", fresh[::-1].copy())  # the key reused for other audio
    assert _indexed(index, fresh[20:120]) == {}
    index.merge()
    assert _indexed(index, fresh[20:120]) == {} and len(index) == 501


@pytest.mark.parametrize("linear_below", [0, 10**9])
def test_silence_is_a_stop_word_not_a_match(linear_below: int) -> None:
    rng = np.random.default_rng(5)
    index = AudioIndex(linear_below=linear_below)
    clips = [(f"c{i}", rng.integers(0, 2**32, 100, dtype=np.uint32)) for i in range(300)]
    clips += [(f"silent{i}", np.zeros(100, dtype=np.uint32)) for i in range(100)]
    index.add_many(clips)
    assert _indexed(index, rng.integers(0, 2**32, 100, dtype=np.uint32)) == {}
    hits = _indexed(index, np.zeros(50, dtype=np.uint32))  # silence matches silence only
    assert set(hits) <= {f"silent{i}" for i in range(100)}
