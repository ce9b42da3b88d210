"""The case workflow's fingerprint map and the in-memory bank index over it."""

from __future__ import annotations

import random

import numpy as np

from mediaproof.matching.media_bank import MediaBank, entries_from_map


def _h(rng: random.Random) -> bytes:
    return rng.randbytes(32)


def _flip(h: bytes, bits: int, rng: random.Random) -> bytes:
    v = int.from_bytes(h, "big")
    for b in rng.sample(range(256), bits):
        v ^= 1 << b
    return v.to_bytes(32, "big")


def test_pdq_hits_at_every_distance_up_to_31_and_none_beyond() -> None:
    rng = random.Random(7)
    bank = MediaBank()
    base = _h(rng)
    bank.add("k", 1, {"pdq": base.hex()})
    for _ in range(2000):  # unrelated items around it
        bank.add(f"x{_}", 2, {"pdq": _h(rng).hex()})
    for d in range(0, 41):
        hits = [h for h in bank.near({"pdq": _flip(base, d, rng).hex()}) if h.key == "k"]
        assert (len(hits) == 1 and hits[0].distance == d) if d <= 31 else hits == [], d


def test_dihedral_variants_are_indexed_and_removal_is_honoured() -> None:
    rng = random.Random(1)
    variants = [_h(rng) for _ in range(8)]
    bank = MediaBank()
    bank.add(
        "k", 5, {"pdq": variants[0].hex(), "pdq_dihedral": ",".join(v.hex() for v in variants)}
    )
    hit = bank.near({"pdq": variants[3].hex()})
    assert [(h.key, h.case_id, h.alg, h.distance) for h in hit] == [("k", 5, "pdq", 0)]
    bank.remove("k")
    assert bank.near({"pdq": variants[3].hex()}) == [] and "k" not in bank


def test_video_needs_most_query_frames_and_audio_reports_per_mille() -> None:
    rng = random.Random(3)
    frames = [_h(rng) for _ in range(20)]
    bank = MediaBank()
    items = np.frombuffer(rng.randbytes(4 * 300), dtype="<u4")
    bank.add("v", 9, {"vpdq": ",".join(f.hex() for f in frames),
                      "chromaprint": items.astype("<u4").tobytes().hex()})  # fmt: skip
    close = [_flip(f, 10, rng) for f in frames[:17]] + [_h(rng) for _ in range(3)]  # 85 %
    far = [_flip(f, 10, rng) for f in frames[:10]] + [_h(rng) for _ in range(10)]  # 50 %
    hit = bank.near({"vpdq": ",".join(f.hex() for f in close)})
    assert [(h.alg, h.distance) for h in hit] == [("vpdq", 10)]
    assert hit[0].detail == {"query_match_percent": 85.0, "compared_match_percent": 85.0}
    assert bank.near({"vpdq": ",".join(f.hex() for f in far)}) == []
    trimmed = items[40:240].copy()
    trimmed[::10] ^= 0xFFFF  # about 5 % of the bits flipped
    a = bank.near({"chromaprint": trimmed.astype("<u4").tobytes().hex()})
    assert len(a) == 1 and a[0].alg == "chromaprint" and 40 <= a[0].distance <= 60


def test_malformed_maps_are_skipped_not_fatal() -> None:
    assert entries_from_map({"pdq": "zz" * 32, "vpdq": "12,ab", "chromaprint": "xyz"}) == []
    bank = MediaBank()
    bank.add("k", 1, {"pdq": "not hex", "md5": "00"})
    assert len(bank) == 1
    assert bank.near({"pdq": "g" * 64, "vpdq": ",,", "chromaprint": "0"}) == []
