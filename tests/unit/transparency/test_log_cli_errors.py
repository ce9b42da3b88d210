"""Finding 11: every `mediaproof log` command answers missing, empty, truncated and garbage
inputs with an error message and a documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediaproof.cli import log

runner = CliRunner()


def _run(*args: object, input: str | None = None) -> tuple[int, str]:
    res = runner.invoke(log.app, [str(a) for a in args], input=input)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback from {args}: {res.exception!r}")
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    t = tmp_path_factory.mktemp("served")
    home = t / "inst"
    items = [{"type": "appeal.filed", "appeal_id": f"ap-{i}", "case_id": "c-1"} for i in range(300)]
    code, out = _run("append", "--home", home, "--checkpoint", input=json.dumps(items))
    assert code == 0, out
    proof = t / "p.tlog-proof"
    assert _run("prove", "3", "--home", home, "-o", proof)[0] == 0
    return home, (home / "log" / "log.vkey").read_text().strip(), proof


def _bad_inputs(d: Path, proof: Path) -> dict[str, Path]:
    d.mkdir(exist_ok=True)
    files = {
        "missing": d / "missing",
        "empty": d / "empty",
        "garbage": d / "garbage",
        "truncated": d / "truncated",
        "not-utf8": d / "not-utf8",
        "directory": d,
    }
    files["empty"].write_bytes(b"")
    files["garbage"].write_bytes(os.urandom(300))
    files["truncated"].write_bytes(proof.read_bytes()[:60])
    files["not-utf8"].write_bytes(b"\xff\xfe\x00abc+def")
    return files


@pytest.mark.parametrize(
    "kind", ["missing", "empty", "garbage", "truncated", "not-utf8", "directory"]
)
def test_bad_files_are_errors_not_tracebacks(
    served: tuple[Path, str, Path], tmp_path: Path, kind: str
) -> None:
    home, vkey, proof = served
    f = _bad_inputs(tmp_path / "in", proof)[kind]
    cases = [
        ("verify-proof", f, "--key", vkey),
        ("verify-proof", proof, "--key", vkey, "--entry", f),
        ("verify-proof", proof, "--key", f),
        ("verify-proof", proof, "--key", vkey, "--witness", f, "--min-witnesses", "1"),
        ("verify-consistency", f, "--home", home),
        ("audit", "--pin", f, "--home", home, "--no-update"),
        ("append", f, "--home", home),
        ("checkpoint", "--add-cosignatures", f, "--witness", vkey, "--home", home),
        (
            "witness",
            "--witness-key",
            f,
            "--state",
            tmp_path / "s",
            "-o",
            tmp_path / "o",
            "--home",
            home,
        ),
    ]
    for args in cases:
        if kind == "missing" and args[0] == "audit":
            continue  # no pin yet is the documented first use
        code, out = _run(*args)
        assert code in (2, 9, 10), (args, code, out)
        assert "error:" in out, (args, out)
    if kind == "missing":
        code, out = _run("verify-proof", f, "--key", vkey)
        flat = " ".join(out.split())  # rich wraps long lines
        assert code == 2 and "cannot read proof" in flat and "No such file" in flat, out


@pytest.mark.parametrize("gone", ["tile/entries", "tile/0", "tile"])
def test_audit_of_an_incomplete_served_log(
    served: tuple[Path, str, Path], tmp_path: Path, gone: str
) -> None:
    home, vkey, _ = served
    copy = tmp_path / "copy"
    shutil.copytree(home / "log", copy)
    shutil.rmtree(copy / gone)
    code, out = _run("audit", "--pin", tmp_path / "pin", "--full", "--log", copy, "--key", vkey)
    assert code == 9 and "cannot read tile/" in out, out
    assert not (tmp_path / "pin").exists()  # a failed audit pins nothing


def test_unwritable_outputs_and_missing_logs(
    served: tuple[Path, str, Path], tmp_path: Path
) -> None:
    home, vkey, _ = served
    nodir = tmp_path / "no" / "such"
    for args, code_ in [
        (("prove", "3", "--home", home, "-o", nodir / "x"), 2),
        (("witness-keygen", "w.example/w", "-o", nodir / "k"), 2),
        (("audit", "--pin", nodir / "pin", "--home", home), 2),
        (("audit", "--pin", tmp_path / "p", "--log", tmp_path / "nolog", "--key", vkey), 9),
        (("key", "--home", tmp_path / "nothing-here"), 10),
        (("prove", "9999", "--home", home), 9),
    ]:
        code, out = _run(*args)
        assert code == code_, (args, code, out)


@pytest.mark.parametrize("damaged", ["tlog/config.json", "keys/tlog-signer.key", "tlog/checkpoint"])
def test_damaged_state_files_are_named(
    served: tuple[Path, str, Path], tmp_path: Path, damaged: str
) -> None:
    home, _, _ = served
    copy = tmp_path / "inst"
    shutil.copytree(home, copy)
    (copy / damaged).write_bytes(b"garbage{")
    for cmd in ("status", "checkpoint", "key"):
        code, out = _run(cmd, "--home", copy)
        if cmd == "key" and damaged == "keys/tlog-signer.key":
            assert code == 0  # reads only the public key
        else:
            assert code in (9, 10) and "error:" in out, (cmd, out)


def test_deeply_nested_json_is_refused_not_a_crash(tmp_path: Path) -> None:
    """Found by the fuzzer (tests/fuzz/regressions/entries/): json.loads recursing."""
    code, out = _run("append", "--home", tmp_path / "inst", input="[" * 50000)
    assert code == 2 and "nested too deeply" in out
