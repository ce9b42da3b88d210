"""The stored tree of a collection's log (``exchange_tree_nodes``): read a set of
nodes, add nodes, and the collection's ``tree_size`` / ``tree_stale`` (read fresh from
the table, never from an ORM row loaded earlier in the session)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from mediaproof.exchange.tree import Key
from mediaproof.storage.sql.tables_exchange import (
    ExchangeCollectionRow,
    ExchangeTreeNodeRow,
    ExchangeUpdateRow,
)

N = ExchangeTreeNodeRow
INSERT_BATCH = 5_000  # rows per INSERT; SQLite's bound-parameter limit stays far off


def _in(collection_id: int, level: int, idx: list[int]) -> ColumnElement[bool]:
    """One level's nodes among ``idx``. Every branch of a node query's OR names the whole
    primary key (collection, level, idx): with ``collection_id`` outside the OR, SQLite
    searched the index on the collection alone and read every node of the collection
    (2n rows per page request: 0.07 s at 100k leaves, growing with the log)."""
    return and_(N.collection_id == collection_id, N.level == level, N.idx.in_(sorted(idx)))


class TreeRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def state(self, collection_id: int) -> tuple[int, bool, int]:
        """(tree_size, tree_stale, the highest stored seq) as committed now."""
        row = self.s.execute(
            select(ExchangeCollectionRow.tree_size, ExchangeCollectionRow.tree_stale).where(
                ExchangeCollectionRow.id == collection_id
            )
        ).one()
        top = self.s.scalar(
            select(func.max(ExchangeUpdateRow.seq)).where(
                ExchangeUpdateRow.collection_id == collection_id
            )
        )
        return int(row.tree_size), bool(row.tree_stale), int(top or 0)

    def nodes(self, collection_id: int, keys: Iterable[Key]) -> dict[Key, bytes]:
        """The stored nodes among ``keys``, in one query (grouped by level)."""
        by_level: dict[int, list[int]] = {}
        for level, idx in keys:
            by_level.setdefault(level, []).append(idx)
        if not by_level:
            return {}
        conds = [_in(collection_id, lv, ix) for lv, ix in by_level.items()]
        q = select(N.level, N.idx, N.hash).where(or_(*conds))
        return {(r.level, r.idx): bytes(r.hash) for r in self.s.execute(q)}

    def nodes_in(
        self, collection_id: int, ranges: Mapping[int, tuple[int, int]], keys: Iterable[Key]
    ) -> dict[Key, bytes]:
        """The stored nodes in ``ranges`` (level -> first, last index) and among ``keys``,
        in one query on the primary key."""
        conds = [
            and_(N.collection_id == collection_id, N.level == lv, N.idx.between(a, b))
            for lv, (a, b) in ranges.items()
        ]
        by_level: dict[int, list[int]] = {}
        for level, idx in keys:
            by_level.setdefault(level, []).append(idx)
        conds += [_in(collection_id, lv, ix) for lv, ix in by_level.items()]
        if not conds:
            return {}
        q = select(N.level, N.idx, N.hash).where(or_(*conds))
        return {(r.level, r.idx): bytes(r.hash) for r in self.s.execute(q)}

    def add(self, collection_id: int, nodes: Mapping[Key, bytes]) -> None:
        items = [
            {"collection_id": collection_id, "level": lv, "idx": ix, "hash": h}
            for (lv, ix), h in nodes.items()
        ]
        for lo in range(0, len(items), INSERT_BATCH):
            self.s.execute(insert(cast(Table, N.__table__)), items[lo : lo + INSERT_BATCH])

    def set_size(self, collection_id: int, size: int) -> None:
        # tree_size alone: a concurrent trigger's tree_stale is never written back
        self.s.execute(
            update(ExchangeCollectionRow)
            .where(ExchangeCollectionRow.id == collection_id)
            .values(tree_size=size)
        )

    def mark_stale(self, collection_id: int) -> None:
        self.s.execute(
            update(ExchangeCollectionRow)
            .where(ExchangeCollectionRow.id == collection_id)
            .values(tree_stale=True)
        )

    def reset(self, collection_id: int, size: int) -> None:
        """The tree rebuilt to ``size`` from a hash of the whole store: fresh again."""
        self.s.execute(
            update(ExchangeCollectionRow)
            .where(ExchangeCollectionRow.id == collection_id)
            .values(tree_size=size, tree_stale=False)
        )

    def clear(self, collection_id: int) -> None:
        self.s.execute(delete(N).where(N.collection_id == collection_id))
