"""The publishing side of the hash exchange, write half: the signing key, collections,
sync from the bank and withdrawals (docs/exchange.md). The feed that peers read is in
:mod:`mediaproof.services.exchange`; grants and the read audit in
:mod:`mediaproof.services.exchange_access`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproof.errors import NotFoundError, UsageError
from mediaproof.exchange.log import tree_of
from mediaproof.exchange.models import (
    BANK_KEYS,
    CollectionSpec,
    FeedRow,
    SignalType,
    check_value,
    live_signals,
)
from mediaproof.services import exchange_tree
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.locks import hold
from mediaproof.storage.sql.repos_exchange import ExchangeRepository, digest, spec_of
from mediaproof.storage.sql.repos_exchange_contrib import accepted_signals
from mediaproof.storage.sql.repos_exchange_tree import TreeRepository
from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.merkle import MemoryTree, verify_consistency
from mediaproof.transparency.note import Ed25519Signer

if TYPE_CHECKING:  # rows are the repository's; services read them, its methods change them
    from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow

log = logging.getLogger("mediaproof.services.exchange")

KEY_FILE = "exchange-signer.key"
DEFAULT_KEY_NAME = "localhost/mediaproof/exchange"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the signing key -----------------------------------------------------------------


def key_path(inst: Instance) -> Path:
    return inst.keys_dir / KEY_FILE


def init_key(inst: Instance, name: str = DEFAULT_KEY_NAME) -> Ed25519Signer:
    """Create the exchange's note key (once). Its name starts every collection's origin."""
    path = key_path(inst)
    if path.exists():
        raise UsageError(f"{path} exists already", hint="a published key cannot change")
    signer = Ed25519Signer.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.skey + "\n")
    return signer


def signer(inst: Instance) -> Ed25519Signer:
    path = key_path(inst)
    if not path.exists():
        return init_key(inst)
    return Ed25519Signer.from_skey(path.read_text())


# --- collections ---------------------------------------------------------------------


def existing_collection(
    repo: ExchangeRepository, name: str, *, lock: bool = False
) -> ExchangeCollectionRow:
    """The collection ``name``, or NotFoundError."""
    row = repo.collection(name, lock=lock)
    if row is None:
        raise NotFoundError(f"no collection {name!r}")
    return row


def collection_json(row: ExchangeCollectionRow, size: int | None = None) -> dict[str, Any]:
    spec = spec_of(row)
    out: dict[str, Any] = {
        "name": spec.name,
        "organisation": spec.organisation,
        "description": spec.description,
        "signal_types": [t.value for t in spec.signal_types],
        "tlp": spec.tlp.value,
        "policy_url": spec.policy_url,
        "category": spec.category.value,
        "inclusion_rule": spec.rule.as_dict(),
        "tombstone_days": spec.tombstone_days,
    }
    if size is not None:
        out["size"] = size
    return out


def create_collection(
    inst: Instance, spec: CollectionSpec, now: dt.datetime | None = None
) -> dict[str, Any]:
    spec.validate()
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        if repo.collection(spec.name) is not None:
            raise UsageError(f"a collection {spec.name!r} exists already")
        row = repo.add_collection(spec, now or _now())
        return collection_json(row, 0)


def list_collections(inst: Instance) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        out = []
        for row in repo.collections():
            d = collection_json(row, repo.size(row))
            d["alarm"] = row.alarm
            d["synced_at"] = row.synced_at.isoformat() if row.synced_at else None
            out.append(d)
        return out


# --- sync from the bank ----------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    collection: str
    added: int
    withdrawn: int
    size: int


def _time(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _wanted(
    repo: ExchangeRepository, row: ExchangeCollectionRow
) -> dict[tuple[SignalType, str], tuple[str, ...]]:
    """What the inclusion rule says the collection should hold now: signal -> tags."""
    spec = spec_of(row)
    withdrawn = repo.withdrawn(row)
    out: dict[tuple[SignalType, str], tuple[str, ...]] = {}
    for src in repo.bank_signals():
        if src.decision is None or not spec.rule.admits(src.decision):
            continue
        for st in spec.signal_types:
            raw = src.fingerprints.get(BANK_KEYS[st])
            if not raw:
                continue
            try:
                value = check_value(st, raw)
            except UsageError:
                log.warning("exchange: bank entry %d has a malformed %s value", src.bank_id, st)
                continue
            if (st.value, digest(value)) in withdrawn:
                continue
            out[(st, value)] = (src.decision.category,)
    # accepted contributions stay published like admitted bank entries (exchange_contrib)
    for key, tags in accepted_signals(repo.s, row).items():
        out.setdefault(key, tags)
    return out


def _append(
    repo: ExchangeRepository,
    row: ExchangeCollectionRow,
    seq: int,
    st: SignalType,
    value: str,
    tags: tuple[str, ...],
    deleted: bool,
    now: dt.datetime,
) -> FeedRow:
    spec = spec_of(row)
    r = FeedRow(
        collection=row.name,
        seq=seq,
        signal_type=st,
        value=value,
        category=spec.category,
        tags=tuple(sorted(set(tags))),
        quality=None,  # the bank keeps usable hashes only, not their quality score
        owner=spec.organisation,
        deleted=deleted,
        time=_time(now),
    )
    repo.append(row, r, now)
    return r


def _stored_tree_holds(
    repo: ExchangeRepository, row: ExchangeCollectionRow
) -> tuple[int, int] | None:
    """(the stored tree's size, the log's) when a sync may extend the stored tree and
    check it against the tree signed last instead of hashing the whole log: no trigger
    saw a stored row change since (not stale), no alarm, and neither the tree nor the
    tree signed last is longer than the log. None when not."""
    if row.alarm is not None:
        return None
    size, stale, top = TreeRepository(repo.s).state(row.id)
    if stale or size > top or row.signed_size > top:
        return None
    return size, top


def _sync_one(
    repo: ExchangeRepository,
    row: ExchangeCollectionRow,
    now: dt.datetime,
    *,
    full: bool,
    changed: bool = False,
) -> SyncResult:
    """``full``: read and hash the whole log (and the inputs) even when nothing changed
    (the ``sync`` CLI). Else (a read's sync) nothing is read when no input changed since
    the last sync (their version, migration 0034) and the stored tree holds
    (:func:`_stored_tree_holds`); when one did, the log is read for its live signals only
    and the stored tree extended by what is appended (:func:`_extend_signed`).
    ``changed``: the caller changed an input in this transaction (on PostgreSQL the
    version is raised at its commit, after this read), so it reads them regardless."""
    version = repo.inputs_version()  # before the inputs: a later change raises it past
    held = None if full else _stored_tree_holds(repo, row)
    if (
        held is not None
        and not changed
        and held[0] == held[1] == row.signed_size  # nothing appended since it was signed
        and version is not None
        and row.synced_inputs == version
    ):
        repo.mark_synced(row, now)
        return SyncResult(row.name, 0, 0, held[1])
    rows: list[FeedRow] = []
    if held is None:
        rows = repo.updates(row)
        live = {k: r.tags for k, r in live_signals(rows).items()}
        size = len(rows)
    else:
        live, size = repo.live(row), held[1]
    wanted = _wanted(repo, row)
    added = withdrawn = 0

    def append(key: tuple[SignalType, str], tags: tuple[str, ...], deleted: bool) -> None:
        nonlocal size
        size += 1
        rows.append(_append(repo, row, size, key[0], key[1], tags, deleted, now))

    for key in sorted(set(live) - set(wanted)):
        append(key, live[key], True)
        withdrawn += 1
    for key in sorted(wanted):
        cur = live.get(key)
        if cur is None or cur != tuple(sorted(set(wanted[key]))):
            append(key, wanted[key], False)
            added += 1
    repo.mark_synced(row, now)
    repo.keep_inputs(row, version)
    if held is not None and _extend_signed(repo, row, size):
        return SyncResult(row.name, added, withdrawn, size)
    if held is not None:  # the stored tree did not hold: hash the store after all
        rows = repo.updates(row)
    tree = tree_of(rows)
    if _remember(repo, row, tree):
        exchange_tree.reconcile(repo.s, row, tree)  # the caller holds exchange_tree.LOCK
    return SyncResult(row.name, added, withdrawn, len(rows))


def _extend_signed(repo: ExchangeRepository, row: ExchangeCollectionRow, size: int) -> bool:
    """Extend the stored tree (:func:`_stored_tree_holds`) by the rows stored after it
    (those just appended, and any another writer appended), check it against the tree
    signed last and keep it as signed: O(rows added * log n) hashes. False when the
    nodes do not prove that (the caller hashes the store)."""
    repo.s.flush()
    got = exchange_tree.extend(repo.s, row, size)
    old = row.signed_size
    v = exchange_tree.view(repo.s, row, size, old=old or None) if got == size else None
    if v is None:
        return False
    root = v.root()
    if old > 0:
        try:
            if row.signed_root is None:
                raise ProofError("no root was kept")
            verify_consistency(
                old, size, bytes.fromhex(row.signed_root), root, v.consistency_proof(old)
            )
        except ProofError:
            log.warning("exchange: collection %s: the stored tree is not what was signed", row.name)
            return False
    repo.keep_signed(row, size, root)
    return True


def _remember(repo: ExchangeRepository, row: ExchangeCollectionRow, tree: MemoryTree) -> bool:
    """Keep the tree signed last; raise the alarm (and mark the stored tree stale, so
    answers hash the store) when the store no longer extends it. True: it does."""
    if row.signed_root is not None and row.signed_size > 0:
        try:
            if tree.size < row.signed_size:
                raise ProofError(
                    f"the store holds {tree.size} updates, {row.signed_size} were signed"
                )
            verify_consistency(
                row.signed_size,
                tree.size,
                bytes.fromhex(row.signed_root),
                tree.root(),
                tree.consistency_proof(row.signed_size),
            )
        except ProofError as e:
            if row.alarm is None:
                log.error("exchange: collection %s: the stored log was rewritten: %s", row.name, e)
            repo.raise_alarm(
                row,
                f"the stored log no longer extends the tree of size {row.signed_size} "
                f"signed before: {e.message}",
            )
            exchange_tree.mark_stale(repo.s, row)
            return False  # keep the last good tree as the reference
    repo.keep_signed(row, tree.size, tree.root())
    return True


def sync(
    inst: Instance, name: str | None = None, now: dt.datetime | None = None, *, full: bool = True
) -> list[SyncResult]:
    """Bring collections (one, or all) in line with the bank and their withdrawals.
    ``full``: also when nothing changed, read the bank and the whole log and check the
    log's hash against the tree signed last (the CLI's sync); a read's sync passes False
    and skips all of it when nothing it reads changed (:func:`_unchanged`)."""
    now = now or _now()
    out = []
    with hold(inst.db, exchange_tree.LOCK), inst.db.session() as s:
        repo = ExchangeRepository(s)
        targets = [name] if name else [c.name for c in repo.collections()]
        for n in targets:
            row = existing_collection(repo, n, lock=True)
            out.append(_sync_one(repo, row, now, full=full))
    return out


def withdraw(
    inst: Instance,
    name: str,
    signal_type: str,
    value: str,
    reason: str,
    now: dt.datetime | None = None,
) -> SyncResult:
    """Take a signal out of a collection for good (a tombstone now; sync keeps it out)."""
    now = now or _now()
    try:
        st = SignalType(signal_type)
    except ValueError as e:
        raise UsageError(f"unknown signal type {signal_type!r}") from e
    v = check_value(st, value)
    if not reason.strip():
        raise UsageError("say why the signal is withdrawn")
    with hold(inst.db, exchange_tree.LOCK), inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = existing_collection(repo, name, lock=True)
        repo.withdraw(row, st, v, reason.strip(), now)
        s.flush()
        return _sync_one(repo, row, now, full=False, changed=True)
