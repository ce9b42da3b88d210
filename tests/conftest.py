"""Shared test fixtures: where the corpora live, and throw-away instances."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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


def _pg_admin() -> Engine:
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _pg_execute(sql: str) -> None:
    from sqlalchemy import text

    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(sql))
    admin.dispose()


def _pg_database(template: str | None = None) -> str:
    """A fresh PostgreSQL database for one test, dropped afterwards by the fixture: a copy
    of ``template`` (already migrated) when one is given, else empty."""
    name = _run_scoped_name(TEST_PREFIX)
    copy = f' TEMPLATE "{template}"' if template else ""
    _pg_execute(f'CREATE DATABASE "{name}"{copy}')
    return _pg_url(name)


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# One migrated template per test process (so per run, and per xdist worker). The template
# and each test's database are named mp_tpl_/mp_test_<host>_<pid>_<random>: concurrent
# runs on one server never share, nor drop, each other's. One left by a process of this
# host that is gone (a run killed before its teardown) is stale, and the next run drops it
# before it makes its template.
TEMPLATE_PREFIX, TEST_PREFIX = "mp_tpl_", "mp_test_"


def _host_tag() -> str:
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _run_scoped_name(prefix: str) -> str:
    import uuid

    return f"{prefix}{_host_tag()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _drop_stale_databases() -> None:
    from sqlalchemy import text

    admin = _pg_admin()
    with admin.connect() as c:
        for prefix in (TEMPLATE_PREFIX, TEST_PREFIX):
            ours = f"{prefix}{_host_tag()}_"
            names = list(
                c.execute(
                    text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                    {"p": ours},
                ).scalars()
            )
            for name in names:
                pid = name[len(ours) :].split("_", 1)[0]
                if pid.isdigit() and not _alive(int(pid)):
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per run, dropped at its end. Each test's
    database is a ``CREATE DATABASE ... TEMPLATE`` copy of it: a file copy on the server
    instead of running every migration again."""
    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade

    _drop_stale_databases()
    name = _run_scoped_name(TEMPLATE_PREFIX)
    url = _pg_url(name)
    _pg_execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(url)
        try:
            upgrade(db.engine)
        finally:
            db.dispose()  # PostgreSQL copies a template only while nobody is connected to it
        yield name
    finally:
        _drop_pg_database(url)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "empty_database: on PostgreSQL, db_url gives this test an empty database instead "
        "of a copy of the migrated template (the test runs or checks the migrations itself)",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A database URL for each backend the product supports. SQLite: a new file, migrated
    by whoever opens it first. PostgreSQL: a copy of the run's migrated template, or an
    empty database for a test marked ``empty_database``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mediaproof.db'}"
        return
    empty = request.node.get_closest_marker("empty_database") is not None
    url = _pg_database(None if empty else request.getfixturevalue("pg_template"))
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
