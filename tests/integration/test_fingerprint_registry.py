"""Registration stores fingerprints; verify leads a stripped, edited copy back to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from PIL import Image

from mediaproof.fingerprint.fingerprints import Fingerprints, fingerprint_file
from mediaproof.matching.lookup import FingerprintLookup, entries_for
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import register_existing
from mediaproof.services.verification import verify_file
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from mediaproof.storage.sql.tables import Base
from mediaproof.testing.lookup_contract import FingerprintLookupContract, Register

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"


def test_migration_matches_fingerprint_table(db_url: str) -> None:
    db = Database(db_url)
    try:
        upgrade(db.engine)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        db.dispose()
    assert [d for d in diff if "fingerprints" in repr(d)] == []


def test_registration_stores_fingerprints(any_db_instance: Instance, corpora: Path) -> None:
    asset = register_existing(any_db_instance, corpora / PHOTO, title="Bridge")
    with any_db_instance.db.session() as s:
        entries = FingerprintRepository(s).for_asset(asset.id)
    by_signal: dict[str, int] = {}
    for e in entries:
        by_signal[e.signal] = by_signal.get(e.signal, 0) + 1
    assert by_signal == {"md5": 1, "pdq": 8}
    assert {e.variant for e in entries if e.signal == "pdq"} >= {"original", "flipy"}


def test_verify_leads_a_stripped_copy_to_its_original(
    any_db_instance: Instance, corpora: Path, tmp_path: Path
) -> None:
    inst = any_db_instance
    asset = register_existing(inst, corpora / PHOTO, title="Bridge")
    src = Image.open(corpora / PHOTO).convert("RGB")
    copy = tmp_path / "copy.jpg"
    src.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((800, 502)).save(copy, quality=75)
    report = verify_file(inst, copy).as_dict()
    match = report["match"] if "match" in report else report["evidence"]["match"]
    assert match["status"] == "found"
    assert match["data"]["matched_assets"] == [str(asset.id)]
    assert match["data"]["candidates"][0]["variant"] == "flipy"
    unrelated = tmp_path / "other.png"
    Image.open(corpora / "pdq-threatexchange/images/misc-images/c.png").save(unrelated)
    other = verify_file(inst, unrelated).as_dict()
    om = other["match"] if "match" in other else other["evidence"]["match"]
    assert om["status"] == "not_found"


class TestSqlFingerprintLookup(FingerprintLookupContract):
    """The database-backed lookup passes the same contract as the in-memory one."""

    @pytest.fixture(autouse=True)
    def _db(self, tmp_path: Path) -> Iterator[None]:
        self.db = Database(f"sqlite:///{tmp_path / 'fp.db'}")
        upgrade(self.db.engine)
        yield
        self.db.dispose()

    def make_registry(self) -> tuple[Register, FingerprintLookup]:
        lookup = SqlFingerprintLookup(self.db)

        def register(asset_id: str, fps: Fingerprints) -> str:
            with self.db.session() as s:
                asset = AssetRepository(s).add(
                    sha256=fps.md5.ljust(64, "0"), mime="image/png", size=1, title=asset_id,
                    signed=False,
                )  # fmt: skip
                FingerprintRepository(s).add_many(asset.id, entries_for(fps))
            return str(asset.id)

        return register, lookup


def test_rows_from_another_process_become_matchable(tmp_path: Path, corpora: Path) -> None:
    """A second lookup (another worker) sees rows registered after it loaded."""
    db = Database(f"sqlite:///{tmp_path / 'fp.db'}")
    upgrade(db.engine)
    try:
        worker = SqlFingerprintLookup(db)
        assert worker.find_near("md5", "0" * 32, 0) == []  # loads (nothing yet)
        fps = fingerprint_file(corpora / PHOTO, reference=True)
        with db.session() as s:
            asset = AssetRepository(s).add(
                sha256="a" * 64, mime="image/jpeg", size=1, title="x", signed=False
            )
            FingerprintRepository(s).add_many(asset.id, entries_for(fps))
        worker.refresh(force=True)  # what the next lookup does within a second
        assert fps.image is not None
        hits = worker.find_near("pdq", fps.image.pdq.value, 31)
        assert {c.asset_id for c in hits} == {str(asset.id)}
        worker.forget_asset(asset.id)
        assert worker.find_near("pdq", fps.image.pdq.value, 31) == []
    finally:
        db.dispose()
