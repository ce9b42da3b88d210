"""Migrations 0013_screening, 0015_consent and 0020_screen_abuse create exactly the
tables the code maps, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import mediaproof.storage.sql.tables_screening as ts
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.tables import Base

SCREEN_TABLES = {
    ts.ScreenOfficialRow.__tablename__,
    ts.ScreenSeedRow.__tablename__,
    ts.ScreenEventRow.__tablename__,
    ts.ConsentRow.__tablename__,
    ts.ScreenBanRow.__tablename__,
    ts.ScreenAppealRow.__tablename__,
    "webhook_outbox",  # 0018: action_id nullable for a tool's webhooks
}


@pytest.mark.empty_database
def test_migration_matches_tables(db_url: str) -> None:
    db = Database(db_url)
    try:
        upgrade(db.engine)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        db.dispose()
    ours = [d for d in diff if any(name in repr(d) for name in SCREEN_TABLES)]
    assert ours == []
