"""The publisher's stored tree of each collection's log, so a page of a pull, its proofs
and the checkpoint cost O(page * log n) reads, not a hash of the whole log.

Trust: the nodes only say what was appended; the rows served are read afresh and every
served proof is checked against the signed root before it leaves (a row changed on disk
then fails, and the answer falls back to hashing the stored rows, as before the tree was
stored). A trigger marks the tree stale when a stored row is changed or deleted (rows are
only appended), and while it is stale answers hash the stored rows, so peers that hold
the changed row see the rewrite. A sync, which hashes the whole store anyway, rebuilds
the nodes when the store still extends what was signed.

Writers: only holders of the ``exchange-tree`` lock (one process at a time, PostgreSQL
or SQLite) add nodes, and nodes and ``tree_size`` change in one transaction, so a crash
mid-write leaves the tree as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from mediaproof.errors import BusyError, StorageError
from mediaproof.exchange.models import FeedRow
from mediaproof.exchange.tree import Key, NodeView, frontier, grow, nodes_for, window
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.locks import hold
from mediaproof.storage.sql.repos_exchange import ExchangeRepository
from mediaproof.storage.sql.repos_exchange_tree import TreeRepository
from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.merkle import MemoryTree, leaf_hash, verify_inclusion

if TYPE_CHECKING:  # the repositories run the SQL; these name what they hand over
    from sqlalchemy.orm import Session

    from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow

log = logging.getLogger("mediaproof.services.exchange")

LOCK = "exchange-tree"
CHUNK = 20_000  # rows hashed and stored per transaction when the tree catches up


def ensure(inst: Instance, name: str, *, wait_s: float = 0) -> int:
    """Bring the stored tree up to the stored rows; returns its size. A reader does not
    wait (``wait_s`` 0): when another process holds the lock, it is extending the tree,
    and this answer proves against the size stored so far."""
    with inst.db.session() as s:
        c = ExchangeRepository(s).collection(name)
        if c is None:
            return 0
        size, stale, top = TreeRepository(s).state(c.id)
    if stale or top <= size:
        return size
    try:
        with hold(inst.db, LOCK, timeout_s=wait_s) as lease:
            if not lease:
                return size
            while True:
                with inst.db.session() as s:
                    c = ExchangeRepository(s).collection(name)
                    assert c is not None
                    size, more = _extend(s, c, CHUNK)
                if not more:
                    return size
    except (StorageError, BusyError) as e:  # a concurrent writer: the next read retries
        log.warning("exchange: the tree of %s did not catch up: %s", name, e)
        return size


def _extend(s: Session, c: ExchangeCollectionRow, limit: int) -> tuple[int, bool]:
    """Add up to ``limit`` stored rows after the tree's size; (new size, more to add)."""
    t = TreeRepository(s)
    size, stale, top = t.state(c.id)
    if stale or top <= size:
        return size, False
    keys = frontier(size)
    known = t.nodes(c.id, keys)
    rows = ExchangeRepository(s).updates(c, after=size, limit=limit)
    if len(known) != len(keys) or any(r.seq != size + 1 + i for i, r in enumerate(rows)):
        # a node missing or a hole in the rows: hash the store until a sync rebuilds
        log.error("exchange: collection %s: the stored tree does not fit the rows", c.name)
        t.mark_stale(c.id)
        return size, False
    t.add(c.id, grow(size, known, (leaf_hash(r.entry()) for r in rows)))
    t.set_size(c.id, size + len(rows))
    return size + len(rows), size + len(rows) < top


def extend(s: Session, c: ExchangeCollectionRow, limit: int) -> int:
    """Add up to ``limit`` stored rows after the tree's size in the caller's transaction
    (call with :data:`LOCK` held); the tree's size after (less than the rows when the
    tree is stale or does not fit them)."""
    return _extend(s, c, limit)[0]


def reconcile(s: Session, c: ExchangeCollectionRow, tree: MemoryTree) -> None:
    """After a sync hashed the whole store into ``tree`` and found that it extends what
    was signed (call with :data:`LOCK` held): extend the stored tree from it, or rebuild
    it when it was stale or does not match."""
    t = TreeRepository(s)
    size, stale, _ = t.state(c.id)
    start = 0
    if not stale and size <= tree.size:
        v = view(s, c, size)
        if v is not None and v.root() == tree.root(size):
            start = size
    if start == 0 and size > 0:
        log.warning("exchange: collection %s: the stored tree is rebuilt", c.name)
        t.clear(c.id)
    t.add(c.id, _levels_from(tree, start))
    t.reset(c.id, tree.size)


def _levels_from(tree: MemoryTree, start: int) -> dict[Key, bytes]:
    """``tree``'s nodes that are complete only once leaves after ``start`` are in."""
    return {
        (lv, i): row[i] for lv, row in enumerate(tree.levels) for i in range(start >> lv, len(row))
    }


def state(s: Session, c: ExchangeCollectionRow) -> tuple[int, bool]:
    size, stale, _ = TreeRepository(s).state(c.id)
    return size, stale


def view(
    s: Session,
    c: ExchangeCollectionRow,
    size: int,
    indices: Iterable[int] = (),
    old: int | None = None,
) -> NodeView | None:
    """The nodes the root of ``size``, the inclusion proofs of ``indices`` and a
    consistency proof from ``old`` need, read in one query; None if one is missing."""
    keys = nodes_for(size, indices, old)
    got = TreeRepository(s).nodes(c.id, keys)
    return NodeView(size, got) if len(got) == len(keys) else None


def page_view(s: Session, c: ExchangeCollectionRow, size: int, lo: int, hi: int) -> NodeView:
    """The nodes for a page of leaves ``[lo, hi)`` of the tree of ``size`` and the
    consistency proof from ``lo``, read as index ranges per level (no proof walked to
    find them first); proofs from it raise KeyError if a node is not there."""
    got = TreeRepository(s).nodes_in(c.id, window(size, lo, hi), frontier(size))
    return NodeView(size, got)


def proofs_hold(
    v: NodeView, rows: Sequence[FeedRow], size: int, proofs: Sequence[Sequence[bytes]]
) -> bool:
    """Whether every row, hashed as stored now, is in the tree of ``size`` at its index
    by the proof about to be served with it: never serve one that does not verify."""
    root = v.root(size)
    try:
        for r, p in zip(rows, proofs, strict=True):
            verify_inclusion(leaf_hash(r.entry()), r.seq - 1, size, list(p), root)
    except ProofError:
        return False
    return True


def mark_stale(s: Session, c: ExchangeCollectionRow) -> None:
    TreeRepository(s).mark_stale(c.id)
