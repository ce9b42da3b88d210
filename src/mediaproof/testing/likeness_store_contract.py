"""Contract tests every :class:`~mediaproof.likeness.store.LikenessStore` must pass,
shipped so a third-party store's own tests can run them (needs pytest)::

    from mediaproof.testing.likeness_store_contract import LikenessStoreContract

    class TestMyStore(LikenessStoreContract):
        def make(self, home: Path) -> LikenessStore: ...

``make`` opens the store kept under ``home`` (again on the same home: reopens it); the
subclass then inherits this whole suite. :func:`enrolment` and :func:`alert` build
records for a store's own extra tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediaproof.errors import NotFoundError
from mediaproof.likeness.models import (
    Enrolment,
    Modality,
    ReferenceVector,
    SampleRecord,
    normalise,
)
from mediaproof.likeness.store import Alert, LikenessStore

NAME = "Zelda Quixotic-Marchetti"  # distinctive, to search raw files for


def enrolment(eid: str = "e1", name: str = NAME) -> Enrolment:
    rng = np.random.default_rng(abs(hash(eid)) % 2**32)
    samples = [
        SampleRecord(Modality.FACE, f"{i:064x}", normalise(rng.normal(size=128))) for i in range(2)
    ]
    return Enrolment(eid, name, "2026-01-01T00:00:00+00:00", "consent by e-mail", samples)


def alert(eid: str, aid: str = "a1") -> Alert:
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


class LikenessStoreContract:
    def make(self, home: Path) -> LikenessStore:
        """A store kept under ``home``; calling it again on the same home reopens it."""
        raise NotImplementedError

    def test_enrolment_round_trip(self, tmp_path: Path) -> None:
        store = self.make(tmp_path)
        e = enrolment()
        store.add_enrolment(e, {"cd" * 32: b"RAW-SAMPLE-BYTES"})
        store.close()
        store = self.make(tmp_path)
        got = store.get_enrolment("e1")
        assert got.name == NAME and got.digest() == e.digest()
        np.testing.assert_array_equal(got.vectors(Modality.FACE)[0], e.samples[0].vector)
        assert [x.id for x in store.list_enrolments()] == ["e1"]
        assert store.kept_samples("e1") == {"cd" * 32: b"RAW-SAMPLE-BYTES"}

    def test_update_and_missing(self, tmp_path: Path) -> None:
        store = self.make(tmp_path)
        e = enrolment()
        store.add_enrolment(e, {})
        e.consent_note = "renewed"
        store.update_enrolment(e)
        assert store.get_enrolment("e1").consent_note == "renewed"
        with pytest.raises(NotFoundError):
            store.get_enrolment("nope")
        with pytest.raises(NotFoundError):
            store.update_enrolment(enrolment("nope"))
        with pytest.raises(NotFoundError):
            store.delete_enrolment("nope")

    def test_delete_removes_everything_derived(self, tmp_path: Path) -> None:
        store = self.make(tmp_path)
        e, other = enrolment(), enrolment("e2", "Other Person")
        store.add_enrolment(e, {"cd" * 32: b"RAW"})
        store.add_enrolment(other, {})
        store.add_alert(alert(e.id))
        store.add_alert(alert(other.id, "a2"))
        store.save_report("r1", "2026-01-02", {"x": 1}, [e.id, other.id])
        store.save_report("r2", "2026-01-02", {"x": 2}, [other.id])

        assert store.delete_enrolment("e1") == e.digest()

        with pytest.raises(NotFoundError):
            store.get_enrolment("e1")
        assert store.kept_samples("e1") == {}
        assert [a.id for a in store.list_alerts()] == ["a2"]
        assert store.list_alerts("e1") == []
        with pytest.raises(NotFoundError):
            store.get_report("r1")  # it named the deleted person
        assert store.get_report("r2") == {"x": 2}
        assert [x.id for x in store.list_enrolments()] == ["e2"]

    def test_alert_updates(self, tmp_path: Path) -> None:
        store = self.make(tmp_path)
        store.add_enrolment(enrolment(), {})  # alerts are about someone enrolled
        a = alert("e1")
        store.add_alert(a)
        a.deliveries["email"] = "sent"
        store.update_alert(a)
        assert store.list_alerts("e1")[0].deliveries == {"email": "sent"}

    def test_reference_vectors_are_replaced_per_modality(self, tmp_path: Path) -> None:
        store = self.make(tmp_path)
        v = normalise(np.ones(4))
        store.replace_reference(Modality.FACE, [ReferenceVector(Modality.FACE, "a", v)] * 3)
        store.replace_reference(Modality.VOICE, [ReferenceVector(Modality.VOICE, "b", v)])
        store.replace_reference(Modality.FACE, [ReferenceVector(Modality.FACE, "c", v)])
        assert [r.label for r in store.reference(Modality.FACE)] == ["c"]
        assert [r.label for r in store.reference(Modality.VOICE)] == ["b"]

    def test_seen_media_is_remembered(self, tmp_path: Path) -> None:
        store = self.make(tmp_path)
        assert not store.seen("ab" * 32)
        store.mark_seen("ab" * 32, "now")
        store.mark_seen("ab" * 32, "later")  # idempotent
        store.close()
        assert self.make(tmp_path).seen("ab" * 32)
