"""Biometric data at rest: sealed under the instance key, gone when the enrolment goes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from mediaproof.likeness.crypto import load_or_create_key
from mediaproof.likeness.errors import EnrolmentNotFound, LikenessKeyError
from mediaproof.likeness.models import (
    Enrolment,
    Modality,
    ReferenceVector,
    SampleRecord,
    normalise,
)
from mediaproof.likeness.store import Alert, SqliteLikenessStore

NAME = "Zelda Quixotic-Marchetti"  # distinctive, to search the raw file for


def _enrolment(eid: str = "e1", name: str = NAME) -> Enrolment:
    rng = np.random.default_rng(0)
    samples = [
        SampleRecord(Modality.FACE, f"{i:064x}", normalise(rng.normal(size=128))) for i in range(2)
    ]
    return Enrolment(eid, name, "2026-01-01T00:00:00+00:00", "consent by e-mail", samples)


def _alert(eid: str, aid: str = "a1") -> Alert:
    return Alert(
        aid,
        "2026-01-02T00:00:00+00:00",
        eid,
        NAME,
        "ab" * 32,
        "/drop/x.jpg",
        "r1",
        [f"x.jpg shows someone who looks like {NAME}"],
    )


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
    e = _enrolment()
    store.add_enrolment(e, {"cd" * 32: b"RAW-SAMPLE-BYTES"})
    store.add_alert(_alert(e.id))
    store.save_report("r1", "2026-01-02", {"who": NAME}, [e.id])
    store.close()
    raw = (tmp_path / "likeness" / "likeness.db").read_bytes()
    assert NAME.encode() not in raw
    assert b"RAW-SAMPLE-BYTES" not in raw
    assert e.samples[0].vector.astype("<f4").tobytes()[:16] not in raw
    # and it all comes back with the key
    store = SqliteLikenessStore.open(tmp_path)
    got = store.get_enrolment("e1")
    assert got.name == NAME and got.digest() == e.digest()
    np.testing.assert_array_equal(got.vectors(Modality.FACE)[0], e.samples[0].vector)
    assert store.kept_samples("e1") == {"cd" * 32: b"RAW-SAMPLE-BYTES"}


def test_another_key_cannot_open_the_data(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    store.add_enrolment(_enrolment(), {})
    store.close()
    (tmp_path / "keys" / "likeness.key").write_bytes(os.urandom(32))
    with pytest.raises(LikenessKeyError, match="wrong instance key"):
        SqliteLikenessStore.open(tmp_path).get_enrolment("e1")


def test_delete_removes_every_trace(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    e, other = _enrolment(), _enrolment("e2", "Other Person")
    store.add_enrolment(e, {"cd" * 32: b"RAW"})
    store.add_enrolment(other, {})
    store.add_alert(_alert(e.id))
    store.add_alert(_alert(other.id, "a2"))
    store.save_report("r1", "2026-01-02", {"x": 1}, [e.id, other.id])
    store.save_report("r2", "2026-01-02", {"x": 2}, [other.id])
    sealed = store._db.execute("SELECT payload FROM enrolments WHERE id='e1'").fetchone()[0]

    digest = store.delete_enrolment("e1")

    assert digest == e.digest()
    with pytest.raises(EnrolmentNotFound):
        store.get_enrolment("e1")
    assert store.kept_samples("e1") == {}
    assert [a.id for a in store.list_alerts()] == ["a2"]
    with pytest.raises(EnrolmentNotFound):
        store.get_report("r1")  # it named the deleted person
    assert store.get_report("r2") == {"x": 2}
    store.close()
    raw = (tmp_path / "likeness" / "likeness.db").read_bytes()
    assert sealed[20:60] not in raw  # not even the ciphertext is left in the file


def test_reference_vectors_are_replaced_per_modality(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    v = normalise(np.ones(4))
    store.replace_reference(Modality.FACE, [ReferenceVector(Modality.FACE, "a", v)] * 3)
    store.replace_reference(Modality.VOICE, [ReferenceVector(Modality.VOICE, "b", v)])
    store.replace_reference(Modality.FACE, [ReferenceVector(Modality.FACE, "c", v)])
    assert [r.label for r in store.reference(Modality.FACE)] == ["c"]
    assert [r.label for r in store.reference(Modality.VOICE)] == ["b"]


def test_seen_media_is_remembered(tmp_path: Path) -> None:
    store = SqliteLikenessStore.open(tmp_path)
    assert not store.seen("ab" * 32)
    store.mark_seen("ab" * 32, "now")
    store.close()
    assert SqliteLikenessStore.open(tmp_path).seen("ab" * 32)
