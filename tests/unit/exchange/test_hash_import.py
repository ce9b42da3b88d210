"""Parsing bulk hash files in python-threatexchange's formats."""

from __future__ import annotations

import pytest

from mediaproof.exchange.models import Category, FeedRow, SignalType
from mediaproof.exchange.snapshot import dataset_csv, local_file
from mediaproof.matching.hash_import import HashFileError, parse_hash_file

PDQ = "f" * 32 + "0" * 32
MD5 = "ab" * 16


def test_local_file_lines() -> None:
    text = f"# a comment\npdq {PDQ}\n\nvideo_md5 {MD5.upper()}\n"
    p = parse_hash_file(text.encode())
    assert p.format == "local_file"
    assert p.signal_type == ["pdq", "video_md5"]
    assert p.value == [bytes.fromhex(PDQ), bytes.fromhex(MD5)]
    assert p.category == [None, None]


def test_csv_with_metadata() -> None:
    text = (
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{PDQ},elections,POSITIVE_CLASS,deepfake_of_candidate voting\n"
        f"video_md5,{MD5},elections,,\n"
    )
    p = parse_hash_file(text.encode())
    assert p.format == "csv" and len(p) == 2
    assert p.category == ["POSITIVE_CLASS", None]
    assert p.tags == ["deepfake_of_candidate voting", None]


def _feed_row(seq: int, value: str) -> FeedRow:
    return FeedRow(
        collection="elections", seq=seq, signal_type=SignalType.PDQ, value=value,
        category=Category.POSITIVE_CLASS, tags=("deepfake_of_candidate",), quality=None,
        owner="County A", deleted=False, time="2026-12-06T00:00:00Z",
    )  # fmt: skip


def test_reads_what_the_exchange_writes() -> None:
    rows = [_feed_row(1, PDQ), _feed_row(2, "0" * 32 + "f" * 32)]
    for text in (local_file(rows), dataset_csv(rows, "elections")):
        p = parse_hash_file(text.encode())
        assert [v.hex() for v in p.value] == [PDQ, "0" * 32 + "f" * 32]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"pdq {PDQ}\npdq {PDQ[:-1]}\n", "line 2: a pdq value is 64 hex digits"),
        (f"pdq {PDQ}\nurl https://x\n", "line 2: signal type 'url' is not importable"),
        (f"pdq {'g' * 64}\n", "line 1: pdq value is not hexadecimal"),
        (f"pdq {PDQ} extra\n", "line 1: expected"),
        ("signal_type,signal_str\npdq\n", "line 2: 1 fields"),
        ("signal_type,category\npdq,x\n", "the CSV header must name"),
        (b"\xff\xfe".decode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_files_name_the_line(text: str, message: str) -> None:
    data = text.encode("latin-1") if "not UTF-8" in message else text.encode()
    with pytest.raises(HashFileError, match=message):
        parse_hash_file(data)
