"""Each collection's log, and what a pulling peer checks before it stores anything.

The publisher signs a C2SP checkpoint over the RFC 6962 tree of the collection's rows
(leaf ``i`` is the entry of the row with ``seq == i + 1``), with origin
``<exchange key name>/<collection>``. A peer pins the publisher's key and remembers the
last checkpoint it accepted; on every pull it checks, all or nothing:

1. the new checkpoint's signature (pinned key) and origin;
2. that the new tree extends the remembered one (a consistency proof): a row changed,
   dropped or reordered anywhere in the history fails here;
3. that every row received is in the new tree at its index (an inclusion proof over the
   entry the peer recomputes from the row's fields);
4. for a page of updates, that the rows follow on from the remembered position without
   a gap and do not go past the checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mediaproof.exchange.errors import PullRefusedError
from mediaproof.exchange.models import FeedRow
from mediaproof.transparency.checkpoint import Checkpoint, check_extends, open_checkpoint
from mediaproof.transparency.errors import NoteError, ProofError
from mediaproof.transparency.merkle import MemoryTree, leaf_hash, verify_inclusion
from mediaproof.transparency.note import Ed25519Verifier


def origin_for(key_name: str, collection: str) -> str:
    return f"{key_name}/{collection}"


def tree_of(rows: Iterable[FeedRow]) -> MemoryTree:
    """The collection's tree, hashed from the rows as stored, in ``seq`` order, never
    from a cache: a row changed or dropped on disk changes the tree the publisher signs,
    and peers that saw the old one refuse it. A hole in the sequence is not papered over."""
    tree = MemoryTree()
    for r in rows:
        tree.append(r.entry())
    return tree


@dataclass(frozen=True)
class Trusted:
    """The last checkpoint a peer accepted from a source."""

    size: int
    root: bytes


@dataclass(frozen=True)
class ProvedRow:
    row: FeedRow
    proof: tuple[bytes, ...]  # inclusion proof in the checkpoint's tree


def open_pull(
    key: Ed25519Verifier,
    origin: str,
    trusted: Trusted | None,
    note: bytes,
    consistency: Sequence[bytes],
) -> Checkpoint:
    """Checks 1 and 2 above: the new checkpoint, and that it extends ``trusted``."""
    try:
        cp = open_checkpoint(note, key, origin=origin).checkpoint
    except NoteError as e:
        raise PullRefusedError(f"the checkpoint does not verify with the pinned key: {e}") from e
    if trusted is not None:
        if cp.size < trusted.size:
            raise PullRefusedError(
                f"the log shrank from {trusted.size} to {cp.size} entries: history was rewritten"
            )
        old = Checkpoint(cp.origin, trusted.size, trusted.root)
        try:
            check_extends(old, cp, list(consistency))
        except (ProofError, NoteError) as e:
            raise PullRefusedError(
                f"the log of size {cp.size} does not extend the one of size {trusted.size} "
                f"seen before: history was rewritten ({e.message})"
            ) from e
    return cp


def verify_rows(
    cp: Checkpoint, rows: Sequence[ProvedRow], expected: int, *, contiguous: bool = True
) -> int:
    """Checks 3 and 4 above for one page of rows under an opened checkpoint, the first
    expected at ``expected`` (seq); returns the seq the next page must start at. A pull
    in pages checks each page as it arrives, so it never holds the whole pull."""
    for pr in rows:
        r = pr.row
        if contiguous and r.seq != expected:
            raise PullRefusedError(f"expected update {expected}, got {r.seq}: a row is missing")
        if r.seq > cp.size:
            raise PullRefusedError(f"update {r.seq} is beyond the checkpoint ({cp.size})")
        try:
            verify_inclusion(leaf_hash(r.entry()), r.leaf_index, cp.size, list(pr.proof), cp.root)
        except ProofError as e:
            raise PullRefusedError(
                f"update {r.seq} is not in the signed log: it was changed ({e.message})"
            ) from e
        expected = r.seq + 1
    return expected


def verify_pull(
    key: Ed25519Verifier,
    origin: str,
    trusted: Trusted | None,
    note: bytes,
    consistency: Sequence[bytes],
    rows: Sequence[ProvedRow],
    *,
    contiguous: bool = True,
) -> Checkpoint:
    """Check one pull as described above; returns the new checkpoint or raises
    :class:`PullRefusedError` saying what failed."""
    cp = open_pull(key, origin, trusted, note, consistency)
    verify_rows(cp, rows, (trusted.size if trusted else 0) + 1, contiguous=contiguous)
    return cp
