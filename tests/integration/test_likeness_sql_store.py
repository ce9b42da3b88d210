"""The likeness store on the instance's SQL database (SQLite and PostgreSQL): the whole
store contract, sealing at rest, deletion that leaves nothing behind, the migration's
schema, and the move of an older file store into the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from mediaproof.config import Settings
from mediaproof.likeness.crypto import Keyring
from mediaproof.likeness.models import Modality, ReferenceVector, normalise
from mediaproof.likeness.store import LikenessStore, SqliteLikenessStore
from mediaproof.services.instance import Instance
from mediaproof.services.likeness import LEGACY_FILE, open_store
from mediaproof.storage.sql import tables_likeness
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.likeness_store import SqlLikenessStore
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.tables import Base
from mediaproof.testing.likeness_store_contract import NAME, LikenessStoreContract, alert, enrolment


class TestSqlLikenessStore(LikenessStoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, db_url: str) -> Iterator[None]:
        self.url = db_url
        self.dbs: list[Database] = []
        yield
        for db in self.dbs:
            db.dispose()

    def make(self, home: Path) -> LikenessStore:
        db = Database(self.url)
        upgrade(db.engine)
        self.dbs.append(db)
        return SqlLikenessStore(db, Keyring.open(home / "keys"))


def test_migration_creates_exactly_the_mapped_tables(db_url: str) -> None:
    ours = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("likeness_")}
    assert tables_likeness.LikenessEnrolmentRow.__tablename__ in ours and len(ours) == 7
    db = Database(db_url)
    try:
        upgrade(db.engine)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        db.dispose()
    assert [d for d in diff if any(n in repr(d) for n in ours)] == []


@pytest.fixture
def sqlite_inst(tmp_path: Path) -> Iterator[Instance]:
    inst = Instance(Settings(home=tmp_path / "home"))
    yield inst
    inst.close()


def _raw_database(inst: Instance) -> bytes:
    db = inst.home / "mediaproof.db"
    assert db.exists(), sorted(p.name for p in inst.home.iterdir())
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_nothing_about_the_person_is_in_clear_and_deletion_leaves_no_ciphertext(
    sqlite_inst: Instance,
) -> None:
    # this SQLite build may default to secure_delete; the store must not rely on that
    event.listen(
        sqlite_inst.db.engine,
        "connect",
        lambda conn, _rec: conn.execute("PRAGMA secure_delete = OFF"),
    )
    sqlite_inst.db.engine.dispose()
    store = open_store(sqlite_inst)
    assert isinstance(store, SqlLikenessStore)
    e = enrolment()
    store.add_enrolment(e, {"cd" * 32: b"RAW-SAMPLE-BYTES"})
    store.add_enrolment(enrolment("e2", "Other Person"), {})
    store.add_alert(alert(e.id))
    store.save_report("r1", "2026-01-02", {"who": NAME}, [e.id])
    raw = _raw_database(sqlite_inst)
    for secret in (NAME.encode(), b"RAW-SAMPLE-BYTES", b"consent by e-mail"):
        assert secret not in raw
    assert e.samples[0].vector.astype("<f4").tobytes()[:16] not in raw

    with sqlite_inst.db.session() as s:
        sealed = [
            bytes(s.get(tables_likeness.LikenessEnrolmentRow, "e1").payload),  # type: ignore[union-attr]
            bytes(s.get(tables_likeness.LikenessAlertRow, "a1").payload),  # type: ignore[union-attr]
        ]
    assert all(x[20:60] in raw for x in sealed)
    store.delete_enrolment("e1")
    raw = _raw_database(sqlite_inst)
    for x in sealed:
        assert x[20:60] not in raw  # overwritten, not just unlinked from the b-tree
    assert [x.id for x in store.list_enrolments()] == ["e2"]


def test_an_older_file_store_is_moved_into_the_database_and_wiped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old = SqliteLikenessStore.open(home)
    e = enrolment()
    old.add_enrolment(e, {"cd" * 32: b"RAW"})
    old.replace_reference(
        Modality.FACE, [ReferenceVector(Modality.FACE, "ref-a", normalise(np.ones(128)))]
    )
    old.save_report("r1", "2026-01-02", {"x": 1}, [e.id])
    old.add_alert(alert(e.id))
    old.mark_seen("ab" * 32, "2026-01-02")
    old.close()
    legacy = home / LEGACY_FILE
    assert legacy.exists()

    inst = Instance(Settings(home=home))
    try:
        store = open_store(inst)
        assert not legacy.exists()
        assert store.get_enrolment("e1").digest() == e.digest()
        assert store.kept_samples("e1") == {"cd" * 32: b"RAW"}
        assert [r.label for r in store.reference(Modality.FACE)] == ["ref-a"]
        assert store.get_report("r1") == {"x": 1}
        assert [a.id for a in store.list_alerts("e1")] == ["a1"]
        assert store.seen("ab" * 32)
        # the report still counts as the person's: deleting them deletes it
        store.delete_enrolment("e1")
        assert store.list_alerts() == []
        assert open_store(inst).list_enrolments() == []  # nothing moved twice
    finally:
        inst.close()
