from __future__ import annotations

from pathlib import Path

import pytest

from mediaproof.media.sniff import MediaKind, sniff

FIX = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("sample1.png", "image/png"),
        ("earth_apollo17.jpg", "image/jpeg"),
        ("sample1.webp", "image/webp"),
        ("TUSCANY.TIF", "image/tiff"),
        ("sample1.avif", "image/avif"),
        ("sample1.heic", "image/heic"),
        ("sample1.gif", "image/gif"),
        ("video1_no_manifest.mp4", "video/mp4"),
        ("c.mov", "video/quicktime"),
        ("sample1.m4a", "audio/mp4"),
        ("sample1.wav", "audio/wav"),
        ("sample1.mp3", "audio/mpeg"),
        ("sample1.flac", "audio/flac"),
        ("basic.pdf", "application/pdf"),
        ("sample1.svg", "image/svg+xml"),
    ],
)
def test_sniff_real_files(corpora: Path, name: str, mime: str) -> None:
    head = (corpora / FIX / name).read_bytes()[:4096]
    assert sniff(head).mime == mime


def test_name_is_never_trusted(tmp_path: Path, corpora: Path) -> None:
    # a PNG renamed .jpg is still a PNG
    data = (corpora / FIX / "sample1.png").read_bytes()
    assert sniff(data[:4096]).mime == "image/png"


@pytest.mark.parametrize("head", [b"", b"hello world", b"\x00" * 64, b"MZ\x90\x00"])
def test_unknown(head: bytes) -> None:
    s = sniff(head)
    assert s.kind is MediaKind.UNKNOWN
    assert s.mime == "application/octet-stream"
