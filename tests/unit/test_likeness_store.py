"""Biometric data at rest: sealed under the instance key, gone when the enrolment goes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mediaproof.likeness.crypto import load_or_create_key
from mediaproof.likeness.errors import LikenessKeyError
from mediaproof.likeness.store import LikenessStore, SqliteLikenessStore
from mediaproof.testing.likeness_store_contract import NAME, LikenessStoreContract, alert, enrolment


class TestSqliteLikenessStore(LikenessStoreContract):
    def make(self, home: Path) -> LikenessStore:
        return SqliteLikenessStore.open(home)


def test_key_file_is_created_private(tmp_path: Path) -> None:
    load_or_create_key(tmp_path / "keys")
    key = tmp_path / "keys" / "likeness.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert len(key.read_bytes()) == 32


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_key(tmp_path / "keys")
    os.chmod(tmp_path / "keys" / "likeness.key", 0o644)
    with pytest.raises(LikenessKeyError, match="can be read by other users"):
        load_or_create_key(tmp_path / "keys")


def test_nothing_about_the_person_is_stored_in_clear(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    e = enrolment()
    store.add_enrolment(e, {"cd" * 32: b"RAW-SAMPLE-BYTES"})
    store.add_alert(alert(e.id))
    store.save_report("r1", "2026-01-02", {"who": NAME}, [e.id])
    store.close()
    db = tmp_path / "likeness" / "likeness.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    raw = db.read_bytes()
    assert NAME.encode() not in raw
    assert b"RAW-SAMPLE-BYTES" not in raw
    assert b"consent by e-mail" not in raw
    assert e.samples[0].vector.astype("<f4").tobytes()[:16] not in raw


def test_another_key_cannot_open_the_data(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    store.add_enrolment(enrolment(), {})
    store.close()
    (tmp_path / "keys" / "likeness.key").write_bytes(os.urandom(32))
    with pytest.raises(LikenessKeyError, match="wrong instance key"):
        SqliteLikenessStore.open(tmp_path).get_enrolment("e1")


def test_sealed_rows_cannot_be_swapped(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    store.add_enrolment(enrolment("e1"), {})
    store.add_enrolment(enrolment("e2", "Other"), {})
    db = store._db
    p2 = db.execute("SELECT payload FROM enrolments WHERE id='e2'").fetchone()[0]
    db.execute("UPDATE enrolments SET payload=? WHERE id='e1'", (p2,))
    with pytest.raises(LikenessKeyError):
        store.get_enrolment("e1")


def test_deleted_ciphertext_is_not_left_in_the_file(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    store.add_enrolment(enrolment(), {"cd" * 32: b"RAW"})
    store.add_enrolment(enrolment("e2", "Other"), {})
    sealed = store._db.execute("SELECT payload FROM enrolments WHERE id='e1'").fetchone()[0]
    store.delete_enrolment("e1")
    store.close()
    raw = (tmp_path / "likeness" / "likeness.db").read_bytes()
    assert sealed[20:60] not in raw


def test_digest_ignores_recalibration_but_not_content() -> None:
    from mediaproof.likeness.models import Modality, Threshold

    e = enrolment()
    d = e.digest()
    e.thresholds[Modality.FACE] = Threshold(0.91, "floor")
    assert e.digest() == d
    e.name = "Someone Else"
    assert e.digest() != d
