"""Moving an instance's database from SQLite to PostgreSQL (services/db_copy.py): every
row arrives, ids continue after the copied ones, sealed secrets still open with the
same keys, and a destination that has rows is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.errors import ConflictError
from mediaproof.services import accounts
from mediaproof.services.db_copy import copy_database, main
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.copy import _tables
from mediaproof.storage.sql.tables import Base
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
from mediaproof.storage.sql.tables_jobs import JobRow
from tests.factories import asset_row

PASSWORD = "a long test password"


def counts(inst: Instance) -> dict[str, int]:
    with inst.db.engine.connect() as c:
        return {
            n: int(
                c.execute(select(func.count()).select_from(Base.metadata.tables[n])).scalar_one()
            )
            for n in _tables()
        }


def test_sqlite_instance_moves_into_an_empty_database(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "box"
    src = Instance(Settings(home=home))
    accounts.create_user(src, "alice", Role.PUBLISHER, PASSWORD)
    when = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)
    with src.db.session() as s:
        a = asset_row(s, sha256="c" * 64)
        s.add(FingerprintRow(asset_id=a.id, signal="pdq", value=b"\x07" * 32, quality=90))
        s.add(JobRow(id="j" * 64, kind="verify", runner="local", status="done",
                     created_at=when, finished_at=when + dt.timedelta(seconds=3)))  # fmt: skip
        s.commit()
    before = counts(src)
    src.close()
    assert before["assets"] == 1 and before["fingerprints"] == 1 and before["users"] >= 1

    assert main(["--home", str(home), "--to", db_url]) == 0
    out = capsys.readouterr().out
    assert '"rows": ' in out

    dst = Instance(Settings(home=home, database_url=db_url))
    try:
        assert counts(dst) == before
        # the rows read back with their types (a timestamp stays one, with its zone)
        with dst.db.session() as s:
            job = s.get(JobRow, "j" * 64)
            assert job is not None and job.status == "done"
            assert job.finished_at is not None
            assert job.finished_at.replace(tzinfo=job.finished_at.tzinfo or dt.UTC) == (
                when + dt.timedelta(seconds=3)
            )
            # ids go on after the copied ones (PostgreSQL's sequences were moved)
            b = asset_row(s, sha256="d" * 64)
            assert b.id > a.id
            s.commit()
        secret, _ = accounts.login(dst, "alice", PASSWORD)  # the password hash came along
        assert accounts.session_principal(dst, secret) is not None
    finally:
        dst.close()

    # a destination with rows is refused, and left as it was
    with pytest.raises(ConflictError, match="not empty"):
        copy_database(home, db_url)
    assert main(["--home", str(home), "--to", db_url]) == 7
