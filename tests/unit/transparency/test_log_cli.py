"""`mediaproof log` and `mediaproof alibi` commands, end to end on a temporary instance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from typer.testing import CliRunner

from mediaproof.cli import alibi, log
from mediaproof.transparency.checkpoint import cosign
from mediaproof.transparency.note import CosignatureSigner, parse_note

runner = CliRunner()


def _invoke(app: typer.Typer, *args: str, input: str | None = None) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args], input=input)
    # JSON goes to stdout alone; human messages and warnings may go to stderr.
    return res.exit_code, res.stdout if "--json" in args else res.output


def _entry(i: int) -> str:
    return json.dumps({"type": "appeal.filed", "appeal_id": f"ap-{i}", "case_id": "c-1"})


def test_log_append_checkpoint_prove_verify(tmp_path: Path) -> None:
    home = str(tmp_path / "inst")
    code, out = _invoke(
        log.app,
        "append",
        "--home",
        home,
        "--origin",
        "cli.example/log",
        "--json",
        input=f"[{_entry(0)}, {_entry(1)}]",
    )
    assert code == 0, out
    assert json.loads(out)["indices"] == [0, 1]
    code, out = _invoke(log.app, "checkpoint", "--home", home)
    assert code == 0 and out.startswith("cli.example/log\n2\n")
    code, vkey = _invoke(log.app, "key", "--home", home)
    vkey = vkey.strip()
    proof = tmp_path / "p.tlog-proof"
    code, out = _invoke(log.app, "prove", "1", "--home", home, "-o", str(proof))
    assert code == 0, out
    # A third party: only the proof file and the key, no instance.
    code, out = _invoke(log.app, "verify-proof", str(proof), "--key", vkey, "--json")
    assert code == 0, out
    assert json.loads(out)["entry"]["appeal_id"] == "ap-1"
    other = tmp_path / "other.json"
    other.write_text("{}")
    code, out = _invoke(log.app, "verify-proof", str(proof), "--key", vkey, "--entry", str(other))
    assert code == 9, out
    bad = proof.read_text().replace("\n2\n", "\n3\n")
    (tmp_path / "bad.tlog-proof").write_text(bad)
    code, out = _invoke(log.app, "verify-proof", str(tmp_path / "bad.tlog-proof"), "--key", vkey)
    assert code != 0


def test_personal_data_is_refused(tmp_path: Path) -> None:
    bad = json.dumps({"type": "appeal.filed", "appeal_id": "jane@example.org", "case_id": "c"})
    code, out = _invoke(log.app, "append", "--home", str(tmp_path), "--json", input=bad)
    assert code == 2
    assert json.loads(out)["error"]["code"] == "log_entry_invalid"


def test_audit_pins_then_detects_a_rewrite(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    _invoke(
        log.app,
        "append",
        "--home",
        str(home),
        "--checkpoint",
        input="[" + ",".join(_entry(i) for i in range(5)) + "]",
    )
    pin = tmp_path / "pin"
    code, out = _invoke(log.app, "audit", "--home", str(home), "--pin", str(pin), "--full")
    assert code == 0 and "pinned" in out
    old = pin.read_bytes()
    _invoke(log.app, "append", "--home", str(home), "--checkpoint", input=_entry(5))
    code, out = _invoke(
        log.app, "audit", "--home", str(home), "--pin", str(pin), "--new-entries", "--json"
    )
    assert code == 0, out
    assert json.loads(out)["size"] == 6 and pin.read_bytes() != old
    assert json.loads(out)["entries_checked"] == 1
    code, out = _invoke(log.app, "verify-consistency", str(tmp_path / "pin"), "--home", str(home))
    assert code == 0, out
    # The operator, key in hand, rebuilds the log without entry 2 and re-signs.
    shutil.rmtree(home / "tlog" / "hashes")
    for name in ("entries.log", "entries.idx", "checkpoint"):
        (home / "tlog" / name).unlink()
    (home / "log" / "checkpoint").unlink()  # else the log refuses to re-sign a rewrite
    shutil.rmtree(home / "log" / "tile")
    _invoke(
        log.app,
        "append",
        "--home",
        str(home),
        "--checkpoint",
        input="[" + ",".join(_entry(i) for i in (0, 1, 3, 4, 5, 6)) + "]",
    )
    code, out = _invoke(log.app, "audit", "--home", str(home), "--pin", str(pin))
    assert code == 9, out
    assert "forked" in out  # same size, different root


def test_checkpoint_cosignatures_via_cli(tmp_path: Path) -> None:
    home = str(tmp_path)
    _invoke(log.app, "append", "--home", home, "--checkpoint", input=_entry(0))
    w = CosignatureSigner.generate("witness.example/w")
    served = (tmp_path / "log" / "checkpoint").read_bytes()
    cosigned = tmp_path / "cosigned"
    cosigned.write_bytes(cosign(parse_note(served), w).encode())
    code, out = _invoke(
        log.app,
        "checkpoint",
        "--home",
        home,
        "--add-cosignatures",
        str(cosigned),
        "--witness",
        w.vkey,
        "--json",
    )
    assert code == 0, out
    assert json.loads(out)["cosignatures_added"] == 1
    code, out = _invoke(log.app, "prove", "0", "--home", home, "-o", str(tmp_path / "p"))
    code, out = _invoke(
        log.app,
        "verify-proof",
        str(tmp_path / "p"),
        "--home",
        home,
        "--witness",
        w.vkey,
        "--min-witnesses",
        "1",
    )
    assert code == 0, out
    code, out = _invoke(
        log.app,
        "verify-proof",
        str(tmp_path / "p"),
        "--home",
        home,
        "--witness",
        CosignatureSigner.generate("witness.example/x").vkey,
        "--min-witnesses",
        "1",
    )
    assert code == 9, out


def test_alibi_add_prove_verify(tmp_path: Path) -> None:
    home = str(tmp_path / "inst")
    rec = tmp_path / "statement.wav"
    rec.write_bytes(b"RIFF my genuine statement")
    code, out = _invoke(alibi.app, "add", str(rec), "--home", home, "--claimant", "p-77", "--json")
    assert code == 0, out
    added = json.loads(out)
    bundle = tmp_path / "statement.tlog-proof"
    code, out = _invoke(alibi.app, "prove", str(rec), "--home", home, "-o", str(bundle))
    assert code == 0, out
    vkey = (tmp_path / "inst" / "log" / "log.vkey").read_text().strip()
    code, out = _invoke(alibi.app, "verify", str(bundle), str(rec), "--key", vkey, "--json")
    assert code == 0, out
    checked = json.loads(out)
    assert checked["logged_at"] == added["time"] and checked["file_checked"]
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"RIFF a deepfake of my statement")
    code, out = _invoke(alibi.app, "verify", str(bundle), str(fake), "--key", vkey)
    assert code == 9
    code, out = _invoke(alibi.app, "prove", str(fake), "--home", home)
    assert code == 6  # not found
    code, out = _invoke(alibi.app, "add", str(rec), "--home", home, "--claimant", "a@b.c")
    assert code == 2


def test_prove_works_while_a_service_holds_the_log(tmp_path: Path) -> None:
    from mediaproof.transparency.log import TransparencyLog

    home = str(tmp_path)
    _invoke(log.app, "append", "--home", home, "--checkpoint", input=_entry(0))
    with TransparencyLog.open(tmp_path):  # the running service
        code, out = _invoke(log.app, "prove", "0", "--home", home, "-o", str(tmp_path / "p"))
        assert code == 0, out
        code, out = _invoke(log.app, "append", "--home", home, input=_entry(1))
        assert code == 10 and "another process" in out


def test_witness_cosigns_only_consistent_growth(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    _invoke(log.app, "append", "--home", str(home), "--checkpoint", input=_entry(0))
    wkey = tmp_path / "w.key"
    code, wvkey = _invoke(log.app, "witness-keygen", "witness.example/w", "-o", str(wkey))
    assert code == 0 and oct(wkey.stat().st_mode & 0o777) == "0o600"
    wvkey = wvkey.strip()
    state, out = tmp_path / "w.state", tmp_path / "cosigned"
    args = ["--witness-key", str(wkey), "--state", str(state), "-o", str(out)]
    assert _invoke(log.app, "witness", *args, "--home", str(home))[0] == 0
    code, res = _invoke(
        log.app,
        "checkpoint",
        "--home",
        str(home),
        "--add-cosignatures",
        str(out),
        "--witness",
        wvkey,
        "--json",
    )
    assert code == 0 and json.loads(res)["cosignatures_added"] == 1
    _invoke(log.app, "prove", "0", "--home", str(home), "-o", str(tmp_path / "p"))
    code, res = _invoke(
        log.app,
        "verify-proof",
        str(tmp_path / "p"),
        "--home",
        str(home),
        "--witness",
        wvkey,
        "--min-witnesses",
        "1",
    )
    assert code == 0, res
    _invoke(log.app, "append", "--home", str(home), "--checkpoint", input=_entry(1))
    assert _invoke(log.app, "witness", *args, "--home", str(home))[0] == 0
    # History rewritten and re-signed by the operator: the witness refuses to cosign.
    for name in ("entries.log", "entries.idx", "checkpoint"):
        (home / "tlog" / name).unlink()
    (home / "log" / "checkpoint").unlink()  # else the log refuses to re-sign a rewrite
    shutil.rmtree(home / "tlog" / "hashes")
    _invoke(
        log.app,
        "append",
        "--home",
        str(home),
        "--checkpoint",
        input="[" + ",".join(_entry(i) for i in (9, 1, 2)) + "]",
    )
    code, res = _invoke(log.app, "witness", *args, "--home", str(home))
    assert code == 9, res


def test_status(tmp_path: Path) -> None:
    home = str(tmp_path)
    _invoke(log.app, "append", "--home", home, "--checkpoint", input=_entry(0))
    _invoke(log.app, "append", "--home", home, input=_entry(1))
    code, out = _invoke(log.app, "status", "--home", home, "--json")
    assert code == 0, out
    info = json.loads(out)
    assert info["entries"] == 2 and info["checkpoint"]["size"] == 1
    code, out = _invoke(log.app, "status", "--home", home)
    assert code == 0 and "size 1" in out
