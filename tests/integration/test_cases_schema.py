"""Migration 0003 creates exactly the tables the code maps; the domain stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import mediaproof.storage.sql.tables_cases as tables_cases
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.tables import Base

CASE_TABLES = {t.name for t in Base.metadata.sorted_tables if t.name != "assets"}


@pytest.mark.empty_database
def test_migration_matches_tables(db_url: str) -> None:
    assert tables_cases.CaseRow.__tablename__ in CASE_TABLES
    db = Database(db_url)
    try:
        upgrade(db.engine)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        db.dispose()
    ours = [d for d in diff if any(name in repr(d) for name in CASE_TABLES)]
    assert ours == []


def test_cases_package_imports_no_storage_services_or_interfaces() -> None:
    root = Path(tables_cases.__file__).resolve().parents[2] / "cases"
    banned = (
        "mediaproof.storage",
        "mediaproof.services",
        "mediaproof.api",
        "mediaproof.web",
        "mediaproof.cli",
        "sqlalchemy",
    )
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert not n.startswith(banned), f"{path.name} imports {n}"
