"""Alembic environment: uses the engine handed over by mediaproof, or the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from mediaproof.storage.sql import (  # noqa: F401  (register the tables)
    account_tables,
    tables_cases,
    tables_exchange,
    tables_exchange_contrib,
    tables_fingerprints,
    tables_jobs,
    tables_likeness,
    tables_screening,
    tables_state,
)
from mediaproof.storage.sql.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table's constraints by rebuilding it (batch mode); with
            # foreign keys on (engine.py), dropping the old table fails while other rows
            # refer to it. Off for the migration (only outside a transaction does the
            # pragma take effect), checked before the commit, on again after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=sqlite,
                )
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
