"""The stored-tree arithmetic (exchange/tree.py) against MemoryTree, the plain
recursive root and the verifiers: nodes grown in batches are the tree's complete
subtrees, and proofs from only the nodes nodes_for() names verify and equal MemoryTree's."""

from __future__ import annotations

import hashlib

import pytest

from mediaproof.exchange.tree import NodeView, frontier, grow, nodes_for, window
from mediaproof.transparency.merkle import (
    MemoryTree,
    leaf_hash,
    root_of_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def complete_nodes(tree: MemoryTree) -> dict[tuple[int, int], bytes]:
    return {(lv, i): h for lv, row in enumerate(tree.levels) for i, h in enumerate(row)}


@pytest.mark.parametrize("batches", [[1], [5, 1, 1], [7, 9, 16, 1, 30], [64], [63, 2], [3] * 23])
def test_grown_in_batches_the_nodes_are_the_trees(batches: list[int]) -> None:
    all_leaves = leaves(sum(batches))
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    for b in batches:
        known = {k: stored[k] for k in frontier(size)}
        new = grow(size, known, all_leaves[size : size + b])
        assert not set(new) & set(stored)  # a node is written once, never rewritten
        stored.update(new)
        size += b
        assert stored == complete_nodes(MemoryTree(all_leaves[:size]))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 33, 100])
def test_proofs_from_the_named_nodes_only_verify(n: int) -> None:
    ls = leaves(n)
    all_nodes = complete_nodes(MemoryTree(ls))
    mem = MemoryTree(ls)
    for size in {1, n // 2 or 1, n}:
        root = root_of_leaf_hashes(ls[:size])  # independent: the plain definition
        for old in {0, 1, size // 3, size}:
            idx = list(range(min(old, size - 1), size))
            keys = nodes_for(size, idx, old)
            v = NodeView(size, {k: all_nodes[k] for k in keys})  # nothing else is there
            assert v.root() == root
            for i in idx:
                p = v.inclusion_proof(i)
                assert p == mem.inclusion_proof(i, size)
                verify_inclusion(ls[i], i, size, p, root)
            c = v.consistency_proof(old)
            verify_consistency(old, size, root_of_leaf_hashes(ls[:old]), root, c)


def test_a_node_not_read_is_an_error_never_a_hash() -> None:
    v = NodeView(4, {})
    with pytest.raises(KeyError):
        v.root()


def test_a_pages_window_holds_every_node_its_proofs_read() -> None:
    """What a read fetches as index ranges covers the exact set (else it falls back to
    a second query: slower, never wrong)."""
    for size in [*range(1, 70), 1000, 1023, 1025, 4097]:
        for lo in {0, 1, size // 3, size - 1, size // 2 + 1}:
            for hi in {lo + 1, min(size, lo + 7), min(size, lo + 100), size}:
                if not lo < hi <= size:
                    continue
                got = {
                    (lv, i) for lv, (a, b) in window(size, lo, hi).items() for i in range(a, b + 1)
                }
                got |= set(frontier(size))
                need = nodes_for(size, range(lo, hi), lo)
                assert need <= got, (size, lo, hi, sorted(need - got))


class _Spy(dict[tuple[int, int], bytes]):
    """The nodes, noting which were read."""

    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        super().__init__()
        self.nodes, self.read = nodes, set[tuple[int, int]]()

    def __getitem__(self, k: tuple[int, int]) -> bytes:
        self.read.add(k)
        return self.nodes[k]


def test_the_direct_path_is_rfc_6962s_for_every_index_and_size() -> None:
    ls = leaves(130)
    nodes = complete_nodes(MemoryTree(ls))
    for size in range(1, 131):
        mem = MemoryTree(ls[:size])
        root = root_of_leaf_hashes(ls[:size])
        for i in range(size):
            spy = _Spy(nodes)
            p = NodeView(size, spy).inclusion_proof(i)
            assert p == mem.inclusion_proof(i)
            verify_inclusion(ls[i], i, size, p, root)
            win = {
                (lv, j) for lv, (a, b) in window(size, i, i + 1).items() for j in range(a, b + 1)
            }
            assert spy.read <= win | set(frontier(size))
