"""What a small file of a huge canvas costs (issue 15, finding 5): steps that only want
metadata do not decode the pixels."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from mediaproof.analysis.analyzers.generator import GeneratorMetadataAnalyzer
from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Limits, Settings
from mediaproof.media.ingest import ingest_file


def _analyze(path: Path):  # type: ignore[no-untyped-def]
    media = ingest_file(path, Limits())
    ctx = AnalysisContext(path=path, media=media, settings=Settings(home=path.parent))
    return GeneratorMetadataAnalyzer().analyze(ctx)


def _decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Notes every pixel decode of a PNG (the analyzer swallows exceptions, so a spy)."""
    calls: list[str] = []
    real = PngImagePlugin.PngImageFile.load

    def spy(self: PngImagePlugin.PngImageFile) -> object:
        calls.append(str(self.size))
        return real(self)

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", spy)
    return calls


def test_generator_metadata_of_a_png_reads_no_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "zeros.png"
    Image.new("RGB", (4000, 4000)).save(p, optimize=True)  # 48 MB of pixels in ~50 KB
    decodes = _decodes(monkeypatch)
    ev = _analyze(p)
    assert ev.status is EvidenceStatus.NOT_FOUND
    assert decodes == []


def test_png_exif_before_the_pixels_is_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Firefly"
    p = tmp_path / "exif.png"
    Image.new("RGB", (32, 32)).save(p, exif=exif)  # Pillow writes eXIf before IDAT
    decodes = _decodes(monkeypatch)
    ev = _analyze(p)
    assert ev.data["declares_ai"] and ev.data["tools"] == ["Adobe Firefly"]
    assert decodes == []
