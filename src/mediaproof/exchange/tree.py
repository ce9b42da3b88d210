"""A collection log's tree held as stored complete-subtree hashes (pure logic; the
table is :class:`mediaproof.storage.sql.tables_exchange.ExchangeTreeNodeRow`).

A node ``(level, index)`` is the hash of leaves ``[index * 2**level, (index + 1) *
2**level)``; a complete subtree never changes once its last leaf is in, so the stored
nodes only grow. An answer needs O(log n) of them per proof: :func:`nodes_for` says
which, the caller reads those in one query, and :class:`NodeView` proves from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mediaproof.transparency.merkle import (
    HASH_SIZE,
    Subtrees,
    consistency_proof,
    inclusion_proof,
    node_hash,
    tree_root,
)

Key = tuple[int, int]  # (level, index)


def frontier(size: int) -> list[Key]:
    """The largest complete subtrees of the first ``size`` leaves, left to right: what
    appending after ``size`` needs (as :meth:`RootBuilder.resume` reads them)."""
    out: list[Key] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def grow(start: int, known: Mapping[Key, bytes], leaves: Iterable[bytes]) -> dict[Key, bytes]:
    """The nodes that appending ``leaves`` (leaf hashes) after the first ``start`` leaves
    completes, leaves included; ``known`` holds at least :func:`frontier` ``(start)``."""
    stack: list[tuple[int, int, bytes]] = [(lv, i, known[(lv, i)]) for lv, i in frontier(start)]
    out: dict[Key, bytes] = {}
    pos = start
    for leaf in leaves:
        level, index, node = 0, pos, leaf
        out[(0, pos)] = leaf
        while stack and stack[-1][0] == level:
            _, left_index, left = stack.pop()
            node = node_hash(left, node)
            level, index = level + 1, left_index >> 1
            out[(level, index)] = node
        stack.append((level, index, node))
        pos += 1
    return out


class _Recorder:
    """A node reader that notes what it is asked for (and answers a placeholder)."""

    def __init__(self) -> None:
        self.keys: set[Key] = set()

    def __call__(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return bytes(HASH_SIZE)


def nodes_for(size: int, indices: Iterable[int] = (), old: int | None = None) -> set[Key]:
    """The stored nodes that the root of ``size``, inclusion proofs of ``indices`` and a
    consistency proof from ``old`` read (proof generation reads nothing else)."""
    rec = _Recorder()
    sub = Subtrees(rec)  # one memo for all: the right edge is hashed once, not per proof
    tree_root(rec, size, shared=sub)
    for i in indices:
        inclusion_proof(rec, i, size, shared=sub)
    if old is not None and 0 <= old <= size:
        consistency_proof(rec, old, size, shared=sub)
    return rec.keys


def window(size: int, lo: int, hi: int) -> dict[int, tuple[int, int]]:
    """Per level, an index range of complete nodes that, with :func:`frontier` ``(size)``,
    holds every node the root of ``size``, the inclusion proofs of leaves ``[lo, hi)``
    and a consistency proof from ``lo`` read: a sibling is within one (two for the
    consistency path from ``lo - 1``) of the page's own nodes, or it is part of the
    right edge, which is the frontier. Read as ranges (no proof walked to find them);
    ``nodes_for`` is the exact set, and what a read falls back to."""
    out: dict[int, tuple[int, int]] = {}
    for level in range(size.bit_length()):
        first = max(0, (lo >> level) - 2)
        last = min(((max(hi, lo + 1) - 1) >> level) + 1, (size >> level) - 1)
        if first <= last:
            out[level] = (first, last)
    return out


class NodeView:
    """Proofs over a tree of ``size`` leaves from the nodes read for them; a node that
    was not read raises KeyError (a bug, never a wrong hash)."""

    def __init__(self, size: int, nodes: Mapping[Key, bytes]) -> None:
        self.size = size
        self._nodes = nodes
        self._sub = Subtrees(self.node)  # ranges hashed once for every proof of a page

    def node(self, level: int, index: int) -> bytes:
        return self._nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.node, self.size if size is None else size, shared=self._sub)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 PATH(index, D[0:size]) without walking down from the root: below the
        level where the paths to ``index`` and to the last leaf part, the siblings (the
        one at that level may be the right edge's partial subtree, hashed once per page);
        above it, the left siblings on the last leaf's path."""
        n = self.size if size is None else size
        if not 0 <= index < n:
            return inclusion_proof(self.node, index, n)  # raises the usual error
        nodes, out = self._nodes, []
        inner = (index ^ (n - 1)).bit_length()
        for level in range(inner):
            sib = (index >> level) ^ 1
            if (sib + 1) << level <= n:
                out.append(nodes[(level, sib)])
            else:
                out.append(self._sub.hash(sib << level, n))
        for level in range(inner, n.bit_length()):
            if index >> level & 1:
                out.append(nodes[(level, (index >> level) - 1)])
        return out

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        n = self.size if new_size is None else new_size
        return consistency_proof(self.node, old_size, n, shared=self._sub)
