"""Finding 4, in process and on both databases: log entries staged with the registration
land exactly once, whatever point a crash hits; start-up finds assets the log never heard
of; the same file from the same publisher is one asset, even when published concurrently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from mediaproof.errors import ConflictError
from mediaproof.media.samples import sample_photo
from mediaproof.services import transparency as tsvc
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import (
    Published,
    SignRequest,
    clean_signing_dirs,
    recover_at_startup,
    register_existing,
    sign_and_register,
)
from mediaproof.storage.sql.tables import LogOutboxRow
from mediaproof.transparency.log import TransparencyLog


def _logged(home: Path) -> list[dict[str, object]]:
    with TransparencyLog.open(home, readonly=True) as log:
        return [json.loads(log.entry(i)) for i in range(log.size)]


def _registered(home: Path) -> list[object]:
    return [e["asset_id"] for e in _logged(home) if e["type"] == "asset.registered"]


def test_a_commit_the_log_never_heard_of_lands_at_start_up(
    any_db_instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = any_db_instance
    monkeypatch.setattr(tsvc, "LOCK_TIMEOUT_S", 0.05)
    register_existing(inst, sample_photo(tmp_path / "a.jpg", 64, 48, seed=1))
    with TransparencyLog.open(inst.home):  # the process "dies" before the log takes it
        b = register_existing(inst, sample_photo(tmp_path / "b.jpg", 64, 48, seed=2))
    assert tsvc.staged_count(inst) == 1
    recover_at_startup(inst)
    assert tsvc.staged_count(inst) == 0
    assert _registered(inst.home) == ["asset-1", f"asset-{b.id}"]


def test_a_crash_between_the_append_and_the_bookkeeping_appends_nothing_twice(
    any_db_instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = any_db_instance
    monkeypatch.setattr(tsvc, "LOCK_TIMEOUT_S", 0.05)
    register_existing(inst, sample_photo(tmp_path / "a.jpg", 64, 48, seed=1))
    with TransparencyLog.open(inst.home) as log:
        b = register_existing(inst, sample_photo(tmp_path / "b.jpg", 64, 48, seed=2))
        # what _land_staged does before it dies: note the size, append durably...
        with inst.db.session() as s:
            row = s.scalars(select(LogOutboxRow).where(LogOutboxRow.sent_at.is_(None))).one()
            row.attempt_size = log.size
            body = bytes(row.body)
        index = log.append(body)
        log.checkpoint()
    # ...and never marks the row sent. The next hand-over finds it in the log.
    assert tsvc.staged_count(inst) == 1
    assert tsvc.land_staged(inst) == 1
    assert _registered(inst.home) == ["asset-1", f"asset-{b.id}"]
    with inst.db.session() as s:
        row = s.scalars(select(LogOutboxRow).where(LogOutboxRow.asset_id == b.id)).one()
        assert row.log_index == index and row.sent_at is not None


def test_start_up_reconciles_assets_registered_before_the_outbox(
    any_db_instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = any_db_instance
    monkeypatch.setattr(tsvc, "LOCK_TIMEOUT_S", 0.05)
    a = register_existing(inst, sample_photo(tmp_path / "a.jpg", 64, 48, seed=1))
    with TransparencyLog.open(inst.home):
        b = register_existing(inst, sample_photo(tmp_path / "b.jpg", 64, 48, seed=2))
    # as an older version left them: no outbox rows; a is in the log, b is not
    with inst.db.session() as s:
        s.execute(delete(LogOutboxRow))
    assert tsvc.reconcile_assets(inst) == 1
    recover_at_startup(inst)  # idempotent: nothing more to do
    logged = [e for e in _logged(inst.home) if e["type"] == "asset.registered"]
    assert [e["asset_id"] for e in logged] == [f"asset-{a.id}", f"asset-{b.id}"]
    assert logged[1]["content_sha256"] == b.sha256 and logged[1]["signer"] == "external"
    assert set(logged[1]["fingerprints"]) == set(logged[0]["fingerprints"])  # type: ignore[arg-type]
    with inst.db.session() as s:
        rows = s.scalars(select(LogOutboxRow).order_by(LogOutboxRow.asset_id)).all()
        assert [(r.asset_id, r.log_index) for r in rows] == [(a.id, 0), (b.id, 1)]
    assert tsvc.reconcile_assets(inst) == 0


def test_a_withdrawal_is_staged_with_it(
    any_db_instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaproof.services.withdrawal import withdraw_asset

    inst = any_db_instance
    monkeypatch.setattr(tsvc, "LOCK_TIMEOUT_S", 0.05)
    a = register_existing(inst, sample_photo(tmp_path / "a.jpg", 64, 48, seed=1))
    with TransparencyLog.open(inst.home):
        withdraw_asset(inst, a.id)
    assert tsvc.staged_count(inst) == 1
    recover_at_startup(inst)
    assert [e["type"] for e in _logged(inst.home)] == ["asset.registered", "asset.withdrawn"]


def test_the_same_file_from_the_same_publisher_is_one_asset(
    any_db_instance: Instance, tmp_path: Path
) -> None:
    inst = any_db_instance
    src = sample_photo(tmp_path / "p.jpg", 400, 300, seed=5)
    results: list[Published | Exception] = []

    def publish(i: int) -> None:
        try:
            req = SignRequest(
                src=src, dest=tmp_path / f"out{i}.jpg", title="Same", publisher="user:1"
            )
            results.append(sign_and_register(inst, req))
        except Exception as e:
            results.append(e)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pubs = [r for r in results if isinstance(r, Published)]
    assert len(pubs) == 3, results
    assert len({p.asset.id for p in pubs}) == 1
    assert sum(p.created for p in pubs) == 1
    # every caller holds the registered signed file, byte for byte
    outs = {(tmp_path / f"out{i}.jpg").read_bytes() for i in range(3)}
    assert len(outs) == 1 and pubs[0].asset.sha256 == pubs[0].media.sha256
    assert len(inst.assets()) == 1 and _registered(inst.home) == [f"asset-{pubs[0].asset.id}"]
    # another publisher's release of the same file is theirs
    other = sign_and_register(
        inst, SignRequest(src=src, dest=tmp_path / "o.jpg", title="Same", publisher="user:2")
    )
    assert other.created and other.asset.id != pubs[0].asset.id
    # the signed copies that lost the race were not kept
    kept = {p.name for p in inst.blobs.root.rglob("*") if p.is_file()}
    assert kept == {pubs[0].asset.sha256, other.asset.sha256}


def test_a_withdrawn_release_is_not_handed_back(any_db_instance: Instance, tmp_path: Path) -> None:
    from mediaproof.services.withdrawal import withdraw_asset

    inst = any_db_instance
    src = sample_photo(tmp_path / "p.jpg", 400, 300, seed=6)
    first = sign_and_register(inst, SignRequest(src=src, dest=tmp_path / "a.jpg", title="T"))
    withdraw_asset(inst, first.asset.id)
    with pytest.raises(ConflictError, match="withdrawn"):
        sign_and_register(inst, SignRequest(src=src, dest=tmp_path / "b.jpg", title="T"))


def test_signing_folders_of_dead_processes_are_removed(instance: Instance) -> None:
    work = instance.home / "tmp"
    work.mkdir(exist_ok=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = work / f"sign-{dead.stdout.strip()}-abc"
    live = work / f"sign-{os.getpid()}-def"
    upload = work / "upload-xyz"
    for d in (gone, live):
        (d / "inner").mkdir(parents=True)
        (d / "inner" / "f.jpg").write_bytes(b"x")
    upload.write_bytes(b"y")
    assert clean_signing_dirs(instance) == 1
    assert not gone.exists() and live.exists() and upload.exists()


def test_nothing_to_land_creates_no_log(instance: Instance) -> None:
    recover_at_startup(instance)
    # the private folder itself is made (0700) with the instance; no log may be started
    tlog = instance.home / "tlog"
    assert not tlog.exists() or not any(tlog.iterdir())
    assert not (instance.home / "log" / "checkpoint").exists()


@pytest.mark.empty_database
def test_migrations_match_the_tables(db_url: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade
    from mediaproof.storage.sql.tables import Base

    db = Database(db_url)
    try:
        upgrade(db.engine, keys_dir=tmp_path / "keys")
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        db.dispose()
    mine = ("'assets'", "log_outbox", "webhook_endpoints", "uq_assets_publisher_source")
    assert [d for d in diff if any(m in repr(d) for m in mine)] == []
