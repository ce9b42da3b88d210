"""vPDQ and Chromaprint signal values: python-threatexchange's vPDQ string read the way
its matcher prepares one, checked against Meta's published features for a corpus video
(../shared/corpora/vpdq-tmk-threatexchange, expected/..._1s.csv); and find() matches
such signals with the bank's thresholds."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from mediaproof.errors import UsageError
from mediaproof.exchange import media_signals as ms
from mediaproof.exchange.incoming import Signal, find, judge, upload_keys
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.matching.media_bank import fingerprint_map
from mediaproof.media.sniff import MediaKind

CORPUS = "vpdq-tmk-threatexchange"
X = "5a" * 32  # 128 bits set
Y = "a5" * 32


def meta_features(corpora: Path) -> list[list[str]]:
    path = corpora / CORPUS / "expected/vpdq_python-threatexchange_chair-20-sd-bar_1s.csv"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    return [[r["pdq_hex"], r["quality"], r["timestamp_s"]] for r in csv.DictReader(lines)]


def test_python_threatexchanges_vpdq_of_a_video_matches_ours(corpora: Path) -> None:
    feats = meta_features(corpora)
    assert len(feats) == 21
    theirs = ms.parse_vpdq(json.dumps([",".join(f) for f in feats]))  # vpdq_to_json's form
    assert theirs.split(",") == list(dict.fromkeys(f[0] for f in feats if int(f[1]) >= 50))
    video = corpora / CORPUS / "videos/chair-20-sd-bar.mp4"
    ours = fingerprint_map(fingerprint_file(video, kind=MediaKind.VIDEO))["vpdq"]
    m = ms.near(ms.Query.of({"vpdq": [ours]}), "vpdq", theirs)
    assert m is not None and m.detail is not None
    # Meta's expectation: 100 % query and 100 % compared at distance 31
    assert m.detail == {"query_match_percent": 100.0, "compared_match_percent": 100.0}
    other = corpora / CORPUS / "videos/pattern-hd-no-bar.mp4"
    unrelated = fingerprint_map(fingerprint_file(other, kind=MediaKind.VIDEO))["vpdq"]
    assert ms.near(ms.Query.of({"vpdq": [unrelated]}), "vpdq", theirs) is None


def test_parse_vpdq_keeps_usable_distinct_frames_and_refuses_the_rest() -> None:
    pytx = json.dumps([f"{X},100,0.0", f"{Y},49,1.0", f"{X},90,2.0", f"{Y.upper()},50,3.5"])
    assert ms.parse_vpdq(pytx) == f"{X},{Y}"  # quality 49 dropped, the repeat dropped
    assert ms.parse_vpdq(f" {X},{X.upper()},{'0' * 64}") == X  # flat frame dropped
    for bad in (
        "",
        "0" * 64,  # only a flat frame
        json.dumps([f"{X},40,0.0"]),  # only low quality
        json.dumps([f"{X},100"]),
        json.dumps([f"{X},101,0.0"]),
        json.dumps([f"{X},100,soon"]),
        json.dumps([7]),
        json.dumps({"0": X}),
        "[not json",
        X + ",5a",
        ",".join([X] * 20_001),
    ):
        with pytest.raises(UsageError):
            ms.parse_vpdq(bad)
    assert ms.parse_chromaprint(" 0123ABCD ") == "0123abcd"
    for bad in ("", "0123abc", "zz" * 4, "00" * 4 * 20_001):
        with pytest.raises(UsageError):
            ms.parse_chromaprint(bad)


def _hex(items: list[int]) -> str:
    return b"".join(x.to_bytes(4, "little") for x in items).hex()


def _flip(value: str, bits: int) -> str:
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


def test_find_matches_vpdq_by_share_of_frames_and_chromaprint_by_ber() -> None:
    rnd = random.Random(7)  # random frames: any two are about 128 bits apart
    frames = [f"{rnd.getrandbits(256):064x}" for _ in range(10)]
    others = [f"{rnd.getrandbits(256):064x}" for _ in range(3)]
    stored = ",".join(frames)
    eight = ",".join([*(_flip(f, 20) for f in frames[:8]), *others[:2]])  # 80 %
    seven = ",".join([*frames[:7], *others])  # 70 %: no match
    sig = Signal(1, "vpdq", stored, False)
    [hit] = find(upload_keys({"vpdq": eight}, None), [sig])
    assert hit.distance == 20 and hit.detail is not None
    assert hit.detail["query_match_percent"] == 80.0
    assert find(upload_keys({"vpdq": seven}, None), [sig]) == []
    items = [(i * 2654435761) & 0xFFFFFFFF for i in range(200)]
    near = [x ^ 0x0F0F for x in items]  # 8 bits of 32 wrong: BER 0.25, the threshold
    far = [x ^ 0x0F0F1 for x in items]  # 9 of 32
    audio = Signal(2, "chromaprint", _hex(items), False)
    benign = Signal(3, "chromaprint", _hex(items), True)
    [h] = find(upload_keys({"chromaprint": _hex(near)}, None), [audio])
    assert h.distance == 250
    assert find(upload_keys({"chromaprint": _hex(far)}, None), [audio]) == []
    v = judge(find(upload_keys({"chromaprint": _hex(near)}, None), [audio, benign]))
    assert v.positive and v.suppressed_by  # a known-benign recording suppresses
