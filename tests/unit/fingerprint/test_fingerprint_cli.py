"""`mediaproof hash FILE [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from mediaproof.cli.hash import app, hash_cli, hash_command

runner = CliRunner()


def test_hash_json_for_an_image(corpora: Path) -> None:
    path = corpora / "pdq-threatexchange/images/python-threatexchange-resources/LA.png"
    result = runner.invoke(app, ["hash", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "image"
    assert data["pdq"]["hash"] == "accb6d39648035f8125c8ce6ba65007de7b54c67a2d93ef7b8f33b0611306715"
    assert data["pdq"]["quality"] == 100 and len(data["pdq"]["dihedral"]) == 8


def test_hash_table_for_a_video_with_sound(corpora: Path) -> None:
    path = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    result = runner.invoke(app, ["hash", str(path)])
    assert result.exit_code == 0, result.output
    for word in ("md5", "vpdq", "chromaprint", "up to 30 frames/s", "lead, not proof"):
        assert word in result.output
    result = runner.invoke(app, ["hash", str(path), "--query", "--json"])
    data = json.loads(result.output)
    assert data["vpdq"]["seconds_per_hash"] == 1.0 and len(data["vpdq"]["frames"]) == 4


def test_errors_are_clean(tmp_path: Path) -> None:
    assert hash_command(tmp_path / "missing.jpg", json_out=False) == 3
    doc = tmp_path / "x.pdf"
    doc.write_bytes(b"%PDF-1.7\n")
    result = runner.invoke(app, ["hash", str(doc)])
    assert result.exit_code != 0 and "no fingerprint" in result.output


def test_mountable_in_another_app(corpora: Path) -> None:
    main = typer.Typer()
    main.command("hash")(hash_cli)

    @main.command("other")
    def other() -> None: ...

    path = corpora / "pdq-threatexchange/images/misc-images/wee.jpg"
    result = runner.invoke(main, ["hash", str(path), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["md5"]
