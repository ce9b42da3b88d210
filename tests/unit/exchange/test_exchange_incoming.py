"""The pure rules for signals received from peers: the quality gate (real PDQ hashes of
photos pass, flat and degenerate ones do not), matching (PDQ within the bank's near
threshold, dihedral variants, exact MD5), suppression by known-benign signals, and the
flood guard's limit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproof.exchange.incoming import (
    PDQ_MAX_DISTANCE,
    Gate,
    Signal,
    find,
    floods,
    gate,
    judge,
    upload_keys,
)
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.media.samples import sample_photo

X = "5a" * 32  # 128 bits set


def _bits(n: int) -> str:
    return f"{(1 << n) - 1:064x}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_real_photo_hashes_pass_the_gate(tmp_path: Path, seed: int) -> None:
    pdq = fingerprint_file(sample_photo(tmp_path / "p.jpg", 640, 427, seed=seed)).image.pdq  # type: ignore[union-attr]
    assert gate("pdq", pdq.hex, pdq.quality) is None


@pytest.mark.parametrize("grey", [0, 30, 128, 255])
def test_a_flat_image_is_gated(tmp_path: Path, grey: int) -> None:
    flat = tmp_path / "flat.png"
    Image.fromarray(np.full((256, 256, 3), grey, np.uint8)).save(flat)
    pdq = fingerprint_file(flat).image.pdq  # type: ignore[union-attr]
    assert gate("pdq", pdq.hex, pdq.quality) is not None
    assert gate("pdq", pdq.hex, None) is Gate.FLAT  # even when the feed has no quality


def test_gate_boundaries() -> None:
    assert gate("pdq", X, None) is None
    assert gate("pdq", X, 50) is None
    assert gate("pdq", X, 49) is Gate.LOW_QUALITY
    assert gate("pdq", "0" * 64, None) is Gate.FLAT
    assert gate("pdq", "f" * 64, 100) is Gate.FLAT
    assert gate("pdq", _bits(95), None) is Gate.FLAT
    assert gate("pdq", _bits(96), None) is None
    assert gate("pdq", _bits(128), None) is None
    assert gate("pdq", _bits(160), None) is None
    assert gate("pdq", _bits(161), None) is Gate.FLAT
    assert gate("video_md5", "0" * 32, 0) is None  # exact types are not gated


def test_find_and_judge() -> None:
    near = f"{int(X, 16) ^ (0b111 << 250):064x}"  # 3 bits off (35 from far)
    far = f"{int(X, 16) ^ ((1 << (PDQ_MAX_DISTANCE + 1)) - 1):064x}"  # 32 bits off
    sigs = [
        Signal(1, "pdq", X, negative=False),
        Signal(2, "video_md5", "ab" * 16, negative=False),
        Signal(3, "pdq", far, negative=True),
    ]
    hits = find(upload_keys({"pdq": near}, None), sigs)
    assert [(h.signal.id, h.distance) for h in hits] == [(1, 3)]  # 32 bits: no match
    v = judge(hits)
    assert [h.signal.id for h in v.positive] == [1] and v.suppressed_by == ()
    # a dihedral variant matches too, and an exact MD5
    hits = find(upload_keys({"pdq_rot90": X, "pdq": "0" * 64}, "AB" * 16), sigs)
    assert sorted(h.signal.id for h in hits) == [1, 2]
    # a known-benign signal on the same media suppresses the positive
    v = judge(find(upload_keys({"pdq": far}, None), [*sigs, Signal(4, "pdq", far, False)]))
    assert [h.signal.id for h in v.suppressed_by] == [3]
    # a quarantined signal is held apart
    v = judge(find(upload_keys({"pdq": X}, None), [Signal(5, "pdq", X, False, True)]))
    assert v.positive == () and [h.signal.id for h in v.quarantined] == [5]


def test_flood_limit() -> None:
    assert not floods(20, 20) and floods(21, 20)
    assert not floods(10_000, 0)  # 0: off
