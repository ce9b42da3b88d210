"""Pruning the change sequences (``index_changes``, ``case_media_changes``) without a
follower ever missing a change.

A prune deletes, in one transaction, the changes older than the retention, and records
the highest ``seq`` it deleted as the table's horizon (``change_horizons``). A follower
reads its changes first and the horizon second: a prune that committed before its read
of the changes shows in the horizon it reads next, so a follower whose place is below
the horizon knows it may have missed some (:class:`ChangesPrunedError`) and rebuilds
from the rows. The newest change is never deleted: SQLite (no ``AUTOINCREMENT``) would
hand its ``seq`` out again, and a follower already past it would skip the new change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables import utcnow
from mediaproof.storage.sql.tables_cases import CaseMediaChangeRow
from mediaproof.storage.sql.tables_fingerprints import ChangeHorizonRow, IndexChangeRow

CHANGE_TABLES: dict[str, Any] = {
    "index_changes": IndexChangeRow,
    "case_media_changes": CaseMediaChangeRow,
}


class ChangesPrunedError(Exception):
    """A follower at ``seq`` is below the ``horizon``: changes it has not applied may
    have been pruned, so it must rebuild from the rows (never a lookup's error)."""

    def __init__(self, table: str, seq: int, horizon: int) -> None:
        super().__init__(f"{table}: follower at seq {seq} is below the pruned horizon {horizon}")
        self.table, self.seq, self.horizon = table, seq, horizon


def horizon(s: Session, table: str) -> int:
    """The table's horizon: changes up to it may be gone (0: never pruned)."""
    return int(s.scalar(select(ChangeHorizonRow.seq).where(ChangeHorizonRow.name == table)) or 0)


def check_not_pruned(s: Session, table: str, seq: int) -> None:
    """Raise :class:`ChangesPrunedError` when a follower at ``seq`` is below the horizon.
    Call it after reading the changes after ``seq``, never before."""
    h = horizon(s, table)
    if seq < h:
        raise ChangesPrunedError(table, seq, h)


def last_seq(s: Session, table: str) -> int:
    """The newest change's ``seq``, and at least the horizon: a fresh follower starting
    there is not below it (0: no change yet)."""
    row = CHANGE_TABLES[table]
    newest = int(s.scalar(select(func.max(row.seq))) or 0)
    return max(newest, horizon(s, table))


@dataclass(frozen=True)
class Pruned:
    table: str
    deleted: int
    horizon: int

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "deleted": self.deleted, "horizon": self.horizon}


def prune_changes(s: Session, table: str, older_than: dt.datetime) -> Pruned:
    """Delete ``table``'s changes created before ``older_than``, except the newest, and
    raise its horizon to the highest ``seq`` deleted, in the caller's transaction (the
    caller commits both together). No lock on the writers: a change not yet committed
    was numbered after every committed one (the writers' advisory lock), so it is above
    the newest committed change, which stays."""
    row = CHANGE_TABLES[table]
    newest = s.scalar(select(func.max(row.seq)))
    before = horizon(s, table)
    if newest is None:
        return Pruned(table, 0, before)
    cut = s.scalar(
        select(func.max(row.seq)).where(row.created_at < older_than).where(row.seq < newest)
    )
    if cut is None or int(cut) <= before:
        return Pruned(table, 0, before)
    h = int(cut)
    values = {"name": table, "seq": h, "pruned_at": utcnow()}
    pg = s.get_bind().dialect.name == "postgresql"
    ins: Any = (pg_insert if pg else sqlite_insert)(ChangeHorizonRow).values(**values)
    # never lowered: another prune may have raised it meanwhile (SQLite's two-argument
    # max() is its greatest())
    higher = (func.greatest if pg else func.max)(ins.excluded.seq, ChangeHorizonRow.seq)
    s.execute(
        ins.on_conflict_do_update(
            index_elements=[ChangeHorizonRow.name],
            set_={"seq": higher, "pruned_at": ins.excluded.pruned_at},
        )
    )
    done: Any = s.execute(delete(row).where(row.seq <= h))
    return Pruned(table, int(done.rowcount or 0), max(h, before))
