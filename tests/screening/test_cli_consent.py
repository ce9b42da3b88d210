"""`mediaproof screen consent grant|list|revoke` on a real instance, with a person
enrolled from the likeness corpus."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from mediaproof.cli.main import app
from mediaproof.transparency.log import TransparencyLog
from tests.likeness_support import faces_dir

runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    r = runner.invoke(app, [*args, "--home", str(home)])
    return r.exit_code, r.output


def test_grant_list_revoke(tmp_path: Path, corpora: Path) -> None:
    home = tmp_path / "i"
    code, out = _run(home, "admin", "create-user", "imagetool", "--role", "toolmaker",
                     "--one-time-password")
    assert code == 0, out
    face = faces_dir(corpora) / "knn_examples" / "train" / "obama" / "obama.jpg"
    code, out = _run(home, "likeness", "enrol", "Barack Obama", "--face", str(face), "--json")
    assert code == 0, out
    eid = json.loads(out)["enrolment"]["id"] if "enrolment" in json.loads(out) else (
        json.loads(out)["id"])
    form = tmp_path / "consent.pdf"
    form.write_bytes(b"%PDF-1.7 signed consent form")

    code, out = _run(home, "screen", "consent", "grant", eid, "--grantee", "imagetool",
                     "--modality", "face", "--use", "film", "--prohibit", "political",
                     "--territory", "de", "--until", "2099-06-30", "--signed-how",
                     "handwritten", "--evidence", str(form), "--json")
    assert code == 0, out
    granted = json.loads(out)
    c = granted["consent"]
    assert c["evidence_sha256"] == hashlib.sha256(form.read_bytes()).hexdigest()
    assert c["territory"] == ["DE"] and c["status"] == "valid" and c["recorded_by"] == "cli"
    assert isinstance(granted["log"]["index"], int)

    # an end date is required, and a bad record changes nothing
    code, out = _run(home, "screen", "consent", "grant", eid, "--grantee", "imagetool",
                     "--modality", "face", "--use", "film", "--signed-how", "handwritten",
                     "--evidence", str(form))
    assert code != 0 and "--until" in out
    code, out = _run(home, "screen", "consent", "grant", eid, "--grantee", "imagetool",
                     "--modality", "face", "--use", "film", "--signed-how", "handwritten",
                     "--until", "2099-01-01")
    assert code == 2 and "--evidence" in out

    code, out = _run(home, "screen", "consent", "list", "--grantee", "imagetool")
    assert code == 0 and c["id"] in out and "valid" in out
    code, out = _run(home, "screen", "consent", "revoke", c["id"], "--json")
    assert code == 0, out
    assert json.loads(out)["consent"]["status"] == "revoked"
    code, out = _run(home, "screen", "consent", "revoke", c["id"])
    assert code != 0 and "revoked already" in out
    code, out = _run(home, "screen", "consent", "list", "--json")
    assert [x["status"] for x in json.loads(out)] == ["revoked"]

    with TransparencyLog.open(home, readonly=True) as log:
        types = [json.loads(log.entry(i))["type"] for i in range(log.size)]
    assert types[-2:] == ["consent.granted", "consent.revoked"]


def test_bans_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "b"
    bad = "Photo of Elena Marchetti being arrested and led away in handcuffs"
    code, out = _run(home, "screen", "officials", "add", "Elena Marchetti")
    assert code == 0, out
    for _ in range(3):
        code, out = _run(home, "screen", "prompt", bad, "--record", "--user-ref", "u-1",
                         "--json")
        assert code == 0 and json.loads(out)["decision"] == "block", out
    code, out = _run(home, "screen", "bans", "list", "--active", "--json")
    assert [(b["tool"], b["user_ref"]) for b in json.loads(out)] == [("cli", "u-1")]
    with TransparencyLog.open(home, readonly=True) as log:  # landed by the CLI itself
        assert [json.loads(log.entry(i))["decision"] for i in range(log.size)] == [
            "block", "block", "block", "ban"]
    code, out = _run(home, "screen", "bans", "lift", "cli", "u-1")
    assert code == 0, out
    code, out = _run(home, "screen", "bans", "list", "--active", "--json")
    assert json.loads(out) == []
    code, out = _run(home, "screen", "bans", "lift", "cli", "u-1")
    assert code != 0 and "not banned" in out
    # each recorded block, the ban and its lifting landed as screen.decided leaves
    with TransparencyLog.open(home, readonly=True) as log:
        leaves = [json.loads(log.entry(i)) for i in range(log.size)]
    decided = [d["decision"] for d in leaves if d["type"] == "screen.decided"]
    assert decided == ["block", "block", "block", "ban", "ban_lifted"]
    assert "u-1" not in json.dumps(leaves) and "Marchetti" not in json.dumps(leaves)
