from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from mediaproof.config import Limits
from mediaproof.errors import IngestError, LimitExceededError, MalformedMediaError
from mediaproof.media.ingest import ingest_file, read_signed


def _jpeg(path: Path, w: int = 64, h: int = 48) -> Path:
    Image.new("RGB", (w, h), (10, 200, 30)).save(path, "JPEG")
    return path


def test_ingest_reports_type_size_digest_dimensions(tmp_path: Path) -> None:
    p = _jpeg(tmp_path / "a.png")  # misleading name on purpose
    info = ingest_file(p, Limits())
    assert info.mime == "image/jpeg"
    assert (info.width, info.height) == (64, 48)
    assert info.size == p.stat().st_size
    assert info.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_read_signed_gives_both_digests_and_the_bytes_in_one_read(tmp_path: Path) -> None:
    p = _jpeg(tmp_path / "a.jpg", 900, 700)
    data = p.read_bytes()
    for keep_upto in (len(data), 10 * len(data), len(data) - 1, -1):
        info, kept = read_signed(p, Limits(), keep_upto)
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        # the MD5 where the bytes were read into memory; a larger file streams as before
        kept_here = keep_upto >= len(data)
        assert info.md5 == (hashlib.md5(data).hexdigest() if kept_here else None)
        assert (info.mime, info.width, info.height) == ("image/jpeg", 900, 700)
        assert info.size == len(data)
        assert kept == (data if keep_upto >= len(data) else None), keep_upto
    plain = ingest_file(p, Limits())
    assert plain.md5 is None and plain.sha256 == info.sha256


def test_byte_limit(tmp_path: Path) -> None:
    p = _jpeg(tmp_path / "a.jpg")
    with pytest.raises(LimitExceededError, match="limit"):
        ingest_file(p, Limits(max_bytes=100))


def test_pixel_limit_checked_from_header(tmp_path: Path) -> None:
    p = _jpeg(tmp_path / "a.jpg", 400, 300)
    with pytest.raises(LimitExceededError, match="pixels"):
        ingest_file(p, Limits(max_pixels=400 * 300 - 1))


def test_decompression_bomb_png(tmp_path: Path) -> None:
    # a tiny file that claims a huge canvas: 20000 x 20000 of one colour compresses to ~1 MB
    p = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(p, "PNG", optimize=True)
    assert p.stat().st_size < 2_000_000
    with pytest.raises(LimitExceededError):
        ingest_file(p, Limits(max_pixels=50_000_000))


def test_empty_and_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(MalformedMediaError):
        ingest_file(empty, Limits())
    with pytest.raises(IngestError, match="no such file"):
        ingest_file(tmp_path / "missing.jpg", Limits())
    with pytest.raises(IngestError, match="not a regular file"):
        ingest_file(tmp_path, Limits())


def test_duration_limit_on_real_audio(corpora: Path) -> None:
    wav = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"
    info = ingest_file(wav, Limits())
    assert info.duration_s and info.duration_s > 0
    with pytest.raises(LimitExceededError, match="lasts"):
        ingest_file(wav, Limits(max_duration_s=info.duration_s / 2))
