"""Imported hash lists: stored in bulk, matched as leads, never as registered originals."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mediaproof.cli.main import app as cli
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.matching.hash_import import parse_hash_file
from mediaproof.services.hash_lists import import_hashes, lists, match_pdq
from mediaproof.services.instance import Instance
from mediaproof.services.verification import verify_file

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"


def test_an_imported_hash_is_a_lead_never_a_registered_original(
    any_db_instance: Instance, corpora: Path
) -> None:
    inst = any_db_instance
    fps = fingerprint_file(corpora / PHOTO)
    assert fps.image is not None
    h = fps.image.pdq.hex
    text = f"pdq {h}\nvideo_md5 {fps.md5}\n"
    result = import_hashes(inst.db, "county-b", parse_hash_file(text.encode()))
    assert result.imported == 2 and result.by_type == {"pdq": 1, "video_md5": 1}
    assert lists(inst.db)[0]["entries"] == 2

    found = match_pdq(inst, h)["matches"]
    assert [(m["list"], m["distance"]) for m in found] == [("county-b", 0)]
    # the registry knows nothing of it: the verify report finds no original
    assert inst.fingerprint_lookup.find_near("pdq", fps.image.pdq.value, 31) == []
    report = verify_file(inst, corpora / PHOTO).as_dict()
    match = report["match"] if "match" in report else report["evidence"]["match"]
    assert match["status"] == "not_found"
    assert "copy of a registered original" not in json.dumps(report).lower()


def test_a_bad_file_imports_nothing(tmp_path: Path) -> None:
    inst = Instance.open(tmp_path / "home")
    bad = tmp_path / "bad.txt"
    bad.write_text("pdq " + "a" * 64 + "\npdq nothex\n")
    r = CliRunner().invoke(cli, ["fingerprints", "import", str(bad), "--list", "x",
                                 "--home", str(inst.home)])  # fmt: skip
    assert r.exit_code == 3, r.output
    assert "line 2" in r.output
    assert lists(inst.db) == []
    inst.close()


def test_cli_import_csv(tmp_path: Path) -> None:
    inst = Instance.open(tmp_path / "home")
    f = tmp_path / "dataset.csv"
    f.write_text(
        "signal_type,signal_str,collab,category,tags\n"
        + "".join(f"pdq,{i:064x},c,POSITIVE_CLASS,t\n" for i in range(1, 1001))
    )
    r = CliRunner().invoke(cli, ["fingerprints", "import", str(f), "--list", "pull-1",
                                 "--home", str(inst.home), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["imported"] == 1000 and out["format"] == "csv"
    m = match_pdq(inst, f"{7:064x}")["matches"]
    assert {x["entry"] for x in m} and all(x["category"] == "POSITIVE_CLASS" for x in m)
    inst.close()
    assert len(parse_hash_file(b"")) == 0  # an empty file is simply empty
