"""`mediaproof screen ...` on a real instance."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mediaproof.cli.main import app

runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    r = runner.invoke(app, [*args, "--home", str(home)])
    return r.exit_code, r.output


def test_officials_seeds_and_prompts_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "i"
    code, out = _run(home, "screen", "officials", "add", "Elena Marchetti", "--alias",
                     "Marchetti", "--role", "mayoral candidate")
    assert code == 0, out
    csv_file = tmp_path / "officials.csv"
    csv_file.write_text("name,aliases,role\nTomas Lindqvist,Lindqvist;T. Lindqvist,party leader\n")
    code, out = _run(home, "screen", "officials", "import", str(csv_file))
    assert code == 0 and "imported 1" in out, out
    code, out = _run(home, "screen", "officials", "list", "--json")
    assert [o["name"] for o in json.loads(out)] == ["Elena Marchetti", "Tomas Lindqvist"]
    assert json.loads(out)[1]["aliases"] == ["Lindqvist", "T. Lindqvist"]

    code, out = _run(home, "screen", "prompt", "Lіndqvіst in handcuffs", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["decision"] == "block" and d["embeddings"] is True

    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        json.dumps({"prompt": "drones spraying paint on the town election office doors"}) + "\n"
        + json.dumps({"text": "a lighthouse at dawn"}) + "\n"
    )
    code, out = _run(home, "screen", "prompt", "--file", str(prompts), "--json")
    assert [r["decision"] for r in json.loads(out)] == ["allow", "allow"]
    code, out = _run(home, "screen", "seeds", "add", "--scenario", "vandalism",
                     "drones spraying paint on a town hall")
    assert code == 0, out
    code, out = _run(home, "screen", "prompt", "--file", str(prompts), "--json")
    assert [r["decision"] for r in json.loads(out)][1] == "allow"
    assert json.loads(out)[0]["decision"] in ("review", "block")


def test_bad_files_and_input_fail_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "i"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\nnot json\n')
    code, out = _run(home, "screen", "prompt", "--file", str(bad))
    assert code == 2 and "bad.jsonl:2" in out
    code, out = _run(home, "screen", "officials", "remove", "99")
    assert code != 0 and "no protected official" in out
    bad_csv = tmp_path / "o.json"
    bad_csv.write_text('[{"aliases": ["x"]}]')
    code, out = _run(home, "screen", "officials", "import", str(bad_csv))
    assert code == 2 and "'name' is required" in out
    code, out = _run(home, "screen", "officials", "list", "--json")
    assert json.loads(out) == []  # nothing half-imported
