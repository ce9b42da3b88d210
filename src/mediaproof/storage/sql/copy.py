"""Copy every row of one instance database into another, empty one at the same schema
revision: the move from SQLite on one box to PostgreSQL for a cluster
(``mediaproof.services.db_copy``, docs/sizing.md).

Tables go in foreign-key order, in batches, through the ORM's column types (so SQLite's
stored text and integers become PostgreSQL's timestamps and booleans), all in one
transaction on the destination: a copy that fails leaves it empty. PostgreSQL's id
sequences are then moved past the copied ids, so the next row gets a fresh one.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, inspect, select, text

from mediaproof.errors import ConflictError, StorageError
from mediaproof.storage.sql.migrate import current_revision
from mediaproof.storage.sql.tables import Base

VERSION_TABLE = "alembic_version"
# tables a migration fills with their one row (the exchange's sync-inputs version): a
# new database holds it already, so it does not make the destination "not empty"; it is
# replaced by the source's row
SEEDED_TABLES = frozenset({"exchange_sync_inputs"})


def _tables() -> list[str]:
    # every table module registers on Base.metadata when imported
    from mediaproof.storage.sql import (  # noqa: F401
        account_tables,
        tables_cases,
        tables_exchange,
        tables_fingerprints,
        tables_jobs,
        tables_likeness,
        tables_screening,
    )

    return [t.name for t in Base.metadata.sorted_tables]


def copy_rows(src: Engine, dst: Engine, batch: int = 2000) -> dict[str, int]:
    """Rows copied per table. Refuses (``StorageError``) when the two schemas are not at
    the same revision or hold tables this version does not know, and (``ConflictError``)
    when the destination already has rows."""
    rev_src, rev_dst = current_revision(src), current_revision(dst)
    if rev_src is None or rev_src != rev_dst:
        raise StorageError(
            f"the databases are at different schema revisions ({rev_src} and {rev_dst})",
            hint="open both with the same mediaproof version first (it migrates them)",
        )
    names = _tables()
    unknown = set(inspect(src).get_table_names()) - set(names) - {VERSION_TABLE}
    if unknown:
        raise StorageError(f"the source has tables this version does not know: {sorted(unknown)}")
    tables = [Base.metadata.tables[n] for n in names]
    copied: dict[str, int] = {}
    with src.connect() as rc, dst.begin() as wc:
        for t in tables:
            if t.name in SEEDED_TABLES:
                continue
            if wc.execute(select(func.count()).select_from(t)).scalar_one():
                raise ConflictError(
                    f"the destination database is not empty (table {t.name})",
                    hint="copy into a new, empty database",
                )
        for t in tables:
            if t.name in SEEDED_TABLES:
                wc.execute(t.delete())
        for t in tables:
            order = list(t.primary_key.columns) or list(t.columns)
            n = 0
            result = rc.execution_options(yield_per=batch).execute(select(t).order_by(*order))
            for part in result.mappings().partitions(batch):
                wc.execute(t.insert(), [dict(r) for r in part])
                n += len(part)
            copied[t.name] = n
        if dst.dialect.name == "postgresql":
            for t in tables:
                for c in t.primary_key.columns:
                    if c.autoincrement is True or (
                        c.autoincrement == "auto" and len(t.primary_key.columns) == 1
                        and c.type.python_type is int
                    ):  # fmt: skip
                        wc.execute(
                            text(
                                "SELECT setval(pg_get_serial_sequence(:t, :c), "
                                f'COALESCE((SELECT MAX("{c.name}") FROM "{t.name}"), 0) + 1, '
                                "false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"
                            ),
                            {"t": t.name, "c": c.name},
                        )
    return copied
