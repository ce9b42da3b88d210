from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from mediaproof.cli.watermark import app
from mediaproof.watermark.keys import ensure_watermark_key, watermark_key_path

runner = CliRunner()


def test_key_is_created_0600_and_reused(tmp_path: Path) -> None:
    key = ensure_watermark_key(tmp_path)
    path = watermark_key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 32
    assert ensure_watermark_key(tmp_path) == key


def test_embed_then_detect_json(tmp_path: Path) -> None:
    from skimage import data

    src = tmp_path / "in.png"
    Image.fromarray(data.astronaut()).save(src)
    out = tmp_path / "out.jpg"
    res = runner.invoke(
        app, ["embed", str(src), "-o", str(out), "--id", "4242", "--home", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["detect", str(out), "--json", "--home", str(tmp_path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["watermark"]["claimed"] is True
    assert doc["watermark"]["payload"]["asset_id"] == 4242
    res = runner.invoke(app, ["detect", str(src), "--home", str(tmp_path)])
    assert res.exit_code == 0 and "none found" in res.output


def test_detect_without_key_is_an_error(tmp_path: Path) -> None:
    img = tmp_path / "x.png"
    Image.fromarray(np.zeros((80, 80, 3), np.uint8)).save(img)
    res = runner.invoke(app, ["detect", str(img), "--home", str(tmp_path / "nohome")])
    assert res.exit_code == 78


def test_video_embed_then_detect_reads_frames_and_soundtrack(tmp_path: Path, corpora: Path) -> None:
    from tests.unit.watermark.test_watermark_analyzer import _video_with_speech

    src, out = tmp_path / "in.mp4", tmp_path / "out.mp4"
    _video_with_speech(src, corpora)
    # A fixed key keeps this plumbing test deterministic: on a 4 s clip the audio mark
    # misses for a few keys in a hundred (its robustness is the bench's business,
    # docs/watermark.md), and the instance would otherwise draw a new key each run.
    key_path = watermark_key_path(tmp_path)
    key_path.parent.mkdir(mode=0o700)
    key_path.write_bytes(b"cli-video-key-0000000000000000x1")
    key_path.chmod(0o600)
    home = ["--home", str(tmp_path)]
    res = runner.invoke(app, ["embed", str(src), "-o", str(out), "--id", "777", *home])
    assert res.exit_code == 0, res.output
    assert "16 frames marked, soundtrack marked" in res.output
    res = runner.invoke(app, ["detect", str(out), "--json", *home])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["watermark"]["payload"]["asset_id"] == 777
    assert doc["watermark"]["details"]["votes"]["777"] >= 2
    assert doc["soundtrack"]["payload"]["asset_id"] == 777
    res = runner.invoke(app, ["detect", str(src), *home])
    assert res.exit_code == 0
    assert "watermark: none found" in res.output
    assert "soundtrack watermark: none found" in res.output
