"""An operator's CLI on screening abuse: a screening appeal is decided with
`mediaproof cases decide-appeal` like any appeal (the reversal lifts the ban), and
`mediaproof cases transparency-report` counts per tool, without user references."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from mediaproof.cli.cases import app
from mediaproof.config import Settings
from mediaproof.services import screening as svc
from mediaproof.services import screening_appeals
from mediaproof.services.cases.runtime import case_service
from mediaproof.services.instance import Instance

runner = CliRunner()
BAD = "Photo of Elena Marchetti being arrested and led away in handcuffs"


def run(home: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_decide_a_screening_appeal_and_report_the_counts(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    inst = Instance(Settings(home=home))
    try:
        svc.add_official(inst, "Elena Marchetti")
        screener = svc.ScreeningService(inst, embedder=False)
        events = [screener.screen(BAD, "imagetool", "user-41") for _ in range(3)]
        assert events[-1].user_banned
        assert screener.screen("a red bicycle", "othertool", "user-41").event_id is None
        event_id = events[0].event_id
        assert event_id is not None
        filed = screening_appeals.appeal(
            inst, case_service(inst), tool="imagetool", user_ref="user-41",
            event_id=event_id, grounds="A satire page, labelled as such.",
        )
    finally:
        inst.close()
    run(home, "decide-appeal", filed["appeal_id"], "--reviewer", "alice", "--outcome",
        "reversed", "--explanation", "Labelled satire; the block was wrong.")
    inst = Instance(Settings(home=home))
    try:
        assert svc.active_ban(inst, "imagetool", "user-41") is None
    finally:
        inst.close()
    text = run(home, "transparency-report", "--from", "2000-01-01", "--to", "2100-01-01")
    got = {(r["section"], r["metric"], r["dimension"]): r["value"]
           for r in csv.DictReader(io.StringIO(text))}
    assert {m: got[("screening", m, "imagetool")] for m in
            ("blocks", "reviews", "holds", "bans", "appeals", "reversals")} == {
        "blocks": "3", "reviews": "0", "holds": "0", "bans": "1", "appeals": "1",
        "reversals": "1"}
    assert ("screening", "blocks", "othertool") not in got  # allowed prompts leave no row
    assert got[("complaints", "received", "all")] == "0"
    html = run(home, "transparency-report", "--from", "2000-01-01", "--to", "2100-01-01",
               "--html")
    assert "screening" in html and "reversals" in html
    for secret in ("user-41", "Marchetti", "handcuffs"):
        assert secret not in text and secret not in html
