"""Labelled near-duplicate pairs (perceptual-near-duplicate-sets/pairs.csv).

Every row whose files are present is checked; the rules follow the relation column:
same content must match (PDQ <= 31 on the best dihedral variant, or after removing black
letterbox bars where the note says so), different content must not, geometric
transforms must match the dihedral-aware way where they are pure rotations/flips, and
corrupt files must be rejected with a clean error.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from mediaproof.errors import MediaproofError
from mediaproof.fingerprint.audio import AudioFingerprint, compare_audio, fingerprint_audio
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD, ImageFingerprint, fingerprint_image
from mediaproof.fingerprint.video import VideoFingerprint, compare_vpdq, fingerprint_video


def _pairs(corpora: Path) -> list[dict[str, str]]:
    folder = corpora / "perceptual-near-duplicate-sets"
    with (folder / "pairs.csv").open() as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["path_a"] = str((folder / r["item_a"]).resolve())
        r["path_b"] = str((folder / r["item_b"]).resolve())
    return rows


@cache
def _image(path: str) -> ImageFingerprint:
    return fingerprint_image(Path(path))


@cache
def _video(path: str) -> VideoFingerprint:
    return fingerprint_video(Path(path), seconds_per_hash=1.0, with_audio=False)


@cache
def _audio(path: str) -> AudioFingerprint:
    return fingerprint_audio(Path(path))


def _pdq_distance(a: ImageFingerprint, b: ImageFingerprint) -> int:
    """Best of: b's plain (or un-letterboxed) hash against a's 8 variants, and vice versa."""
    best = 256
    for x, y in ((a, b), (b, a)):
        queries = [y.pdq] + ([y.unletterboxed] if y.unletterboxed else [])
        best = min(best, *(q.distance(v) for q in queries for v in x.dihedral))
    return best


def test_image_pairs(corpora: Path) -> None:
    rows = [r for r in _pairs(corpora) if r["modality"] == "image"]
    assert rows
    checked = 0
    for r in rows:
        rel = r["expected_relation"].lower()
        a, b = Path(r["path_a"]), Path(r["path_b"])
        if "corrupt" in rel:
            for p in (a, b):
                if "corrupt" in p.name:
                    with pytest.raises(MediaproofError):
                        fingerprint_image(p)
            checked += 1
            continue
        if not (a.is_file() and b.is_file()):
            continue
        fa, fb = _image(str(a)), _image(str(b))
        d = _pdq_distance(fa, fb)
        if rel.startswith("same"):
            assert d <= MATCH_THRESHOLD, (r["item_a"], r["item_b"], d)
            implied = r["upstream_implied_pdq_distance"].strip()
            if implied.isdigit():  # upstream hashes: our pipeline stays close to them
                assert d <= int(implied) + 16, (r["item_b"], d, implied)
        elif rel.startswith("different"):
            assert d > MATCH_THRESHOLD, (r["item_a"], r["item_b"], d)
        elif "geometric" in rel or "transform" in rel:
            pure = "/dih/" in r["item_b"] or "flip" in r["item_b"] or "resize" in r["item_b"]
            if pure:  # rotations by 90 degrees, mirrors and scaling: dihedral-aware match
                assert d <= MATCH_THRESHOLD, (r["item_a"], r["item_b"], d)
            # other rotations are a documented weakness (test_fingerprint_limits.py)
        checked += 1
    assert checked >= 20


def test_video_pairs(corpora: Path) -> None:
    """Only 'different' is asserted: the same-content groups come from TMK clustering,
    and vPDQ's frame shares for heavily altered copies are upstream-documented to be low."""
    for r in (r for r in _pairs(corpora) if r["modality"] == "video"):
        a, b = Path(r["path_a"]), Path(r["path_b"])
        if not (a.is_file() and b.is_file()):
            continue
        rel = r["expected_relation"].lower()
        if rel.startswith("different"):
            m = compare_vpdq(_video(str(a)), _video(str(b)))
            assert m.query_match_percent < 20 and m.compared_match_percent < 20, r


def test_audio_pairs(corpora: Path) -> None:
    for r in (r for r in _pairs(corpora) if r["modality"] == "audio"):
        a, b = Path(r["path_a"]), Path(r["path_b"])
        if not (a.is_file() and b.is_file()):
            continue
        m = compare_audio(_audio(str(a)), _audio(str(b)))
        rel = r["expected_relation"].lower()
        if rel.startswith("same"):
            assert m is not None and m.is_match, (r["item_a"], r["item_b"], m)
        elif rel.startswith("different"):
            assert m is None or not m.is_match, (r["item_a"], r["item_b"], m)
