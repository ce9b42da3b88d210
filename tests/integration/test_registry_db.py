"""The registry on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image

from mediaproof.errors import ConflictError
from mediaproof.media.samples import sample_photo
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, register_existing, sign_and_register
from mediaproof.services.verification import verify_file
from mediaproof.storage.sql.migrate import current_revision, head_revision


@pytest.mark.empty_database
def test_schema_is_migrated(any_db_instance: Instance) -> None:
    eng = any_db_instance.db.engine
    assert current_revision(eng) == head_revision(eng) is not None


def test_sign_register_lookup(any_db_instance: Instance, tmp_path: Path) -> None:
    inst = any_db_instance
    src = sample_photo(tmp_path / "p.jpg", 320, 240)
    pub = sign_and_register(
        inst, SignRequest(src=src, dest=tmp_path / "s.jpg", title="Statement", author="Ann")
    )
    a = inst.asset_by_sha256(pub.media.sha256)
    assert a is not None and a.id == pub.asset.id
    assert a.signed and a.has_manifest and a.title == "Statement" and a.author == "Ann"
    assert a.signer_subject and "Test Election Office" in a.signer_subject
    store = inst.manifest_store(a.id)
    assert store and len(store) > 1000
    # the original is kept as a blob so copies can be compared later
    assert a.original_blob == pub.media.sha256
    assert inst.blobs.path(a.original_blob).read_bytes() == (tmp_path / "s.jpg").read_bytes()
    assert [x.id for x in inst.assets()] == [a.id]
    r = verify_file(inst, tmp_path / "s.jpg").as_dict()
    assert r["registry"]["asset_id"] == a.id


def test_register_twice_is_a_conflict(any_db_instance: Instance, tmp_path: Path) -> None:
    src = sample_photo(tmp_path / "p.jpg", 200, 150)
    register_existing(any_db_instance, src, title="one")
    with pytest.raises(ConflictError, match="already registered"):
        register_existing(any_db_instance, src, title="two")


def test_concurrent_registrations_of_one_file(any_db_instance: Instance, tmp_path: Path) -> None:
    src = sample_photo(tmp_path / "p.jpg", 200, 150)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            register_existing(any_db_instance, src, title="same")
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    assert len(any_db_instance.assets()) == 1


def test_register_unsigned_original(any_db_instance: Instance, tmp_path: Path) -> None:
    p = tmp_path / "plain.png"
    Image.new("RGB", (50, 40), (1, 2, 3)).save(p)
    a = register_existing(any_db_instance, p)
    assert not a.signed and a.title == "plain.png" and a.mime == "image/png"
