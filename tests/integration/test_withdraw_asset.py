"""A withdrawn original leaves the match index at once, in other processes, and after a
restart; the withdrawal is logged and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from mediaproof.cli.main import app
from mediaproof.config import Settings
from mediaproof.errors import ConflictError, NotFoundError
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import register_existing
from mediaproof.services.verification import verify_file
from mediaproof.services.withdrawal import withdraw_asset
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.log import TransparencyLog

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
KEEP = "pdq-threatexchange/images/misc-images/c.png"


def _pdq(path: Path) -> bytes:
    fps = fingerprint_file(path)
    assert fps.image is not None
    return fps.image.pdq.value


def _ids(lookup: SqlFingerprintLookup, h: bytes) -> set[str]:
    return {c.asset_id for c in lookup.find_near("pdq", h, MATCH_THRESHOLD)}


def test_withdrawn_asset_stops_matching_now_elsewhere_and_after_restart(
    any_db_instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    inst = any_db_instance
    gone = register_existing(inst, corpora / PHOTO, title="Bridge")
    kept = register_existing(inst, corpora / KEEP, title="Kept")
    copy = tmp_path / "copy.jpg"
    Image.open(corpora / PHOTO).convert("RGB").resize((800, 502)).save(copy, quality=75)
    h, hk = _pdq(copy), _pdq(corpora / KEEP)
    other_process = SqlFingerprintLookup(inst.db)  # e.g. another API worker
    assert _ids(inst.fingerprint_lookup, h) == {str(gone.id)}
    assert _ids(other_process, h) == {str(gone.id)}

    withdrawn = withdraw_asset(inst, gone.id)
    assert withdrawn.status == "withdrawn"
    assert _ids(inst.fingerprint_lookup, h) == set()  # at once, in this process
    other_process.refresh(force=True)  # the other worker's next refresh (<= 1 s)
    assert _ids(other_process, h) == set()
    assert _ids(SqlFingerprintLookup(inst.db), h) == set()  # a restart never loads it
    # md5 (exact copies) too, and the other asset is untouched
    md5 = fingerprint_file(corpora / PHOTO).md5
    assert inst.fingerprint_lookup.find_near("md5", md5, 0) == []
    assert _ids(inst.fingerprint_lookup, hk) == {str(kept.id)}

    report = verify_file(inst, copy).as_dict()
    assert report["evidence"]["match"]["status"] == "not_found"
    exact = verify_file(inst, corpora / PHOTO).as_dict()
    assert exact["evidence"]["registry"]["status"] == "not_found"
    assert "withdrawn" in exact["evidence"]["registry"]["summary"]
    assert exact["assessment"]["label"] == "unknown"

    with pytest.raises(ConflictError):
        withdraw_asset(inst, gone.id)
    with pytest.raises(NotFoundError):
        withdraw_asset(inst, 9999)
    with TransparencyLog.open(inst.home) as log:
        types = [Entry.parse(log.entry(i)).type for i in range(log.size)]
    assert types.count("asset.withdrawn") == 1


def test_withdraw_cli(home: Path, corpora: Path) -> None:
    inst = Instance(Settings(home=home))
    try:
        asset = register_existing(inst, corpora / PHOTO, title="Bridge")
    finally:
        inst.close()
    runner = CliRunner()
    r = runner.invoke(app, ["withdraw", str(asset.id), "--home", str(home), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["asset"]["status"] == "withdrawn"
    again = runner.invoke(app, ["withdraw", str(asset.id), "--home", str(home)])
    assert again.exit_code == 7
    missing = runner.invoke(app, ["withdraw", "42", "--home", str(home)])
    assert missing.exit_code == 6
