"""Contract tests every FingerprintLookup must pass (like python-threatexchange's
SignalTypeAutoTest), shipped so a third-party registry's own tests can run them (needs
pytest)::

    from mediaproof.testing.lookup_contract import FingerprintLookupContract, Register

    class TestMyLookup(FingerprintLookupContract):
        def make_registry(self) -> tuple[Register, FingerprintLookup]: ...

``make_registry`` returns ``(register, lookup)`` where ``register(asset_id, fps)``
stores an original's fingerprints the way the product does and returns the asset id
the lookup reports. :mod:`mediaproof.matching.lookup` says what each signal must do."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from mediaproof.fingerprint.audio import AudioFingerprint
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER, ImageFingerprint, PdqHash
from mediaproof.fingerprint.video import VideoFingerprint, VpdqFrame
from mediaproof.matching.lookup import FingerprintLookup
from mediaproof.media.sniff import MediaKind

Register = Callable[[str, Fingerprints], str]  # returns the asset id the lookup reports


def _hash(rng: np.random.Generator, quality: int = 100) -> PdqHash:
    return PdqHash(rng.integers(0, 256, 32, dtype=np.uint8).tobytes(), quality)


def _flip(h: PdqHash, k: int) -> bytes:
    v = bytearray(h.value)
    for b in range(k):
        v[b // 8] ^= 1 << (b % 8)
    return bytes(v)


def image_fps(rng: np.random.Generator, quality: int = 100) -> Fingerprints:
    variants = tuple(_hash(rng, quality) for _ in DIHEDRAL_ORDER)
    img = ImageFingerprint(variants[0], variants, 100, 100, 64, 64)
    return Fingerprints(MediaKind.IMAGE, rng.bytes(16).hex(), image=img)


def video_fps(rng: np.random.Generator, frames: int = 10) -> Fingerprints:
    fr = tuple(VpdqFrame(i, float(i), _hash(rng)) for i in range(frames))
    items = tuple(int(x) for x in rng.integers(0, 2**32, 200, dtype=np.uint64))
    audio = AudioFingerprint(items, 25.0)
    video = VideoFingerprint(rng.bytes(16).hex(), fr, 0.0, 10.0, 64, 64, audio)
    return Fingerprints(MediaKind.VIDEO, video.md5, video=video, audio=audio)


class FingerprintLookupContract:
    def make_registry(self) -> tuple[Register, FingerprintLookup]:
        raise NotImplementedError

    def test_is_a_lookup(self) -> None:
        _, lookup = self.make_registry()
        assert isinstance(lookup, FingerprintLookup)

    def test_pdq_within_threshold_with_variant(self) -> None:
        rng = np.random.default_rng(1)
        register, lookup = self.make_registry()
        fps = image_fps(rng)
        aid = register("a", fps)
        assert fps.image is not None
        for i, d in enumerate(DIHEDRAL_ORDER):
            hits = lookup.find_near("pdq", _flip(fps.image.dihedral[i], 31), 31)
            assert [(c.asset_id, c.distance, c.variant) for c in hits] == [(aid, 31, d.value)]
        assert lookup.find_near("pdq", _flip(fps.image.pdq, 32), 31) == []
        assert lookup.find_near("pdq", _flip(fps.image.pdq, 5), 4) == []

    def test_low_quality_hashes_are_not_returned(self) -> None:
        rng = np.random.default_rng(2)
        register, lookup = self.make_registry()
        fps = image_fps(rng, quality=30)
        register("low", fps)
        assert fps.image is not None
        assert lookup.find_near("pdq", fps.image.pdq.value, 31) == []
        assert [c.signal for c in lookup.find_near("md5", fps.md5, 0)] == ["md5"]

    def test_video_frames_audio_and_md5(self) -> None:
        rng = np.random.default_rng(3)
        register, lookup = self.make_registry()
        fps = video_fps(rng)
        aid = register("v", fps)
        assert fps.video is not None and fps.audio is not None
        hits = lookup.find_near("vpdq", fps.video.frames[3].pdq.value, 31)
        assert len(hits) == 1 and hits[0].asset_id == aid
        assert hits[0].detail["frames_total"] == 10 and 0 <= hits[0].detail["frame"] < 10
        audio = lookup.find_near("chromaprint", fps.audio.items[20:120], 0.25)
        assert [c.asset_id for c in audio] == [aid] and audio[0].distance == 0.0
        assert audio[0].detail["offset_s"] > 0
        other = tuple(int(x) for x in rng.integers(0, 2**32, 100, dtype=np.uint64))
        assert lookup.find_near("chromaprint", other, 0.25) == []
        assert [c.asset_id for c in lookup.find_near("md5", fps.md5, 0)] == [aid]
        assert lookup.find_near("md5", "0" * 32, 0) == []

    def test_unknown_signal_is_an_error(self) -> None:
        _, lookup = self.make_registry()
        with pytest.raises(ValueError):
            lookup.find_near("tmk", b"", 0)
