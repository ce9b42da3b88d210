"""Repository for imported hash lists (``hash_lists``, ``hash_list_entries``): the
list rows, the bulk insert of entries, and the queries the list index and the admin
listing ask."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables_fingerprints import HashListEntryRow, HashListRow

INSERT_BATCH = 20_000
_COLUMNS = "list_id, signal_type, value, category, tags"


class HashListRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def list_id(self, name: str) -> int | None:
        return self.s.scalar(select(HashListRow.id).where(HashListRow.name == name))

    def ensure_list(self, name: str) -> int:
        """The id of the list called ``name``, created (and flushed) if new."""
        lst = self.s.scalar(select(HashListRow).where(HashListRow.name == name))
        if lst is None:
            lst = HashListRow(name=name)
            self.s.add(lst)
            self.s.flush()
        return lst.id

    def bulk_insert_entries(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows of (list_id, signal_type, value, category, tags), inside the session's
        transaction."""
        _bulk_insert(self.s.connection(), rows)

    def lists_with_counts(self) -> list[tuple[str, dt.datetime, int]]:
        rows = self.s.execute(
            select(HashListRow.name, HashListRow.created_at, func.count(HashListEntryRow.id))
            .outerjoin(HashListEntryRow, HashListEntryRow.list_id == HashListRow.id)
            .group_by(HashListRow.id)
            .order_by(HashListRow.name)
        ).all()
        return [(n, c, int(k)) for n, c, k in rows]

    def pdq_after(self, last_id: int, limit: int) -> Sequence[tuple[int, bytes]]:
        """PDQ entries with an id above ``last_id``, oldest first, at most ``limit``."""
        rows = self.s.execute(
            select(HashListEntryRow.id, HashListEntryRow.value)
            .where(HashListEntryRow.signal_type == "pdq")
            .where(HashListEntryRow.id > last_id)
            .order_by(HashListEntryRow.id)
            .limit(limit)
        ).all()
        return [(r[0], r[1]) for r in rows]

    def entries_with_list(
        self, ids: list[int]
    ) -> dict[int, tuple[int, str, str | None, str | None]]:
        """(entry id, list name, category, tags) by entry id, for the given ids."""
        return {
            r[0]: (r[0], r[1], r[2], r[3])
            for r in self.s.execute(
                select(HashListEntryRow.id, HashListRow.name, HashListEntryRow.category,
                       HashListEntryRow.tags)
                .join(HashListRow, HashListRow.id == HashListEntryRow.list_id)
                .where(HashListEntryRow.id.in_(ids))
            ).all()
        }  # fmt: skip


def _bulk_insert(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """The driver's own bulk path, past the ORM's per-row work (several times faster):
    COPY on PostgreSQL, executemany on SQLite; inside the caller's transaction."""
    raw: Any = conn.connection.dbapi_connection
    table = HashListEntryRow.__tablename__
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    if conn.dialect.name != "sqlite":  # any other backend: the portable path
        keys = [k.strip() for k in _COLUMNS.split(",")]
        batch = list(itertools.islice(rows, INSERT_BATCH))
        while batch:
            conn.execute(insert(HashListEntryRow), [dict(zip(keys, r, strict=True)) for r in batch])
            batch = list(itertools.islice(rows, INSERT_BATCH))
        return
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows)
    finally:
        cur.close()
