"""MEDIAPROOF_LIMIT_MAX_PIXELS is the one real pixel limit (issue 15, finding 6): Pillow's
own bomb guard (89.5 MP, refusing at 179 MP by default) follows it in every process that
decodes, and a refusal says our limit in our words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mediaproof.analysis.compute import ProcessCompute
from mediaproof.config import Limits, Settings
from mediaproof.errors import LimitExceededError
from mediaproof.media.ingest import apply_pixel_limit, ingest_file
from mediaproof.services.instance import Instance


def pillow_guard() -> int | None:
    return Image.MAX_IMAGE_PIXELS


@pytest.fixture(autouse=True)
def restore_guard() -> Iterator[None]:
    before = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = before


def _canvas(path: Path, w: int, h: int) -> Path:
    Image.new("1", (w, h)).save(path, "PNG", optimize=True)  # tiny file, huge canvas
    return path


def test_raising_the_setting_admits_what_pillow_would_refuse(tmp_path: Path) -> None:
    big = _canvas(tmp_path / "big.png", 14_000, 14_000)  # 196 MP: Pillow's default refuses
    inst = Instance(Settings(home=tmp_path / "i", limits=Limits(max_pixels=200_000_000)))
    try:
        info = ingest_file(big, inst.settings.limits)
    finally:
        inst.close()
    assert (info.width, info.height) == (14_000, 14_000)
    with Image.open(big) as im:  # and a decoder opening it later is not refused either
        assert im.size == (14_000, 14_000)


def test_a_refusal_names_our_setting_not_pillows_guard(tmp_path: Path) -> None:
    p = _canvas(tmp_path / "p.png", 9_000, 9_000)  # 81 MP: under Pillow's default
    apply_pixel_limit(50_000_000)
    with pytest.raises(LimitExceededError) as e:
        ingest_file(p, Limits(max_pixels=50_000_000))
    msg = f"{e.value} {e.value.hint}"
    assert "9000x9000" in msg and "50,000,000" in msg and "MEDIAPROOF_LIMIT_MAX_PIXELS" in msg
    assert "decompression" not in msg.lower() and "Image size" not in msg


def test_pillow_guard_backs_up_our_limit(tmp_path: Path) -> None:
    """A decoder that opens the file without our check first is refused by Pillow at
    the same limit; ingest answers first, in our words, from the header."""
    p = _canvas(tmp_path / "p.png", 12_000, 12_000)
    apply_pixel_limit(100_000_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(p)
    with pytest.raises(LimitExceededError, match=r"12000x12000 .* limit of 100,000,000 pixels"):
        ingest_file(p, Limits(max_pixels=100_000_000))


def test_exactly_the_limit_is_allowed(tmp_path: Path) -> None:
    p = _canvas(tmp_path / "p.png", 301, 3)
    apply_pixel_limit(903)  # odd: Pillow's guard must not round it down
    assert ingest_file(p, Limits(max_pixels=903)).width == 301
    with pytest.raises(LimitExceededError):
        ingest_file(p, Limits(max_pixels=902))


def test_analysis_workers_get_the_setting() -> None:
    pool = ProcessCompute(1, max_pixels=300_000_000)
    try:
        assert pool.run(pillow_guard) == 150_000_000
    finally:
        pool.close()


def test_decoders_take_the_setting_too(tmp_path: Path) -> None:
    """PDQ opens images itself: between half the limit and the limit (where Pillow only
    warns) it works, and past the limit it refuses in our words, not Pillow's."""
    from mediaproof.fingerprint.pdq import decode_for_pdq

    apply_pixel_limit(10_000_000)
    ok = _canvas(tmp_path / "ok.png", 3000, 2000)  # 6 MP: over half the limit
    rgb, size = decode_for_pdq(ok, Limits(max_pixels=10_000_000))
    assert size == (3000, 2000) and rgb.size > 0
    big = _canvas(tmp_path / "big.png", 5000, 5000)
    with pytest.raises(LimitExceededError) as e:
        decode_for_pdq(big.read_bytes(), Limits(max_pixels=10_000_000))
    assert "10,000,000 pixels" in str(e.value) and "MEDIAPROOF_LIMIT_MAX_PIXELS" in str(e.value)
    assert "Image size" not in str(e.value)


def test_the_cli_sets_the_guard_before_any_command() -> None:
    """Commands that open images without an instance (hash, watermark detect) too."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from PIL import Image\n"
        "from mediaproof.cli.main import main\n"
        "sys.argv = ['mediaproof', '--version']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(Image.MAX_IMAGE_PIXELS)\n"
    )
    src = str(Path(__file__).resolve().parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": src, "MEDIAPROOF_LIMIT_MAX_PIXELS": "300000000"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "150000000", out.stdout + out.stderr
