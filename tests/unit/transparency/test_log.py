"""TransparencyLog: append, checkpoints, proofs, recovery, and tamper detection by auditors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from mediaproof.transparency import entries as E
from mediaproof.transparency.checkpoint import cosign
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.errors import CheckpointError, EntryError, LogError, ProofError
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.merkle import MemoryTree, leaf_hash
from mediaproof.transparency.note import CosignatureSigner, Ed25519Signer, Ed25519Verifier
from mediaproof.transparency.proof import TlogProof, verify_tlog_proof
from mediaproof.transparency.store import MAGIC
from mediaproof.transparency.tiles import TILE_WIDTH

ORIGIN = "test.example/log"


def _sha(i: int) -> str:
    return hashlib.sha256(b"%d" % i).hexdigest()


def _entry(i: int) -> E.Entry:
    return E.alibi_recorded(content_sha256=_sha(i), time="2026-01-01T00:00:00Z")


def _fill(home: Path, n: int, start: int = 0) -> None:
    with TransparencyLog.open(home, origin=ORIGIN) as log:
        log.append_many([_entry(i) for i in range(start, start + n)])
        log.checkpoint()


def test_append_reopen_and_proofs(tmp_path: Path) -> None:
    with TransparencyLog.open(tmp_path, origin=ORIGIN) as log:
        assert log.append(_entry(0)) == 0
        assert log.append_many([_entry(i) for i in range(1, 600)]) == list(range(1, 600))
        vc = log.checkpoint()
        assert vc.checkpoint.size == 600
        ref = MemoryTree([leaf_hash(_entry(i).canonical) for i in range(600)])
        assert vc.checkpoint.root == ref.root()
        assert log.prove_inclusion(321).hashes == tuple(ref.inclusion_proof(321))
        assert log.prove_consistency(77) == ref.consistency_proof(77)
        vkey = log.vkey
    with TransparencyLog.open(tmp_path) as log:
        assert log.size == 600
        assert log.entry(599) == _entry(599).canonical
        log.append(_entry(600))
        proof = log.tlog_proof(600)  # signs a new checkpoint covering 600
    res = verify_tlog_proof(proof.encode(), Ed25519Verifier.from_vkey(vkey))
    assert res.checkpoint.checkpoint.size == 601
    assert res.entry == _entry(600).canonical


def test_only_valid_entries_get_in(tmp_path: Path) -> None:
    with TransparencyLog.open(tmp_path, origin=ORIGIN) as log:
        with pytest.raises(EntryError):
            log.append(
                {
                    "v": 1,
                    "type": "alibi.recorded",
                    "time": "2026-01-01T00:00:00Z",
                    "content_sha256": _sha(1),
                    "email": "a@b.org",
                }
            )
        with pytest.raises(EntryError):
            log.append_many([_entry(1), {"type": "nope"}])
        assert log.size == 0  # a batch is validated as a whole before anything is written


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with TransparencyLog.open(tmp_path, origin=ORIGIN), pytest.raises(LogError, match="another"):
        TransparencyLog.open(tmp_path, lock_timeout=0.05)
    # A writer that waits gets the log once the other one closes it.
    first = TransparencyLog.open(tmp_path)
    threading.Timer(0.1, first.close).start()
    with TransparencyLog.open(tmp_path, lock_timeout=5) as second:
        assert second.append(_entry(1)) == 0


def test_origin_cannot_change(tmp_path: Path) -> None:
    _fill(tmp_path, 1)
    with pytest.raises(LogError, match="origin"):
        TransparencyLog.open(tmp_path, origin="other.example/log")


def test_static_tiles_are_published_and_audit_passes(tmp_path: Path) -> None:
    _fill(tmp_path, 700)
    pub = tmp_path / "log"
    assert (pub / "tile/0/000").stat().st_size == 32 * TILE_WIDTH
    assert (pub / "tile/0/002.p/188").stat().st_size == 32 * 188
    assert (pub / "tile/1/000.p/2").exists()
    assert (pub / "tile/entries/002.p/188").exists()
    key = Ed25519Verifier.from_vkey((pub / "log.vkey").read_text())
    client = LogClient(pub, key)
    pinned = client.latest().checkpoint
    _fill(tmp_path, 300, start=700)
    # The full tile replaced its partial versions.
    assert (pub / "tile/0/002").exists() and not (pub / "tile/0/002.p").exists()
    report = client.audit(pinned, full=True)
    assert (report.old_size, report.new_size, report.entries_checked) == (700, 1000, 1000)
    assert report.invalid_entries == []


def test_torn_tail_is_cut_and_acknowledged_entries_kept(tmp_path: Path) -> None:
    _fill(tmp_path, 10)
    state = tmp_path / "tlog"
    good = (state / "entries.log").read_bytes()
    for tail in [b"\x00\x00", b"\x00\x00\x00\x40\x12\x34\x56\x78{half", b"\xff" * 9]:
        with (state / "entries.log").open("ab") as f:
            f.write(tail)
        with TransparencyLog.open(tmp_path) as log:
            assert log.size == 10
            assert log._store.recovered_bytes == len(tail)
            assert [log.entry(i) for i in range(10)] == [_entry(i).canonical for i in range(10)]
        assert (state / "entries.log").read_bytes() == good


def test_derived_files_are_rebuilt(tmp_path: Path) -> None:
    _fill(tmp_path, 300)
    state = tmp_path / "tlog"
    with TransparencyLog.open(tmp_path) as log:
        root = log.root()
    shutil.rmtree(state / "hashes")
    (state / "entries.idx").write_bytes(b"\0" * 5)
    with TransparencyLog.open(tmp_path) as log:
        assert log.size == 300
        assert log.root() == root
        assert log.prove_inclusion(299).size == 300


def test_lost_acknowledged_entries_are_detected(tmp_path: Path) -> None:
    _fill(tmp_path, 20)
    state = tmp_path / "tlog"
    data = (state / "entries.log").read_bytes()
    (state / "entries.log").write_bytes(data[: len(data) - 40])  # loses checkpointed entries
    with pytest.raises(LogError, match="missing"):
        TransparencyLog.open(tmp_path)


def test_rewritten_store_refuses_to_open_or_sign(tmp_path: Path) -> None:
    _fill(tmp_path, 20)
    state = tmp_path / "tlog"
    # Alter an old entry *and* fix its checksum, as an insider rewriting history would.
    records = [_entry(i).canonical for i in range(20)]
    records[3] = _entry(999).canonical
    out = bytearray(MAGIC)
    for r in records:
        out += struct.pack(">II", len(r), zlib.crc32(r)) + r
    (state / "entries.log").write_bytes(bytes(out))
    shutil.rmtree(state / "hashes")
    os.remove(state / "entries.idx")
    with pytest.raises(LogError, match="does not match the signed checkpoint"):
        TransparencyLog.open(tmp_path)


def _forked_copy(src: Path, dst: Path, edit: str) -> None:
    """An insider with the log key rebuilds the log with history changed, and re-signs."""
    shutil.copytree(src / "keys", dst / "keys")
    shutil.copytree(src / "tlog", dst / "tlog", ignore=shutil.ignore_patterns("*"))
    (dst / "tlog").mkdir(exist_ok=True)
    shutil.copy(src / "tlog" / "config.json", dst / "tlog" / "config.json")
    items = [_entry(i) for i in range(50)]
    if edit == "alter":
        items[10] = _entry(1000)
    elif edit == "drop":
        del items[10]
    elif edit == "reorder":
        items[10], items[11] = items[11], items[10]
    elif edit == "insert":
        items.insert(10, _entry(1000))
    with TransparencyLog.open(dst) as log:
        log.append_many(items)
        log.append_many([_entry(i) for i in range(50, 60)])
        log.checkpoint()


@pytest.mark.parametrize("edit", ["alter", "drop", "reorder", "insert"])
def test_pinned_auditor_detects_rewritten_history(tmp_path: Path, edit: str) -> None:
    honest = tmp_path / "honest"
    _fill(honest, 50)
    key = Ed25519Verifier.from_vkey((honest / "log" / "log.vkey").read_text())
    pinned = LogClient(honest / "log", key).latest().checkpoint
    forked = tmp_path / "forked"
    _forked_copy(honest, forked, edit)
    client = LogClient(forked / "log", key)
    assert client.latest().checkpoint.size in (59, 60, 61)  # validly signed by the same key
    with pytest.raises(ProofError):
        client.audit(pinned)
    # An old inclusion proof does not verify against the forked tree either.
    with TransparencyLog.open(honest) as log:
        old_proof = log.tlog_proof(10)
    with pytest.raises(ProofError):
        client.check_inclusion(old_proof.extra or b"", 10, client.latest().checkpoint)


def test_tampered_proof_bundles_fail(tmp_path: Path) -> None:
    _fill(tmp_path, 40)
    with TransparencyLog.open(tmp_path) as log:
        proof = log.tlog_proof(7)
        key = log.verifier
    verify_tlog_proof(proof.encode(), key)
    altered_entry = TlogProof(proof.index, proof.hashes, proof.checkpoint, _entry(8).canonical)
    wrong_index = TlogProof(8, proof.hashes, proof.checkpoint, proof.extra)
    bad_hash = TlogProof(7, (b"\0" * 32, *proof.hashes[1:]), proof.checkpoint, proof.extra)
    for bad in (altered_entry, wrong_index, bad_hash):
        with pytest.raises(ProofError):
            verify_tlog_proof(bad.encode(), key)
    with pytest.raises(ProofError):
        verify_tlog_proof(proof.encode(), key, entry=_entry(8).canonical)
    with pytest.raises(CheckpointError):
        verify_tlog_proof(proof.encode(), Ed25519Signer.generate(ORIGIN).verifier)
    forged_cp = proof.checkpoint.replace(b"\n40\n", b"\n41\n")
    with pytest.raises(CheckpointError):
        verify_tlog_proof(TlogProof(7, proof.hashes, forged_cp, proof.extra).encode(), key)


def test_witness_cosignatures_are_merged_and_carried_in_proofs(tmp_path: Path) -> None:
    _fill(tmp_path, 5)
    w = CosignatureSigner.generate("witness.example/w1")
    stranger = CosignatureSigner.generate("witness.example/w2")
    with TransparencyLog.open(tmp_path) as log:
        latest = log.latest_checkpoint()
        assert latest is not None
        cosigned = cosign(cosign(latest.note, w), stranger)
        assert log.add_cosignatures(cosigned.encode(), [w.verifier]) == 1  # stranger ignored
        assert log.add_cosignatures(cosigned.encode(), [w.verifier]) == 0
        proof = log.tlog_proof(2)
        key = log.verifier
    res = verify_tlog_proof(proof.encode(), key, witnesses=[w.verifier], min_witnesses=1)
    assert [c.name for c in res.checkpoint.cosignatures] == [w.name]
    served = (tmp_path / "log" / "checkpoint").read_bytes()
    assert w.name.encode() in served and stranger.name.encode() not in served
    # A cosignature over some other checkpoint is refused.
    with TransparencyLog.open(tmp_path) as log:
        log.append(_entry(99))
        log.checkpoint()
        with pytest.raises(CheckpointError):
            log.add_cosignatures(cosigned.encode(), [w.verifier])


def test_readonly_open_proves_without_the_lock(tmp_path: Path) -> None:
    _fill(tmp_path, 30)
    with TransparencyLog.open(tmp_path) as writer:
        writer.append(_entry(30))
        with TransparencyLog.open(tmp_path, readonly=True) as reader:
            p = reader.prove_inclusion(5)
            assert p.size == 30  # bounded by the last signed checkpoint
            assert reader.size == 30 and writer.size == 31
            with pytest.raises(LogError):
                reader.prove_inclusion(30)
            with pytest.raises(LogError):
                reader.append(_entry(31))
    assert json.loads((tmp_path / "tlog" / "config.json").read_text())["origin"] == ORIGIN


def test_verifier_modules_do_not_load_the_store(tmp_path: Path) -> None:
    """A third party verifies with the client modules only: no store, no database."""
    _fill(tmp_path, 3)
    with TransparencyLog.open(tmp_path) as log:
        (tmp_path / "p.tlog-proof").write_bytes(log.tlog_proof(1).encode())
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mediaproof.transparency.note import Ed25519Verifier\n"
        "from mediaproof.transparency.proof import verify_tlog_proof\n"
        "import mediaproof.transparency.client\n"
        f"home = Path({str(tmp_path)!r})\n"
        "key = Ed25519Verifier.from_vkey((home / 'log' / 'log.vkey').read_text())\n"
        "verify_tlog_proof((home / 'p.tlog-proof').read_bytes(), key)\n"
        "bad = [m for m in sys.modules if m.endswith(('.store', '.log')) and 'mediaproof' in m]\n"
        "bad += [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'typer')]\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_client_falls_back_to_full_tiles_when_partials_are_gone(tmp_path: Path) -> None:
    _fill(tmp_path, 700)
    pub = tmp_path / "log"
    key = Ed25519Verifier.from_vkey((pub / "log.vkey").read_text())
    client = LogClient(pub, key)
    old = client.latest().checkpoint  # size 700: tile 0/002 is partial (188)
    _fill(tmp_path, 300, start=700)  # the log grows; 0/002.p/188 is deleted
    assert not (pub / "tile/0/002.p").exists()
    proof = client.check_inclusion(_entry(600).canonical, 600, old)
    with TransparencyLog.open(tmp_path) as log:
        assert tuple(proof) == log.prove_inclusion(600, 700).hashes


def test_a_lost_key_is_never_silently_replaced(tmp_path: Path) -> None:
    _fill(tmp_path, 3)
    published = (tmp_path / "log" / "log.vkey").read_text()
    (tmp_path / "keys" / "tlog-signer.key").unlink()
    with pytest.raises(LogError, match="signing key"):
        TransparencyLog.open(tmp_path)
    assert (tmp_path / "log" / "log.vkey").read_text() == published
    assert not (tmp_path / "keys" / "tlog-signer.key").exists()


def test_an_interrupted_publish_is_finished_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(tmp_path, 300)
    pub = tmp_path / "log"
    key = Ed25519Verifier.from_vkey((pub / "log.vkey").read_text())
    pinned = LogClient(pub, key).latest().checkpoint

    def crash(self: TransparencyLog, old_size: int, vc: object) -> None:
        raise KeyboardInterrupt  # the process dies after signing, before publishing

    with TransparencyLog.open(tmp_path) as log:
        log.append_many([_entry(i) for i in range(300, 600)])
        monkeypatch.setattr(TransparencyLog, "_publish", crash)
        with pytest.raises(KeyboardInterrupt):
            log.checkpoint()
        monkeypatch.undo()
    assert LogClient(pub, key).latest().checkpoint.size == 300  # still the old one served
    with TransparencyLog.open(tmp_path):
        pass
    client = LogClient(pub, key)
    assert client.latest().checkpoint.size == 600
    assert client.audit(pinned, full=True).entries_checked == 600


def test_audit_of_new_entries_only(tmp_path: Path) -> None:
    _fill(tmp_path, 700)
    pub = tmp_path / "log"
    key = Ed25519Verifier.from_vkey((pub / "log.vkey").read_text())
    client = LogClient(pub, key)
    pinned = client.latest().checkpoint
    _fill(tmp_path, 300, start=700)
    report = client.audit(pinned, new_entries=True)
    assert report.entries_checked == 300
    # A served entry changed after the fact no longer matches its leaf hash.
    bundle = pub / "tile/entries/003.p/232"
    data = bundle.read_bytes()
    bundle.write_bytes(data.replace(_sha(800).encode(), _sha(1800).encode()))
    with pytest.raises(ProofError, match="entry 800"):
        client.audit(pinned, new_entries=True)


def test_record_appends_and_checkpoints_across_processes_taking_turns(tmp_path: Path) -> None:
    from mediaproof.transparency.log import record

    with TransparencyLog.open(tmp_path, origin=ORIGIN) as holder:
        threading.Timer(0.2, holder.close).start()
        index, vc = record(tmp_path, _entry(0), lock_timeout=5)
    assert index == 0 and vc is not None and vc.checkpoint.size == 1
    index, vc = record(tmp_path, _entry(1), checkpoint=False)
    assert index == 1 and vc is None
