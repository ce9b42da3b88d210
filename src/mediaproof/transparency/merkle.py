"""RFC 6962 / RFC 9162 Merkle tree hashing, proof generation and proof verification.

This module is what clients use to check the log, so it depends on nothing but the
standard library (and the error types): copy it next to a verifier and it works.

Hashing: ``leaf = SHA-256(0x00 || entry)``, ``node = SHA-256(0x01 || left || right)``;
a tree of ``n > 1`` leaves splits at the largest power of two smaller than ``n``; the
empty tree's root is ``SHA-256("")``.

Proofs are generated from *complete* subtree hashes only (a node at ``level`` covering
leaves ``[index * 2**level, (index + 1) * 2**level)``), which is what the log stores
and what tlog tiles publish; a proof needs O(log n) of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from mediaproof.transparency.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index) -> hash of that complete subtree
NodeReader = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, the plain recursive definition (O(n)).

    Used by auditors that recompute a tree from its entries, and by tests.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    # Pairing left to right and carrying an odd last node up unchanged gives the same
    # tree as the RFC's "split at the largest power of two" recursion.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class Subtrees:
    """Hashes of arbitrary leaf ranges, built from complete-subtree reads, memoised (per
    proof, or across the proofs of a page when passed as ``shared``: a range's hash
    depends on its leaves only)."""

    def __init__(self, read: NodeReader) -> None:
        self._read = read
        self._memo: dict[tuple[int, int], bytes] = {}

    def hash(self, lo: int, hi: int) -> bytes:
        size = hi - lo
        if size <= 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and lo % size == 0:
            level = size.bit_length() - 1
            return self._read(level, lo >> level)
        key = (lo, hi)
        found = self._memo.get(key)
        if found is None:
            k = _split(size)
            found = node_hash(self.hash(lo, lo + k), self.hash(lo + k, hi))
            self._memo[key] = found
        return found


_Subtrees = Subtrees


def tree_root(read: NodeReader, size: int, *, shared: Subtrees | None = None) -> bytes:
    return (shared or Subtrees(read)).hash(0, size)


def inclusion_proof(
    read: NodeReader, index: int, size: int, *, shared: Subtrees | None = None
) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, D[0:size]), leaf's sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    sub = shared or Subtrees(read)
    proof: list[bytes] = []
    lo, hi, m = 0, size, index
    # Walk down from the root, collecting siblings, then reverse to leaf-first order.
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            proof.append(sub.hash(lo + k, hi))
            hi = lo + k
        else:
            proof.append(sub.hash(lo, lo + k))
            lo, m = lo + k, m - k
    proof.reverse()
    return proof


def consistency_proof(
    read: NodeReader, old_size: int, new_size: int, *, shared: Subtrees | None = None
) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(old_size, D[0:new_size]); empty if the sizes are equal or old is 0."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    sub = shared or Subtrees(read)
    proof: list[bytes] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                proof.append(sub.hash(lo, hi))
            break
        k = _split(n)
        if m <= k:
            proof.append(sub.hash(lo + k, hi))
            hi = lo + k
        else:
            proof.append(sub.hash(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    proof.reverse()
    return proof


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---------------------------------


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index``; raises if it is malformed."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("proof hashes must be 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``leaf`` is at ``index`` in the tree with ``root``."""
    if root_from_inclusion_proof(leaf, index, size, proof) != root:
        raise ProofError(
            f"entry {index} is not in the tree of size {size} with this root",
            hint="the entry, the proof or the checkpoint was altered",
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless tree ``new`` is an append-only extension of ``old``."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size went backwards: {old_size} -> {new_size}")
    if any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("proof hashes must be 32 bytes")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for size {old_size}: the log forked")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        raise ProofError("consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise ProofError(
            f"the tree of size {new_size} does not extend the tree of size {old_size}",
            hint="the log was rewritten or forked",
        )


class MemoryTree:
    """A tree held in memory as levels of complete-subtree hashes (for clients and tests).

    ``levels[k][i]`` is the hash of leaves ``[i * 2**k, (i + 1) * 2**k)``; an append adds
    one leaf hash and the parents it completes, as the on-disk store does.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append_leaf_hash(h)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append_leaf_hash(self, h: bytes) -> None:
        level, node = 0, h
        while True:
            row = self.levels[level]
            row.append(node)
            if len(row) % 2:
                return
            node = node_hash(row[-2], row[-1])
            level += 1
            if level == len(self.levels):
                self.levels.append([])

    def append(self, entry: bytes) -> None:
        self.append_leaf_hash(leaf_hash(entry))

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.node, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self.node, index, self.size if size is None else size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(self.node, old_size, self.size if new_size is None else new_size)


class RootBuilder:
    """Streaming MTH: feed leaf hashes in order, read the root at any point (O(log n) memory).

    Used by auditors that re-hash every entry of a log without holding the tree.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash) of complete subtrees

    @classmethod
    def resume(cls, read: NodeReader, size: int) -> RootBuilder:
        """A builder already holding the first ``size`` leaves, from O(log n) subtree hashes
        (the largest complete subtrees, left to right); lets an auditor hash only new entries."""
        b = cls()
        start = 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                b._stack.append((height, read(height, start >> height)))
                start += 1 << height
        b.size = size
        return b

    def add(self, leaf: bytes) -> None:
        height, node = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            node = node_hash(self._stack.pop()[1], node)
            height += 1
        self._stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node
