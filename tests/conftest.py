"""Shared test fixtures: where the corpora live, and throw-away instances."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("MEDIAPROOF_CORPORA", REPO.parent / "shared" / "corpora"))


@pytest.fixture(scope="session")
def corpora() -> Path:
    """Root of ../shared/corpora. Missing corpora are an error, not a skip."""
    if not CORPORA.is_dir():
        raise RuntimeError(
            f"test corpora not found at {CORPORA}; "
            "clone next to ../shared or set MEDIAPROOF_CORPORA"
        )
    return CORPORA


# --- instances on SQLite and PostgreSQL ------------------------------------------------

PG_ADMIN_URL = os.environ.get(
    "MEDIAPROOF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_database() -> str:
    """A fresh PostgreSQL database for one test, dropped afterwards by the fixture."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"mp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A database URL for each backend the product supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mediaproof.db'}"
        return
    url = _pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(url)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def instance(home: Path):  # type: ignore[no-untyped-def]
    """A fresh SQLite instance with signing keys."""
    from mediaproof.config import Settings
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance

    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "Test Election Office")
    yield inst
    inst.close()


@pytest.fixture
def any_db_instance(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """A fresh instance with keys on each database backend."""
    from mediaproof.config import Settings
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance

    inst = Instance(Settings(home=tmp_path / "inst", database_url=db_url))
    init_keys(inst.keys_dir, "Test Election Office")
    yield inst
    inst.close()
