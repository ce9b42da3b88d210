"""Contract tests every Fingerprinter inherits, shipped so a third-party plug-in's own test
suite can run them (needs pytest)::

    from mediaproof.testing.fingerprinter_contract import FingerprinterContract

    class TestMyFingerprinter(FingerprinterContract):
        @pytest.fixture
        def fingerprinter(self): return MyFingerprinter()
        @pytest.fixture
        def media(self): return [a, b]          # 2 unrelated files of a kind it reads
        @pytest.fixture
        def altered(self, tmp_path): return original, copy   # copy: re-encoded, resized...

The checks: it is a Fingerprinter with a signal, kinds and threshold, and the files given
are of a kind it reads; the same file gives the same print; each file matches its own
reference print and not the other file's; the altered copy matches its original; a file
that is not media is a :class:`~mediaproof.errors.MediaproofError`, or a print that
matches nothing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from mediaproof.errors import MediaproofError
from mediaproof.fingerprint.protocol import Fingerprinter
from mediaproof.media.sniff import MediaKind, sniff


class FingerprinterContract:
    @pytest.fixture
    def garbage(self, tmp_path: Path, media: list[Path]) -> Path:
        p = tmp_path / f"not-media{media[0].suffix}"
        p.write_bytes(b"\x00\x01 this is not a media file \xff" * 64)
        return p

    def test_is_a_fingerprinter(self, fingerprinter: Fingerprinter[Any], media: list[Path]) -> None:
        assert isinstance(fingerprinter, Fingerprinter)
        assert isinstance(fingerprinter.signal, str) and fingerprinter.signal
        assert fingerprinter.kinds and all(isinstance(k, MediaKind) for k in fingerprinter.kinds)
        assert math.isfinite(fingerprinter.threshold) and fingerprinter.threshold >= 0
        for m in media:
            kind = sniff(m.read_bytes()[:4096]).kind
            assert kind in fingerprinter.kinds, f"{m.name} is {kind}, not a kind it reads"

    def test_same_file_same_print(
        self, fingerprinter: Fingerprinter[Any], media: list[Path]
    ) -> None:
        for reference in (False, True):
            first = fingerprinter.fingerprint(media[0], reference=reference)
            assert fingerprinter.fingerprint(media[0], reference=reference) == first

    def test_own_reference_matches_and_others_do_not(
        self, fingerprinter: Fingerprinter[Any], media: list[Path]
    ) -> None:
        assert len(media) >= 2, "give at least two unrelated files"
        a, b = media[0], media[1]
        qa, qb = fingerprinter.fingerprint(a), fingerprinter.fingerprint(b)
        ra = fingerprinter.fingerprint(a, reference=True)
        rb = fingerprinter.fingerprint(b, reference=True)
        assert fingerprinter.matches(qa, ra), f"{a.name} does not match its own reference"
        assert fingerprinter.matches(qb, rb), f"{b.name} does not match its own reference"
        assert not fingerprinter.matches(qa, rb), f"{a.name} matches {b.name}"
        assert not fingerprinter.matches(qb, ra), f"{b.name} matches {a.name}"

    def test_altered_copy_matches_its_original(
        self, fingerprinter: Fingerprinter[Any], altered: tuple[Path, Path]
    ) -> None:
        original, copy = altered
        ref = fingerprinter.fingerprint(original, reference=True)
        query = fingerprinter.fingerprint(copy)
        assert fingerprinter.matches(query, ref), f"{copy.name} does not match {original.name}"

    def test_non_media_is_an_error_or_matches_nothing(
        self, fingerprinter: Fingerprinter[Any], media: list[Path], garbage: Path
    ) -> None:
        try:
            junk = fingerprinter.fingerprint(garbage)
        except MediaproofError as e:
            assert e.message
            return
        ref = fingerprinter.fingerprint(media[0], reference=True)
        assert not fingerprinter.matches(junk, ref)
        assert not fingerprinter.matches(fingerprinter.fingerprint(media[0]), junk)
