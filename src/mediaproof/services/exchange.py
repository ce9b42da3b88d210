"""The publishing side of the hash exchange (docs/exchange.md): the feed peers read
(updates, snapshots, checkpoints and proofs) here; the key, collections and sync from the
bank in :mod:`.exchange_collections`; grants and the read audit in
:mod:`.exchange_access`. All of it stays importable from this module.

Every answer is proved against a checkpoint signed at that moment over the tree hashed
from the stored rows, so a row changed or dropped on disk changes what peers are shown
and they refuse it. The instance also remembers the last tree it signed per collection
and raises an alarm (kept on the collection, logged) when its own store no longer
extends it.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from mediaproof.accounts.models import Principal
from mediaproof.errors import StorageError, UsageError
from mediaproof.exchange.log import origin_for, tree_of
from mediaproof.exchange.models import (
    DEFAULT_PAGE,
    MAX_PAGE,
    FeedRow,
    check_position,
    live_signals,
)
from mediaproof.exchange.snapshot import dataset_csv, local_file
from mediaproof.exchange.tree import NodeView
from mediaproof.services import exchange_tree

# The key, collections and sync (exchange_collections) and access (exchange_access) live
# in their own modules; callers keep using ``services.exchange.<name>``.
from mediaproof.services.exchange_access import _authorise, audit_read
from mediaproof.services.exchange_access import collection_info as collection_info
from mediaproof.services.exchange_access import grant as grant
from mediaproof.services.exchange_access import rate_key as rate_key
from mediaproof.services.exchange_access import reads as reads
from mediaproof.services.exchange_access import visible_collections as visible_collections
from mediaproof.services.exchange_collections import DEFAULT_KEY_NAME as DEFAULT_KEY_NAME
from mediaproof.services.exchange_collections import KEY_FILE as KEY_FILE
from mediaproof.services.exchange_collections import SyncResult as SyncResult
from mediaproof.services.exchange_collections import _now
from mediaproof.services.exchange_collections import collection_json as collection_json
from mediaproof.services.exchange_collections import create_collection as create_collection
from mediaproof.services.exchange_collections import init_key as init_key
from mediaproof.services.exchange_collections import key_path as key_path
from mediaproof.services.exchange_collections import list_collections as list_collections
from mediaproof.services.exchange_collections import signer as signer
from mediaproof.services.exchange_collections import sync as sync
from mediaproof.services.exchange_collections import withdraw as withdraw
from mediaproof.services.exchange_opinions import disputes as disputes
from mediaproof.services.exchange_opinions import opine as opine
from mediaproof.services.exchange_opinions import opinions as opinions
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository, spec_of
from mediaproof.storage.sql.times import aware
from mediaproof.transparency.checkpoint import Checkpoint, sign_checkpoint
from mediaproof.transparency.merkle import MemoryTree

if TYPE_CHECKING:  # the repositories run the SQL; these name what they hand over
    from sqlalchemy.orm import Session

    from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow

log = logging.getLogger(__name__)

SYNC_ON_READ_S = 2.0  # a pull syncs the collection first, at most this often


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


# --- the feed ----------------------------------------------------------------------------


class _Tree(Protocol):
    """What an answer proves from: the stored tree's nodes read for it (NodeView) or
    the tree hashed from every stored row (MemoryTree)."""

    @property
    def size(self) -> int: ...
    def root(self, size: int | None = None) -> bytes: ...
    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]: ...
    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]: ...


def _signed(inst: Instance, name: str, tree: _Tree, size: int) -> str:
    key = signer(inst)
    cp = Checkpoint(origin_for(key.name, name), size, tree.root(size))
    return sign_checkpoint(cp, key).encode().decode()


def _proof(tree: _Tree, index: int, size: int) -> list[str]:
    # a row whose index the stored tree cannot prove (rows dropped on disk) gets no proof,
    # and the peer refuses it: better than an error that hides what happened
    if not 0 <= index < size <= tree.size:
        return []
    return [_b64(h) for h in tree.inclusion_proof(index, size)]


_SYNC_LOCK = threading.Lock()


def _maybe_sync(inst: Instance, name: str, now: dt.datetime) -> None:
    """Sync before answering a pull, at most every SYNC_ON_READ_S; one at a time in this
    process. A sync that loses a race with another process is not the reader's problem:
    the answer is then proved against what is stored."""
    with _SYNC_LOCK:
        with inst.db.session() as s:
            row = ExchangeRepository(s).collection(name)
            fresh = (
                row is not None
                and row.synced_at is not None
                and (now - aware(row.synced_at)).total_seconds() < SYNC_ON_READ_S
            )
        if row is None or fresh:
            return
        try:
            sync(inst, name, now, full=False)  # cheap when nothing changed
        except StorageError as e:  # a conflict with a concurrent sync is one
            log.warning("exchange: sync of %s before a read failed: %s", name, e)


def _authorise_and_sync(
    inst: Instance, who: Principal | None, name: str, now: dt.datetime, *, sync: bool = True
) -> None:
    """Refuse a caller without access before anything else, then sync (throttled)."""
    with inst.db.session() as s:
        _authorise(ExchangeRepository(s), who, name)
    if sync:
        _maybe_sync(inst, name, now)


# The tree a pull's first page hashed from the store (the stored tree was stale), for its
# later pages (which pass ``size``): without it a pull of n updates in pages would hash
# the store n / limit times. Short-lived, and never used for a first page.
TREE_CACHE_S = 60.0
TREE_CACHE_MAX = 8
_TREES: dict[tuple[str, str], tuple[float, MemoryTree]] = {}
_TREES_LOCK = threading.Lock()


def _cache_tree(inst: Instance, name: str, tree: MemoryTree) -> None:
    with _TREES_LOCK:
        _TREES[(inst.db.url, name)] = (time.monotonic(), tree)
        while len(_TREES) > TREE_CACHE_MAX:
            del _TREES[min(_TREES, key=lambda k: _TREES[k][0])]


def _forget_tree(inst: Instance, name: str) -> None:
    with _TREES_LOCK:
        _TREES.pop((inst.db.url, name), None)


def _cached_tree(inst: Instance, name: str, size: int) -> MemoryTree | None:
    """The tree for a later page; each use keeps it TREE_CACHE_S longer, so a pull of a
    million signals (a thousand pages, minutes) does not rehash the store per page once
    the first minute is over."""
    now = time.monotonic()
    with _TREES_LOCK:
        key = (inst.db.url, name)
        hit = _TREES.get(key)
        if hit is None or now - hit[0] > TREE_CACHE_S or not 0 <= size <= hit[1].size:
            return None
        _TREES[key] = (now, hit[1])
    return hit[1]


def _from_tree(
    inst: Instance,
    s: Session,
    repo: ExchangeRepository,
    row: ExchangeCollectionRow,
    after: int,
    limit: int,
    size: int | None,
) -> tuple[_Tree, int, list[FeedRow], list[list[bytes]]] | None:
    """A page and its rows' proofs from the stored tree (services/exchange_tree.py);
    None when the answer must hash the stored rows instead. A first page (no ``size``)
    hashes the store when the tree is stale or a row as stored now fails its proof, so
    the peer is shown the rewrite. A later page proves against the checkpoint its first
    page signed: from the nodes (they only grow), unless that page hashed the store."""
    tsize, stale = exchange_tree.state(s, row)
    n = tsize if size is None else size
    if not 0 <= n <= tsize or (size is None and stale):
        return None
    if size is not None and _cached_tree(inst, row.name, size) is not None:
        return None  # the first page hashed the store: the later ones use that tree
    page = repo.updates(row, after, upto=n, limit=limit)
    idx = [r.seq - 1 for r in page]
    v: NodeView | None
    try:  # the nodes read as ranges; a node not read is a KeyError, never a wrong hash
        v = exchange_tree.page_view(s, row, n, min(after, n), max(idx, default=after) + 1)
        proofs = _proofs(v, idx, n, after)
    except KeyError:
        v = exchange_tree.view(s, row, n, idx, after if after <= n else None)
        proofs = _proofs(v, idx, n, after) if v is not None else []
    if v is None or (size is None and not exchange_tree.proofs_hold(v, page, n, proofs)):
        log.error("exchange: collection %s: a stored row or node changed", row.name)
        exchange_tree.mark_stale(s, row)
        return None
    if size is None:
        _forget_tree(inst, row.name)
    return v, n, page, proofs


def _proofs(v: NodeView, indices: list[int], n: int, after: int) -> list[list[bytes]]:
    """The page's inclusion proofs (and, first, the consistency proof and root, so a
    missing node shows before any is used)."""
    v.root(n)
    if 0 <= after <= n:
        v.consistency_proof(after, n)
    return [v.inclusion_proof(i, n) for i in indices]


def _from_store(
    inst: Instance,
    repo: ExchangeRepository,
    row: ExchangeCollectionRow,
    after: int,
    limit: int,
    size: int | None,
) -> tuple[_Tree, int, list[FeedRow], dict[int, int]]:
    """A page proved from the tree hashed from every stored row (what a stale tree
    falls back to: a row changed on disk changes the tree peers are shown)."""
    name = row.name
    cached = _cached_tree(inst, name, size) if size is not None else None
    if cached is not None and size is not None:
        # a later page of a pull: the tree its first page hashed from the store, the
        # rows read afresh (a row changed since then fails its inclusion proof)
        page = repo.updates(row, after, upto=size, limit=limit)
        return cached, size, page, {r.seq: r.seq - 1 for r in page}
    rows = repo.updates(row)
    tree = tree_of(rows)
    n = tree.size if size is None else size
    if not 0 <= n <= tree.size:
        raise UsageError(
            f"size {n} is not a size this collection's log had", hint="pull again without size"
        )
    page = [r for r in rows if after < r.seq <= n][:limit]
    if all(r.seq == i + 1 for i, r in enumerate(rows)):
        _cache_tree(inst, name, tree)
    return tree, n, page, {r.seq: i for i, r in enumerate(rows)}


def updates(
    inst: Instance,
    who: Principal,
    name: str,
    *,
    after: int = 0,
    limit: int = DEFAULT_PAGE,
    size: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """One page of updates after ``after``, proved against a checkpoint of ``size``
    (default: the current size; a puller passes the size of its first page so all
    pages prove against one checkpoint), with the consistency proof from ``after``."""
    now = now or _now()
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"limit must be 1-{MAX_PAGE}")
    _authorise_and_sync(inst, who, name, now, sync=size is None)
    if size is None:
        exchange_tree.ensure(inst, name)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        spec = spec_of(row)
        cutoff = now - dt.timedelta(days=spec.tombstone_days)
        behind = after > 0 and repo.written_before_after(row, after, cutoff)
        check_position(after, repo.horizon(row, cutoff) if behind else 0)
        tree: _Tree
        fast = _from_tree(inst, s, repo, row, after, limit, size)
        if fast is not None:
            tree, n, page, proofs = fast
            paths = [[_b64(h) for h in p] for p in proofs]
        else:
            tree, n, page, pos = _from_store(inst, repo, row, after, limit, size)
            paths = [_proof(tree, pos[r.seq], n) for r in page]
        consistency = [_b64(h) for h in tree.consistency_proof(after, n)] if 0 <= after <= n else []
        out_rows = []
        for r, path in zip(page, paths, strict=True):
            d = r.as_json()
            d["inclusion_proof"] = path
            out_rows.append(d)
        last = page[-1].seq if page else after
        audit_read(repo, row, who, "updates", after=after, rows=len(page), size=n, now=now)
        return {
            "collection": name,
            "checkpoint": _signed(inst, name, tree, n),
            "size": n,
            "after": after,
            "consistency_proof": consistency,
            "updates": out_rows,
            "next": last,
            "more": last < n,
        }


def _current(
    s: Session, repo: ExchangeRepository, row: ExchangeCollectionRow, old: int | None = None
) -> _Tree:
    """The whole current tree: the stored one (only the nodes its root and a proof from
    ``old`` need), or hashed from every stored row when it is stale."""
    tsize, stale = exchange_tree.state(s, row)
    v = None if stale else exchange_tree.view(s, row, tsize, old=old)
    return v if v is not None else tree_of(repo.updates(row))


def checkpoint(
    inst: Instance, who: Principal, name: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or _now()
    _authorise_and_sync(inst, who, name, now)
    exchange_tree.ensure(inst, name)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        tree = _current(s, repo, row)
        audit_read(repo, row, who, "checkpoint", after=None, rows=0, size=tree.size, now=now)
        return {
            "collection": name,
            "size": tree.size,
            "checkpoint": _signed(inst, name, tree, tree.size),
        }


def consistency(
    inst: Instance, who: Principal, name: str, old: int, new: int | None = None
) -> dict[str, Any]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        tsize, stale = exchange_tree.state(s, row)
        # the stored tree when it reaches both sizes, else the tree hashed from the store
        want = tsize if new is None else new
        ok = not stale and 0 <= old <= want <= tsize
        v = exchange_tree.view(s, row, want, old=old) if ok else None
        tree: _Tree = v if v is not None else tree_of(repo.updates(row))
        new = tree.size if new is None else new
        if not 0 <= old <= new <= tree.size:
            raise UsageError(f"need 0 <= old <= new <= {tree.size}")
        return {
            "old": old,
            "new": new,
            "checkpoint": _signed(inst, name, tree, new),
            "proof": [_b64(h) for h in tree.consistency_proof(old, new)],
        }


SNAPSHOT_FORMATS = ("local_file", "csv", "json")


def snapshot(
    inst: Instance,
    who: Principal | None,
    name: str,
    fmt: str,
    *,
    old: int = 0,
    now: dt.datetime | None = None,
) -> tuple[str, str | dict[str, Any]]:
    """The live signals: ``local_file`` and ``csv`` text for python-threatexchange tools,
    or ``json`` with each row's inclusion proof (and the consistency proof from ``old``)
    for a peer reloading behind the tombstone horizon."""
    if fmt not in SNAPSHOT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="one of: " + ", ".join(SNAPSHOT_FORMATS))
    now = now or _now()
    _authorise_and_sync(inst, who, name, now)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        rows = repo.updates(row)
        live = sorted(live_signals(rows).values(), key=lambda r: r.seq)
        audit_read(
            repo, row, who, f"snapshot:{fmt}", after=None, rows=len(live), size=len(rows), now=now
        )
        if fmt == "local_file":
            return "text/plain; charset=utf-8", local_file(live)
        if fmt == "csv":
            return "text/csv; charset=utf-8", dataset_csv(live, name)
        tree = tree_of(rows)
        pos = {r.seq: i for i, r in enumerate(rows)}
        n = tree.size
        body = {
            "collection": name,
            "checkpoint": _signed(inst, name, tree, n),
            "size": n,
            "old": old,
            "consistency_proof": (
                [_b64(h) for h in tree.consistency_proof(old, n)] if 0 <= old <= n else []
            ),
            "signals": [
                {**r.as_json(), "inclusion_proof": _proof(tree, pos[r.seq], n)} for r in live
            ],
        }
        return "application/json", body


def public_key(inst: Instance) -> str:
    """The verifier key peers pin (``name+keyid+key``)."""
    return signer(inst).vkey
