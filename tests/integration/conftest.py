"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mediaproof.storage.secrets import SecretBox
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from tests.conftest import _drop_pg_database, _pg_database


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database on each engine (``db_url``: SQLite, and PostgreSQL from the
    template), with a key box so webhook secrets can be sealed. A module that needs
    something else defines its own ``db``."""
    d = Database(db_url, secrets=SecretBox(tmp_path / "keys"))
    upgrade(d.engine)
    try:
        yield d
    finally:
        d.dispose()


@pytest.fixture
def pg(pg_template: str) -> Iterator[Database]:
    """A migrated PostgreSQL database of its own (a copy of the template), for tests of
    what only PostgreSQL does (ids handed out before commit, advisory locks)."""
    url = _pg_database(pg_template)
    d = Database(url)
    upgrade(d.engine)
    try:
        yield d
    finally:
        d.dispose()
        _drop_pg_database(url)
