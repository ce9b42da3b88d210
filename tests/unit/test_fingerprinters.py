"""The built-in fingerprinters satisfy the Fingerprinter protocol (structurally: none of
them inherits from it) and pass the contract third-party ones inherit, on corpus files
and on altered copies made here from them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from mediaproof.fingerprint.audio import ChromaprintFingerprinter
from mediaproof.fingerprint.fingerprints import CHROMAPRINT, PDQ, VPDQ, fingerprint_file
from mediaproof.fingerprint.pdq import PdqFingerprinter
from mediaproof.fingerprint.protocol import Fingerprinter
from mediaproof.fingerprint.video import VpdqFingerprinter
from mediaproof.testing.fingerprinter_contract import FingerprinterContract


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)],
        check=True,
        timeout=120,
        capture_output=True,
    )


def test_the_built_in_ones_are_fingerprinters() -> None:
    assert isinstance(PDQ, PdqFingerprinter)
    assert isinstance(VPDQ, VpdqFingerprinter)
    assert isinstance(CHROMAPRINT, ChromaprintFingerprinter)
    for f in (PDQ, VPDQ, CHROMAPRINT):
        assert isinstance(f, Fingerprinter)
        assert Fingerprinter not in type(f).__mro__  # structural, not inherited
    assert {f.signal for f in (PDQ, VPDQ, CHROMAPRINT)} == {"pdq", "vpdq", "chromaprint"}


def test_fingerprint_file_agrees_with_them(corpora: Path) -> None:
    image = corpora / "pdq-threatexchange" / "images" / "bridge-mods" / "aaa-orig.jpg"
    assert fingerprint_file(image, reference=True).image == PDQ.fingerprint(image, reference=True)
    assert fingerprint_file(image).image == PDQ.fingerprint(image)


class TestPdqFingerprinter(FingerprinterContract):
    @pytest.fixture
    def fingerprinter(self) -> PdqFingerprinter:
        return PdqFingerprinter()

    @pytest.fixture
    def media(self, corpora: Path) -> list[Path]:
        images = corpora / "pdq-threatexchange" / "images"
        return [
            images / "bridge-mods" / "aaa-orig.jpg",
            images / "python-threatexchange-resources" / "rgb.jpeg",
        ]

    @pytest.fixture(params=["shrunk (corpus)", "mirrored"])
    def altered(
        self, request: pytest.FixtureRequest, corpora: Path, tmp_path: Path
    ) -> tuple[Path, Path]:
        bridge = corpora / "pdq-threatexchange" / "images" / "bridge-mods"
        original = bridge / "aaa-orig.jpg"
        if request.param == "shrunk (corpus)":
            return original, bridge / "shrink-a-lot.jpg"
        copy = tmp_path / "mirrored.png"
        with Image.open(original) as im:
            im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(copy)
        return original, copy


class TestVpdqFingerprinter(FingerprinterContract):
    @pytest.fixture
    def fingerprinter(self) -> VpdqFingerprinter:
        return VpdqFingerprinter()

    @pytest.fixture
    def media(self, corpora: Path) -> list[Path]:
        videos = corpora / "vpdq-tmk-threatexchange" / "videos"
        return [videos / "doorknob-hd-no-bar.mp4", videos / "pattern-hd-no-bar.mp4"]

    @pytest.fixture
    def altered(self, corpora: Path, tmp_path: Path) -> tuple[Path, Path]:
        original = corpora / "vpdq-tmk-threatexchange" / "videos" / "doorknob-hd-no-bar.mp4"
        copy = tmp_path / "smaller.mp4"  # downscaled, re-encoded at low quality, no sound
        _ffmpeg("-i", original, "-vf", "scale=480:-2", "-c:v", "libx264", "-crf", "35",
                "-an", copy)  # fmt: skip
        return original, copy


class TestChromaprintFingerprinter(FingerprinterContract):
    @pytest.fixture
    def fingerprinter(self) -> ChromaprintFingerprinter:
        return ChromaprintFingerprinter()

    @pytest.fixture
    def media(self, corpora: Path) -> list[Path]:
        voices = corpora / "likeness" / "voices" / "librispeech_test-other"
        return [voices / "1688" / "1688-142285-0000.flac", voices / "1998" / "1998-15444-0002.flac"]

    @pytest.fixture
    def altered(self, corpora: Path, tmp_path: Path) -> tuple[Path, Path]:
        voices = corpora / "likeness" / "voices" / "librispeech_test-other"
        original = voices / "1688" / "1688-142285-0000.flac"
        copy = tmp_path / "clip.mp3"  # a 6 s clip from the middle, lossy at 64 kbit/s
        _ffmpeg("-ss", "4", "-t", "6", "-i", original, "-b:a", "64k", copy)
        return original, copy
