"""Crypto-shredding of likeness data, on SQLite and PostgreSQL: rows copied out before a
deletion (a backup, a dead tuple, a WAL archive) can no longer be opened with anything the
instance still has; a crash between destroying the key and deleting the rows is finished
on the next open; rows sealed under the instance key by older versions still open and are
re-sealed under per-enrolment keys."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from mediaproof.config import Settings
from mediaproof.errors import NotFoundError
from mediaproof.likeness.crypto import KEYRING_DIR, Keyring, SealingKey
from mediaproof.likeness.errors import LikenessKeyError
from mediaproof.services import likeness as svc
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.likeness_store import SqlLikenessStore
from mediaproof.storage.sql.tables_likeness import (
    LikenessAlertRow,
    LikenessEnrolmentRow,
    LikenessReportRow,
    LikenessReportSubjectRow,
    LikenessSampleRow,
)
from mediaproof.testing.likeness_store_contract import alert, enrolment
from mediaproof.transparency.log import TransparencyLog

TABLES: list[Any] = [
    LikenessEnrolmentRow,
    LikenessSampleRow,
    LikenessAlertRow,
    LikenessReportRow,
    LikenessReportSubjectRow,
]


@pytest.fixture
def inst(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    svc._MAINTAINED.clear()
    i = Instance(Settings(home=tmp_path / "home", database_url=db_url))
    yield i
    i.close()


def _store(inst: Instance) -> SqlLikenessStore:
    store = svc.open_store(inst)
    assert isinstance(store, SqlLikenessStore)
    return store


def _backup(inst: Instance) -> dict[str, list[dict[str, Any]]]:
    """Every likeness row, copied into memory (what a backup or a dead tuple keeps)."""
    with inst.db.session() as s:
        return {
            t.__tablename__: [dict(r._mapping) for r in s.execute(select(t.__table__)).all()]
            for t in TABLES
        }


def _restore(inst: Instance, backup: dict[str, list[dict[str, Any]]]) -> None:
    """Put the backed-up rows back where they were missing (restoring a backup)."""
    with inst.db.session() as s:
        for t in TABLES:
            have = {tuple(r) for r in s.execute(select(*t.__table__.primary_key.columns)).all()}
            pk = [c.name for c in t.__table__.primary_key.columns]
            for row in backup[t.__tablename__]:
                if tuple(row[c] for c in pk) not in have:
                    s.execute(insert(t.__table__).values(**row))


def _every_key(inst: Instance) -> list[SealingKey]:
    """Everything this instance still has: its instance key and every data key left."""
    ring = Keyring.open(inst.keys_dir)
    keys = [ring.instance]
    for eid in ring.key_ids():
        raw = ring.raw(eid)
        assert raw is not None
        keys += [SealingKey(raw, version=v) for v in (b"\x01", b"\x02", b"\x03")]
    return keys


def _person(store: SqlLikenessStore) -> None:
    store.add_enrolment(enrolment("e1"), {"cd" * 32: b"RAW-SAMPLE-BYTES"})
    store.add_enrolment(enrolment("e2", "Other Person"), {})
    store.add_alert(alert("e1", "a1"))
    store.add_alert(alert("e2", "a2"))
    store.save_report("r1", "2026-01-02", {"names": ["e1", "e2"]}, ["e1", "e2"])
    store.save_report("r2", "2026-01-02", {"names": ["e2"]}, ["e2"])


def test_rows_copied_before_deletion_cannot_be_opened_afterwards(inst: Instance) -> None:
    store = _store(inst)
    _person(store)
    backup = _backup(inst)
    key_file = inst.keys_dir / KEYRING_DIR / (b"e1".hex() + ".key")
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    assert b"e1" not in key_file.read_bytes()  # wrapped, not the bare key
    assert {r["payload"][:1] for r in backup["likeness_enrolments"]} == {b"\x02"}
    assert {r["payload"][:1] for r in backup["likeness_reports"]} == {b"\x03"}

    store.delete_enrolment("e1")
    assert not key_file.exists()
    assert Keyring.open(inst.keys_dir).tombstones() == {}

    # every ciphertext about e1 from the backup, tried under every key the instance has
    about_e1 = [
        (r["payload"], f"enrolment:{r['id']}")
        for r in backup["likeness_enrolments"]
        if r["id"] == "e1"
    ]
    about_e1 += [(r["payload"], f"sample:e1:{r['sha256']}") for r in backup["likeness_samples"]]
    about_e1 += [
        (r["payload"], f"alert:{r['id']}")
        for r in backup["likeness_alerts"]
        if r["enrolment_id"] == "e1"
    ]
    assert len(about_e1) == 3
    for blob, aad in about_e1:
        for key in _every_key(inst):
            with pytest.raises(LikenessKeyError):
                key.open(bytes(blob), aad=aad)

    # restoring the whole backup brings back rows that open to nothing
    _restore(inst, backup)
    store = _store(inst)
    with pytest.raises(NotFoundError):
        store.get_enrolment("e1")
    assert [e.id for e in store.list_enrolments()] == ["e2"]
    assert store.kept_samples("e1") == {}
    assert [a.id for a in store.list_alerts()] == ["a2"]
    with pytest.raises(NotFoundError):
        store.get_report("r1")  # named e1: sealed under a key derived from e1's too
    assert store.get_report("r2") == {"names": ["e2"]}  # the other person is untouched
    assert store.kept_samples("e2") == {}


def test_a_crash_after_the_key_is_gone_is_finished_on_the_next_open(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(inst)
    _person(store)
    digest = store.get_enrolment("e1").digest()

    def crash(_eid: str) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(store, "_delete_rows", crash)
    with pytest.raises(KeyboardInterrupt):
        store.delete_enrolment("e1")
    monkeypatch.undo()
    # as if the crash also came between overwriting the key file and unlinking it
    ring = Keyring.open(inst.keys_dir)
    ring._path("e1").write_bytes(os.urandom(61))
    # the rows are still there, but the key is gone: they read as deleted already
    assert len(_backup(inst)["likeness_enrolments"]) == 2
    assert [e.id for e in store.list_enrolments()] == ["e2"]
    with pytest.raises(NotFoundError):
        store.get_enrolment("e1")
    with pytest.raises(NotFoundError):
        store.delete_enrolment("e1")

    done = svc.maintain(inst)  # what the next open_store does when a tombstone is left
    assert done.finished_deletions == ["e1"]
    rows = _backup(inst)
    assert [r["id"] for r in rows["likeness_enrolments"]] == ["e2"]
    assert [r["id"] for r in rows["likeness_alerts"]] == ["a2"]
    assert rows["likeness_samples"] == []
    assert [r["id"] for r in rows["likeness_reports"]] == ["r2"]
    assert ring.tombstones() == {} and not ring._path("e1").exists()
    assert svc.maintain(inst).finished_deletions == []  # idempotent
    # the withdrawal the crash kept from being logged is logged now, once
    with TransparencyLog.open(inst.home, readonly=True) as log:
        logged = [json.loads(log.entry(i)) for i in range(log.size)]
    assert [(d["type"], d["subject_id"], d["enrolment_sha256"]) for d in logged] == [
        ("subject.withdrawn", "likeness:e1", digest)
    ]


def test_a_key_left_without_rows_is_swept_and_a_lost_keys_folder_is_not_a_deletion(
    inst: Instance,
) -> None:
    store = _store(inst)
    _person(store)
    ring = Keyring.open(inst.keys_dir)
    ring.create("ghost")  # rows deleted (or never committed) but the key remains
    old = 1_000_000_000.0
    os.utime(ring._path("ghost"), (old, old))
    ring.create("fresh")  # may belong to an enrolment being written right now
    store.recover()
    assert set(ring.key_ids()) == {"e1", "e2", "fresh"}

    # a keys folder that went missing hides the data but deletes nothing
    moved = inst.keys_dir / "likeness.moved"
    (inst.keys_dir / KEYRING_DIR).rename(moved)
    assert store.list_enrolments() == []
    store.recover()
    moved.rename(inst.keys_dir / KEYRING_DIR)
    assert [e.id for e in store.list_enrolments()] == ["e1", "e2"]
    assert store.get_report("r1") == {"names": ["e1", "e2"]}


def test_a_writer_racing_a_deletion_leaves_nothing_readable(inst: Instance) -> None:
    store = _store(inst)
    _person(store)
    stale = Keyring.open(inst.keys_dir).get("e1")  # a writer got the key before deletion
    assert stale is not None
    store.delete_enrolment("e1")
    late = alert("e1", "a-late")
    with inst.db.session() as s:  # ...and writes after it
        s.execute(
            insert(LikenessAlertRow).values(
                id=late.id,
                created_at=late.created_at,
                enrolment_id="e1",
                media_sha256=late.media_sha256,
                payload=stale.seal(json.dumps(late.to_json()).encode(), aad="alert:a-late"),
            )
        )
    store.add_alert(alert("e1", "a-later"))  # after deletion: not kept at all
    store.save_report("r3", "2026-01-03", {"names": ["e1"]}, ["e1"])
    assert [a.id for a in store.list_alerts()] == ["a2"]
    with pytest.raises(NotFoundError):
        store.get_report("r3")
    store.recover()
    assert [r["id"] for r in _backup(inst)["likeness_alerts"]] == ["a2"]


def _legacy_rows(inst: Instance) -> None:
    """Rows as versions before per-enrolment keys wrote them: all under the instance key."""
    key = Keyring.open(inst.keys_dir).instance

    def seal(obj: Any, aad: str) -> bytes:
        return key.seal(json.dumps(obj, separators=(",", ":")).encode(), aad=aad)

    e1 = enrolment("e1")
    with inst.db.session() as s:
        s.execute(
            insert(LikenessEnrolmentRow).values(
                id="e1", created_at=e1.created_at, payload=seal(e1.to_json(), "enrolment:e1")
            )
        )
        s.execute(
            insert(LikenessSampleRow).values(
                enrolment_id="e1",
                sha256="cd" * 32,
                payload=key.seal(b"RAW", aad=f"sample:e1:{'cd' * 32}"),
            )
        )
        a = alert("e1", "a1")
        s.execute(
            insert(LikenessAlertRow).values(
                id="a1",
                created_at=a.created_at,
                enrolment_id="e1",
                media_sha256=a.media_sha256,
                payload=seal(a.to_json(), "alert:a1"),
            )
        )
        for rid, subjects in (("r1", ["e1"]), ("r0", [])):
            s.execute(
                insert(LikenessReportRow).values(
                    id=rid, created_at="2026-01-02", payload=seal({"id": rid}, f"report:{rid}")
                )
            )
            for eid in subjects:
                s.execute(insert(LikenessReportSubjectRow).values(report_id=rid, enrolment_id=eid))


def test_rows_under_the_instance_key_still_open_and_are_resealed_on_first_open(
    inst: Instance,
) -> None:
    bare = SqlLikenessStore(inst.db, Keyring.open(inst.keys_dir))
    _legacy_rows(inst)
    assert bare.has_legacy_rows()
    # readable as they are, before any re-sealing
    assert bare.get_enrolment("e1").name == enrolment("e1").name
    assert bare.kept_samples("e1") == {"cd" * 32: b"RAW"}
    assert [a.id for a in bare.list_alerts("e1")] == ["a1"]
    assert bare.get_report("r1") == {"id": "r1"}

    store = _store(inst)  # the first open in a process re-seals
    assert not store.has_legacy_rows()
    rows = _backup(inst)
    assert rows["likeness_enrolments"][0]["payload"][:1] == b"\x02"
    assert rows["likeness_samples"][0]["payload"][:1] == b"\x02"
    assert rows["likeness_alerts"][0]["payload"][:1] == b"\x02"
    versions = {r["id"]: r["payload"][:1] for r in rows["likeness_reports"]}
    assert versions == {"r1": b"\x03", "r0": b"\x01"}  # a report naming nobody stays put
    assert store.get_enrolment("e1").digest() == enrolment("e1").digest()
    assert store.kept_samples("e1") == {"cd" * 32: b"RAW"}
    assert [a.id for a in store.list_alerts("e1")] == ["a1"]
    assert store.get_report("r1") == {"id": "r1"}
    assert store.reseal_legacy() == 0  # idempotent

    # once re-sealed, deletion shreds them like any other
    store.delete_enrolment("e1")
    for blob, aad in (
        (rows["likeness_enrolments"][0]["payload"], "enrolment:e1"),
        (rows["likeness_alerts"][0]["payload"], "alert:a1"),
    ):
        for key in _every_key(inst):
            with pytest.raises(LikenessKeyError):
                key.open(bytes(blob), aad=aad)


def test_a_crash_deleting_a_not_yet_resealed_enrolment_also_reads_as_deleted(
    inst: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = SqlLikenessStore(inst.db, Keyring.open(inst.keys_dir))
    _legacy_rows(inst)
    monkeypatch.setattr(bare, "_delete_rows", lambda _eid: (_ for _ in ()).throw(OSError("cut")))
    with pytest.raises(OSError):
        bare.delete_enrolment("e1")
    monkeypatch.undo()
    with pytest.raises(NotFoundError):
        bare.get_enrolment("e1")  # under the instance key, but tombstoned
    assert bare.list_alerts() == [] and bare.kept_samples("e1") == {}
    bare.add_alert(alert("e1", "a-new"))  # nothing new is sealed for it
    assert svc.maintain(inst).finished_deletions == ["e1"]
    rows = _backup(inst)
    assert rows["likeness_enrolments"] == [] and rows["likeness_alerts"] == []
    assert [r["id"] for r in rows["likeness_reports"]] == ["r0"]  # named nobody


def test_the_maintain_command_reseals(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mediaproof.cli.likeness import app

    home = tmp_path / "home"
    i = Instance(Settings(home=home))
    try:
        _legacy_rows(i)
    finally:
        i.close()
    res = CliRunner().invoke(app, ["maintain", "--home", str(home), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"finished_deletions": [], "resealed_rows": 4}
