"""Finding 10: the operator's commands and every writer refuse a log whose files were
altered, and sign nothing over it (a changed record, a rewrite with a valid checksum, a
dropped record, consistently rewritten hash files, a deleted private checkpoint)."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediaproof.cli import log as log_cli
from mediaproof.transparency import entries as E
from mediaproof.transparency.errors import LogError
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.merkle import HASH_SIZE, leaf_hash
from mediaproof.transparency.store import MAGIC

ORIGIN = "tamper.example/log"
N = 300  # more than one tile: index 5 is in a full tile, 280 in the partial tail tile
runner = CliRunner()


def _entry(i: int) -> bytes:
    sha = hashlib.sha256(b"%d" % i).hexdigest()
    return E.alibi_recorded(content_sha256=sha, time="2026-01-01T00:00:00Z").canonical


def _records(payloads: list[bytes]) -> bytes:
    out = bytearray(MAGIC)
    for p in payloads:
        out += struct.pack(">II", len(p), zlib.crc32(p)) + p
    return bytes(out)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with TransparencyLog.open(tmp_path, origin=ORIGIN) as log:
        log.append_many([_entry(i) for i in range(N)])
        log.checkpoint()
    return tmp_path


def _offset(home: Path, i: int) -> int:
    idx = (home / "tlog" / "entries.idx").read_bytes()
    return int(struct.unpack(">Q", idx[8 * i : 8 * i + 8])[0])


def changed_record(i: int) -> Callable[[Path], None]:
    def edit(home: Path) -> None:  # one byte of the payload, checksum left as it was
        path = home / "tlog" / "entries.log"
        data = bytearray(path.read_bytes())
        data[_offset(home, i) + 8 + 20] ^= 0x01
        path.write_bytes(bytes(data))

    return edit


def rewritten_record(i: int) -> Callable[[Path], None]:
    def edit(home: Path) -> None:  # an insider's rewrite: same length, valid checksum
        payloads = [_entry(k) for k in range(N)]
        payloads[i] = _entry(10_000 + i)
        assert len(payloads[i]) == len(_entry(i))
        (home / "tlog" / "entries.log").write_bytes(_records(payloads))

    return edit


def dropped_record(i: int) -> Callable[[Path], None]:
    def edit(home: Path) -> None:
        payloads = [_entry(k) for k in range(N)]
        del payloads[i]
        (home / "tlog" / "entries.log").write_bytes(_records(payloads))

    return edit


def rewritten_with_leaf_hash(i: int) -> Callable[[Path], None]:
    """The rewrite plus the matching level-0 hash: caught one level up."""

    def edit(home: Path) -> None:
        rewritten_record(i)(home)
        path = home / "tlog" / "hashes" / "00.bin"
        data = bytearray(path.read_bytes())
        data[i * HASH_SIZE : (i + 1) * HASH_SIZE] = leaf_hash(_entry(10_000 + i))
        path.write_bytes(bytes(data))

    return edit


EDITS = {
    "changed-old": changed_record(5),
    "changed-tail": changed_record(280),
    "changed-last": changed_record(N - 1),
    "rewrite-old": rewritten_record(5),
    "rewrite-tail": rewritten_record(280),
    "rewrite-last": rewritten_record(N - 1),
    "dropped-old": dropped_record(5),
    "dropped-tail": dropped_record(290),
    "rewrite-and-leaf-hash-tail": rewritten_with_leaf_hash(281),
}


def _snapshot(home: Path) -> dict[str, bytes]:
    files = [
        home / "tlog" / "entries.log",
        home / "tlog" / "checkpoint",
        home / "log" / "checkpoint",
        *sorted((home / "log" / "tile").rglob("*")),
    ]
    return {str(p.relative_to(home)): p.read_bytes() for p in files if p.is_file()}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("command", ["status", "append", "checkpoint"])
def test_operator_commands_refuse_an_altered_log(home: Path, edit: str, command: str) -> None:
    EDITS[edit](home)
    before = _snapshot(home)
    args = [command, "--home", str(home), "--json"]
    extra = json.dumps({"type": "appeal.filed", "appeal_id": "ap-1", "case_id": "c-1"})
    res = runner.invoke(
        log_cli.app, [*args, "--checkpoint"] if command == "append" else args, input=extra
    )
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code == 10, res.stdout
    err = json.loads(res.stdout)["error"]
    assert err["code"] == "log"
    assert any(w in err["message"] for w in ("entry", "record", "hash", "checkpoint")), err
    # nothing was cut, appended, signed or published
    assert _snapshot(home) == before


@pytest.mark.parametrize(
    "edit",
    [
        "changed-tail",
        "changed-last",
        "rewrite-tail",
        "rewrite-last",
        "dropped-tail",
        "rewrite-and-leaf-hash-tail",
    ],
)
def test_every_writer_checks_the_tail_it_extends(home: Path, edit: str) -> None:
    """Services open with the cheap tail check: what a new checkpoint republishes."""
    EDITS[edit](home)
    before = _snapshot(home)
    with pytest.raises(LogError):
        TransparencyLog.open(home, lock_timeout=1.0)
    assert _snapshot(home) == before


def test_an_intact_log_still_opens_and_extends(home: Path) -> None:
    res = runner.invoke(log_cli.app, ["status", "--home", str(home), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["entries"] == N
    with TransparencyLog.open(home) as log:
        log.append(_entry(N))
        assert log.checkpoint().checkpoint.size == N + 1


def test_a_deleted_private_checkpoint_does_not_let_a_rewrite_be_signed(home: Path) -> None:
    (home / "tlog" / "checkpoint").unlink()
    rewritten_record(5)(home)
    with pytest.raises(LogError, match="does not match"):
        TransparencyLog.open(home, verify="full")


def test_status_checks_every_entry_while_a_service_holds_the_log(home: Path) -> None:
    rewritten_record(5)(home)
    # the service holds the writer lock: status falls back to a read-only open
    with open(home / "tlog" / "lock", "rb") as held:
        import fcntl

        fcntl.flock(held, fcntl.LOCK_EX)
        res = runner.invoke(log_cli.app, ["status", "--home", str(home), "--json"])
    assert res.exit_code == 10, res.stdout
    assert "entry 5" in json.loads(res.stdout)["error"]["message"]
